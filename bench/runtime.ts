// Runtime benchmark: steps/s through the sandboxed episode runtime against the same tools called
// directly in this process (the baseline, measured in the same run), memory per idle live episode,
// and the cost of a rolled-back call against a successful one. Every response is checked against
// values computed from the task config; a wrong answer fails the run (exit code 1).
//
//   node bench/runtime.ts [--quick] [--out results.json]
//
// Prints one JSON object on stdout and a short table on stderr. See bench/README.md.
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { setTimeout as sleep, setImmediate as nextTurn } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { Runtime } from '../src/env/runtime.ts'
import { seededRandom } from '../src/seeded-random.ts'
import type { Episode } from '../src/env/episode.ts'
import type { JsonValue, StepResult } from '../src/schemas/env.generated.ts'

// Memory is measured after full garbage collections, which need --expose-gc: run again with it.
if (typeof globalThis.gc !== 'function') {
  const script = fileURLToPath(import.meta.url)
  const child = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, script, ...process.argv.slice(2)], { stdio: 'inherit' })
  process.exit(child.status ?? 1)
}
const gcFunction = globalThis.gc
const collectGarbage = (): void => { gcFunction() }

const argv = await yargs(hideBin(process.argv))
  .scriptName('bench/runtime.ts')
  .option('quick', { type: 'boolean', default: false, description: 'small counts and short durations (CI, a few seconds)' })
  .option('out', { type: 'string', description: 'also write the JSON result to this file' })
  .strict()
  .help()
  .parseAsync()

const quick = argv.quick
const settings = quick
  ? { baselineMs: 250, sequentialMs: 400, warmupMs: 200, concurrentMs: 1000, concurrentEpisodes: 1_000, memoryCounts: [1_000, 10_000] as const, failedEpisodes: 200, failedStepsPerEpisode: 15, failedSequentialSteps: 200, failedRounds: 2 }
  : { baselineMs: 2000, sequentialMs: 3000, warmupMs: 1000, concurrentMs: 6000, concurrentEpisodes: 10_000, memoryCounts: [10_000, 100_000] as const, failedEpisodes: 1_000, failedStepsPerEpisode: 50, failedSequentialSteps: 2_000, failedRounds: 5 }

const maxSteps = 4096 // the largest T_max a reset may ask for; drivers start over before reaching it
const envIds = { maxSubarray: 'codegym/max-subarray-v1', brackets: 'codegym/valid-brackets-v1' } as const
type EnvKey = keyof typeof envIds
const envKeys: EnvKey[] = ['maxSubarray', 'brackets']

class WrongAnswer extends Error {}

let responsesChecked = 0

// ---------------------------------------------------------------------------------------------
// Task configs, made here with a seeded generator so that every expected value is known.

interface MaxSubarrayConfig { values: number[] }
interface BracketsConfig { text: string }

function maxSubarrayConfig (seed: number): MaxSubarrayConfig {
  const rng = seededRandom(seed)
  const length = 9 + Math.floor(rng() * 17) // the medium size range of the env
  return { values: Array.from({ length }, () => Math.floor(rng() * 201) - 100) }
}

function bracketsConfig (seed: number): BracketsConfig {
  const rng = seededRandom(seed)
  const length = 10 + Math.floor(rng() * 15)
  return { text: Array.from({ length }, () => '()[]{}'[Math.floor(rng() * 6)]).join('') }
}

function kadane (values: readonly number[]): number {
  let best = values[0]!
  let current = 0
  values.forEach((value, index) => {
    current = index === 0 ? value : Math.max(value, current + value)
    best = Math.max(best, current)
  })
  return best
}

// ---------------------------------------------------------------------------------------------
// Drivers: the valid tool calls of one episode, each with the observation it must produce.

interface Action { name: string, parameters: Record<string, JsonValue> }
interface Planned { action: Action, expected: JsonValue }

interface Driver {
  readonly envId: string
  readonly config: MaxSubarrayConfig | BracketsConfig
  /** The next action and its expected observation. */
  plan (): Planned
  /** Starts the cycle over (a fresh episode has a fresh env state). */
  restart (): void
}

// Kadane's algorithm one tool per step: GetElement, ExtendOrRestart, UpdateBest, for every element.
class MaxSubarrayDriver implements Driver {
  readonly envId = envIds.maxSubarray
  readonly config: MaxSubarrayConfig
  readonly #answer: number
  #index = 0
  #phase = 0
  #element = 0
  #current = 0
  #best = 0

  constructor (config: MaxSubarrayConfig) {
    this.config = config
    this.#answer = kadane(config.values)
  }

  restart (): void { this.#index = 0; this.#phase = 0 }

  plan (): Planned {
    const values = this.config.values
    const index = this.#index
    switch (this.#phase) {
      case 0: {
        this.#phase = 1
        this.#element = values[index]!
        return { action: { name: 'GetElement', parameters: { index } }, expected: this.#element }
      }
      case 1: {
        this.#phase = 2
        const previous = index === 0 ? 0 : this.#current
        this.#current = Math.max(this.#element, previous + this.#element)
        return { action: { name: 'ExtendOrRestart', parameters: { previous_sum: previous, element: this.#element } }, expected: this.#current }
      }
      default: {
        this.#phase = 0
        const best = index === 0 ? this.#current : this.#best
        this.#best = Math.max(best, this.#current)
        if (++this.#index === values.length) {
          // The tools computed the answer of the task: the driver's own arithmetic agrees with Kadane.
          if (this.#best !== this.#answer) throw new WrongAnswer(`max-subarray: the pass ended with ${this.#best}, the answer is ${this.#answer}`)
          this.#index = 0
        }
        return { action: { name: 'UpdateBest', parameters: { best, candidate: this.#current } }, expected: this.#best }
      }
    }
  }
}

// GetChar, then Push of that character onto the env's stack (size 1), then Pop (the same character).
class BracketsDriver implements Driver {
  readonly envId = envIds.brackets
  readonly config: BracketsConfig
  #index = 0
  #phase = 0

  constructor (config: BracketsConfig) {
    this.config = config
  }

  restart (): void { this.#index = 0; this.#phase = 0 }

  plan (): Planned {
    const char = this.config.text[this.#index]!
    switch (this.#phase) {
      case 0:
        this.#phase = 1
        return { action: { name: 'GetChar', parameters: { index: this.#index } }, expected: char }
      case 1:
        this.#phase = 2
        return { action: { name: 'Push', parameters: { char } }, expected: 1 }
      default:
        this.#phase = 0
        this.#index = (this.#index + 1) % this.config.text.length
        return { action: { name: 'Pop', parameters: {} }, expected: char }
    }
  }
}

function makeDriver (env: EnvKey, seed: number): Driver {
  return env === 'maxSubarray' ? new MaxSubarrayDriver(maxSubarrayConfig(seed)) : new BracketsDriver(bracketsConfig(seed))
}

function checkSuccess (result: StepResult, expected: JsonValue, what: string): void {
  responsesChecked++
  if (result.info.rolledBack || result.observation !== expected || result.terminated || result.truncated || result.reward !== 0) {
    throw new WrongAnswer(`${what}: expected observation ${JSON.stringify(expected)}, got ${JSON.stringify(result)}`)
  }
}

function checkRollback (result: StepResult, episode: Episode, stateBefore: string, messagePart: string, what: string): void {
  responsesChecked++
  if (!result.info.rolledBack || result.info.error?.code !== 'tool_error' || typeof result.observation !== 'string' ||
    !result.observation.startsWith('Error: ') || !result.observation.includes(messagePart) || episode.committedState !== stateBefore) {
    throw new WrongAnswer(`${what}: expected a rolled-back tool_error mentioning "${messagePart}" with the state untouched, got ${JSON.stringify(result)}`)
  }
}

// ---------------------------------------------------------------------------------------------
// Episodes through the Runtime. A live episode stays under T_max by starting over from a snapshot
// of its reset state (restore does not touch the sandbox).

class LiveEpisode {
  readonly driver: Driver
  readonly #runtime: Runtime
  readonly #fresh: Uint8Array
  episode: Episode

  private constructor (runtime: Runtime, driver: Driver, episode: Episode, fresh: Uint8Array) {
    this.#runtime = runtime
    this.driver = driver
    this.episode = episode
    this.#fresh = fresh
  }

  static async start (runtime: Runtime, driver: Driver): Promise<LiveEpisode> {
    const { episode } = await runtime.reset(driver.envId, { config: driver.config, seed: 1, maxSteps })
    return new LiveEpisode(runtime, driver, episode, await episode.snapshot())
  }

  /** A fresh copy of the reset episode, when the next cycle of actions could reach T_max. */
  renewIfNeeded (stepsAhead: number): void {
    if (this.episode.stepCount + stepsAhead < maxSteps) return
    this.episode.close()
    this.episode = this.#runtime.restore(this.#fresh)
    this.driver.restart()
  }

  async stepOnce (): Promise<void> {
    this.renewIfNeeded(3)
    const { action, expected } = this.driver.plan()
    checkSuccess(await this.episode.step(action), expected, `${this.driver.envId} ${action.name}`)
  }
}

// ---------------------------------------------------------------------------------------------
// The baseline: the same env module and the same actions in this process, no sandbox. Per step it
// does the JSON work a sandboxed step does: the action's parameters, the state and the observation
// each go through JSON.stringify and JSON.parse once.

interface EnvModule { tools: Record<string, (state: unknown, parameters: unknown) => JsonValue> }

function loadEnvModule (runtime: Runtime, envId: string): EnvModule {
  const module = { exports: {} as unknown }
  // The bundled env's own source, wrapped as the sandbox wraps it.
  const factory = new Function('module', 'exports', '"use strict";\n' + runtime.spec(envId).source) as (module: unknown, exports: unknown) => void
  factory(module, module.exports)
  return module.exports as EnvModule
}

function runBaseline (env: EnvModule, driver: Driver, initialState: string, durationMs: number): number {
  let state = initialState
  let stepsSinceStart = 0
  const stepOnce = (): void => {
    if (stepsSinceStart + 3 >= maxSteps) { state = initialState; stepsSinceStart = 0; driver.restart() }
    const { action, expected } = driver.plan()
    const parameters = JSON.parse(JSON.stringify(action.parameters)) as unknown
    const saved = JSON.parse(state) as { s: unknown }
    const observation = env.tools[action.name]!(saved.s, parameters)
    state = JSON.stringify(saved)
    const seen = JSON.parse(JSON.stringify(observation)) as JsonValue
    stepsSinceStart++
    responsesChecked++
    if (seen !== expected) throw new WrongAnswer(`baseline ${driver.envId} ${action.name}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(seen)}`)
  }
  const timed = (ms: number): number => {
    const start = performance.now()
    let count = 0
    let now = start
    while (now - start < ms) {
      for (let i = 0; i < 1000; i++) stepOnce()
      count += 1000
      now = performance.now()
    }
    return count / ((now - start) / 1000)
  }
  timed(Math.min(200, durationMs / 4)) // warm-up: let the JIT settle
  return timed(durationMs)
}

// ---------------------------------------------------------------------------------------------
// Measurements through the Runtime.

async function runSequential (runtime: Runtime, driver: Driver, durationMs: number, warmupMs: number): Promise<number> {
  const live = await LiveEpisode.start(runtime, driver)
  const run = async (ms: number): Promise<number> => {
    const start = performance.now()
    let count = 0
    let now = start
    while (now - start < ms) {
      for (let i = 0; i < 100; i++) await live.stepOnce()
      count += 100
      now = performance.now()
    }
    return count / ((now - start) / 1000)
  }
  await run(warmupMs)
  const rate = await run(durationMs)
  live.episode.close()
  return rate
}

async function startMany (runtime: Runtime, count: number, seedBase: number): Promise<LiveEpisode[]> {
  const live: LiveEpisode[] = []
  const chunk = 2_000
  for (let first = 0; first < count; first += chunk) {
    const size = Math.min(chunk, count - first)
    live.push(...await Promise.all(Array.from({ length: size }, (_, i) => {
      const n = first + i
      return LiveEpisode.start(runtime, makeDriver(envKeys[n % 2]!, seedBase + n))
    })))
  }
  return live
}

interface ConcurrentResult { episodes: number, resetsPerSecond: number, steps: number, seconds: number, stepsPerSecond: number, stepsByEnv: Record<string, number> }

async function runConcurrent (runtime: Runtime, episodes: number, durationMs: number, warmupMs: number): Promise<ConcurrentResult> {
  const resetStart = performance.now()
  const live = await startMany(runtime, episodes, 10_000)
  const resetsPerSecond = episodes / ((performance.now() - resetStart) / 1000)
  let stop = false
  let counting = false
  let steps = 0
  const stepsByEnv: Record<string, number> = { [envIds.maxSubarray]: 0, [envIds.brackets]: 0 }
  const loop = async (one: LiveEpisode): Promise<void> => {
    while (!stop) {
      await one.stepOnce()
      if (counting) { steps++; stepsByEnv[one.driver.envId]!++ }
    }
  }
  const loops = Promise.all(live.map(loop))
  let failure: unknown
  loops.catch((error: unknown) => { failure = error; stop = true })
  await sleep(warmupMs)
  counting = true
  const start = performance.now()
  await sleep(durationMs)
  counting = false
  const seconds = (performance.now() - start) / 1000
  stop = true
  await loops.catch(() => undefined)
  if (failure !== undefined) throw failure
  for (const one of live) one.episode.close()
  return { episodes, resetsPerSecond, steps, seconds, stepsPerSecond: steps / seconds, stepsByEnv }
}

// ---------------------------------------------------------------------------------------------
// A rolled-back call against a successful one, in alternating rounds on fresh episodes: once with
// many episodes stepping concurrently (the sandbox's cost per call) and once with one episode
// stepping sequentially (the latency of one call).

interface CallCase {
  env: EnvKey
  success: string
  failure: string
  successAction: (driver: Driver, k: number) => Planned
  failureAction: (driver: Driver, k: number) => Action
  failureMessage: string
}

const callCases: CallCase[] = [
  {
    env: 'brackets',
    success: 'Push then Pop (both succeed, stack stays at most 1)',
    failure: 'Pop on an empty stack (the tool throws)',
    successAction: (driver, k) => {
      const char = '([{'[Math.floor(k / 2) % 3]!
      return k % 2 === 0 ? { action: { name: 'Push', parameters: { char } }, expected: 1 } : { action: { name: 'Pop', parameters: {} }, expected: char }
    },
    failureAction: () => ({ name: 'Pop', parameters: {} }),
    failureMessage: 'the stack is empty',
  },
  {
    env: 'maxSubarray',
    success: 'GetElement in range',
    failure: 'GetElement out of range (the tool throws)',
    successAction: (driver, k) => {
      const values = (driver.config as MaxSubarrayConfig).values
      return { action: { name: 'GetElement', parameters: { index: k % values.length } }, expected: values[k % values.length]! }
    },
    failureAction: (driver, k) => ({ name: 'GetElement', parameters: { index: (driver.config as MaxSubarrayConfig).values.length + (k % 7) } }),
    failureMessage: 'outside the array',
  },
]

interface CallCost { successUsPerCall: number, failureUsPerCall: number, ratio: number, calls: number }

async function measureCallCost (runtime: Runtime, callCase: CallCase, episodes: number, stepsPerEpisode: number, rounds: number): Promise<CallCost> {
  const seedBase = callCase.env === 'maxSubarray' ? 50_000 : 60_000
  const drivers = Array.from({ length: episodes }, (_, i) => makeDriver(callCase.env, seedBase + 2 * i))
  const snapshots = await Promise.all(drivers.map(async (driver) => {
    const { episode } = await runtime.reset(driver.envId, { config: driver.config, seed: 1, maxSteps })
    return episode.snapshot()
  }))
  const round = async (failing: boolean): Promise<number> => {
    const fresh = snapshots.map((bytes) => runtime.restore(bytes))
    const start = performance.now()
    await Promise.all(fresh.map(async (episode, i) => {
      const driver = drivers[i]!
      for (let k = 0; k < stepsPerEpisode; k++) {
        if (failing) {
          const before = episode.committedState
          checkRollback(await episode.step(callCase.failureAction(driver, k)), episode, before, callCase.failureMessage, `${driver.envId} ${callCase.failure}`)
        } else {
          const { action, expected } = callCase.successAction(driver, k)
          checkSuccess(await episode.step(action), expected, `${driver.envId} ${callCase.success}`)
        }
      }
    }))
    const ms = performance.now() - start
    for (const episode of fresh) episode.close()
    return ms
  }
  await round(false) // warm-up
  await round(true)
  let successMs = 0
  let failureMs = 0
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first, so a slow spell of the machine hits both alike.
    if (r % 2 === 0) { successMs += await round(false); failureMs += await round(true) } else { failureMs += await round(true); successMs += await round(false) }
  }
  const calls = episodes * stepsPerEpisode * rounds
  const successUsPerCall = successMs * 1000 / calls
  const failureUsPerCall = failureMs * 1000 / calls
  return { successUsPerCall, failureUsPerCall, ratio: failureUsPerCall / successUsPerCall, calls }
}

// ---------------------------------------------------------------------------------------------
// Memory of idle live episodes.

interface MemorySample { rssBytes: number, heapUsedBytes: number, sandboxRssBytes: number | null }

async function settle (): Promise<void> {
  for (let i = 0; i < 4; i++) {
    collectGarbage()
    await nextTurn()
  }
}

/** RSS of this process's sandbox processes (Linux /proc); null where that cannot be read. */
function sandboxRss (): number | null {
  if (process.platform !== 'linux') return null
  let total = 0
  let found = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid !== process.pid) continue
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('worker-main')) continue
      const rssKb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]
      if (rssKb === undefined) continue
      total += Number(rssKb) * 1024
      found++
    } catch {
      // the process ended while it was being read
    }
  }
  return found > 0 ? total : null
}

async function sampleMemory (): Promise<MemorySample> {
  await settle()
  const { rss, heapUsed } = process.memoryUsage()
  return { rssBytes: rss, heapUsedBytes: heapUsed, sandboxRssBytes: sandboxRss() }
}

interface MemoryResult {
  liveEpisodes: number
  created: string
  rssBytesPerEpisode: number
  heapUsedBytesPerEpisode: number
  before: MemorySample
  after: MemorySample
}

async function measureMemory (runtime: Runtime, counts: readonly [number, number]): Promise<MemoryResult[]> {
  const [small, large] = counts
  const difficulties = ['easy', 'medium', 'hard']
  const before = await sampleMemory()
  const episodes: Episode[] = []
  const chunk = 2_000
  for (let first = 0; first < small; first += chunk) {
    const size = Math.min(chunk, small - first)
    const started = await Promise.all(Array.from({ length: size }, (_, i) => {
      const n = first + i
      return runtime.reset(n % 2 === 0 ? envIds.maxSubarray : envIds.brackets, { seed: 1_000_000 + n, difficulty: difficulties[Math.floor(n / 2) % 3] })
    }))
    for (const { episode } of started) episodes.push(episode)
  }
  const atSmall = await sampleMemory()
  const result = (count: number, created: string, after: MemorySample): MemoryResult => ({
    liveEpisodes: count,
    created,
    rssBytesPerEpisode: (after.rssBytes - before.rssBytes) / count,
    heapUsedBytesPerEpisode: (after.heapUsedBytes - before.heapUsedBytes) / count,
    before,
    after,
  })
  const resetHow = `runtime.reset with a generated task (seed ${1_000_000}+i, difficulties easy/medium/hard in turn, the two envs alternating)`
  const results = [result(small, `${small} by ${resetHow}`, atSmall)]

  // Restoring gives each episode its own decoded config and state: nothing is shared with the original.
  let snapshots: Uint8Array[] | undefined = await Promise.all(episodes.map((episode) => episode.snapshot()))
  for (let n = small; n < large; n++) episodes.push(runtime.restore(snapshots[n % small]!))
  snapshots = undefined
  const atLarge = await sampleMemory()
  results.push(result(large, `${small} as above + ${large - small} by runtime.restore(snapshot) of those (each an independent Episode with its own decoded state and config)`, atLarge))

  // They are live: every one answers a step.
  const stepped = await Promise.all(episodes.map((episode) => episode.step({ name: 'GetLength', parameters: {} })))
  for (const step of stepped) {
    responsesChecked++
    if (step.info.rolledBack || typeof step.observation !== 'number') throw new WrongAnswer(`a restored episode did not answer GetLength: ${JSON.stringify(step)}`)
  }
  for (const episode of episodes) episode.close()
  return results
}

// ---------------------------------------------------------------------------------------------

function machine (): { cpuModel: string, cpus: number, totalMemoryBytes: number, platform: string, arch: string } {
  const cpus = os.cpus()
  return { cpuModel: cpus[0]?.model ?? 'unknown', cpus: os.availableParallelism(), totalMemoryBytes: os.totalmem(), platform: process.platform, arch: process.arch }
}

function gitCommit (): { commit: string | null, dirty: boolean | null } {
  const cwd = fileURLToPath(new URL('..', import.meta.url))
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8' }).trim() !== ''
    return { commit, dirty }
  } catch {
    return { commit: null, dirty: null }
  }
}

function isolatedVmVersion (): string | null {
  try {
    const text = readFileSync(fileURLToPath(new URL('../node_modules/isolated-vm/package.json', import.meta.url)), 'utf8')
    return (JSON.parse(text) as { version: string }).version
  } catch {
    return null
  }
}

/** Steps/s of a workload with equally many steps of each env. */
const equalStepMix = (a: number, b: number): number => 2 / (1 / a + 1 / b)

const log = (line: string): void => { process.stderr.write(line + '\n') }

async function main (): Promise<number> {
  const startedAt = new Date().toISOString()
  const runtime = await Runtime.create()
  try {
    const workers = runtime.pool.options.workers
    log(`bench/runtime: ${quick ? 'quick' : 'full'} run, ${workers} sandbox processes`)

    // The baseline's initial states are the states of real reset episodes.
    const envModules = new Map<string, EnvModule>()
    const initialStates = new Map<string, string>()
    for (const env of envKeys) {
      const driver = makeDriver(env, 1)
      envModules.set(driver.envId, loadEnvModule(runtime, driver.envId))
      const { episode } = await runtime.reset(driver.envId, { config: driver.config, seed: 1, maxSteps })
      initialStates.set(driver.envId, episode.committedState)
      episode.close()
    }
    const baselineRun = (): Record<EnvKey, number> => {
      const rates = {} as Record<EnvKey, number>
      for (const env of envKeys) {
        const driver = makeDriver(env, 1)
        rates[env] = runBaseline(envModules.get(driver.envId)!, driver, initialStates.get(driver.envId)!, settings.baselineMs)
      }
      return rates
    }

    // Memory first: the pages that later phases' garbage leaves in the process would hide RSS growth.
    log(`memory of ${settings.memoryCounts[0]} and ${settings.memoryCounts[1]} idle live episodes`)
    const memory = await measureMemory(runtime, settings.memoryCounts)

    log('baseline (direct calls, run 1)')
    const baselineFirst = baselineRun()

    log('one episode stepping sequentially')
    const sequential = {} as Record<EnvKey, number>
    for (const env of envKeys) sequential[env] = await runSequential(runtime, makeDriver(env, 1), settings.sequentialMs, settings.warmupMs / 2)

    log(`${settings.concurrentEpisodes} episodes stepping concurrently`)
    const concurrent = await runConcurrent(runtime, settings.concurrentEpisodes, settings.concurrentMs, settings.warmupMs)

    log('failed (rolled-back) calls against successful ones')
    const failedCalls = []
    for (const callCase of callCases) {
      const many = await measureCallCost(runtime, callCase, settings.failedEpisodes, settings.failedStepsPerEpisode, settings.failedRounds)
      const one = await measureCallCost(runtime, callCase, 1, settings.failedSequentialSteps, settings.failedRounds)
      failedCalls.push({ envId: envIds[callCase.env], success: callCase.success, failure: callCase.failure, concurrent: { episodes: settings.failedEpisodes, ...many }, sequential: { episodes: 1, ...one } })
    }

    log('baseline (direct calls, run 2)')
    const baselineSecond = baselineRun()

    // The faster of the two baseline runs: the least disturbed estimate of the direct cost.
    const baseline = {} as Record<EnvKey, number>
    for (const env of envKeys) baseline[env] = Math.max(baselineFirst[env], baselineSecond[env])
    const baselineMixed = equalStepMix(baseline.maxSubarray, baseline.brackets)
    const sequentialMixed = equalStepMix(sequential.maxSubarray, sequential.brackets)
    const byEnvId = (rates: Record<EnvKey, number>): Record<string, number> => ({ [envIds.maxSubarray]: rates.maxSubarray, [envIds.brackets]: rates.brackets })

    const kb = 1024
    const targets = [
      ...memory.flatMap((m) => [
        { name: `host RSS per idle live episode at ${m.liveEpisodes}`, value: m.rssBytesPerEpisode, limit: 32 * kb, unit: 'bytes', met: m.rssBytesPerEpisode <= 32 * kb },
        { name: `host heapUsed per idle live episode at ${m.liveEpisodes}`, value: m.heapUsedBytesPerEpisode, limit: 32 * kb, unit: 'bytes', met: m.heapUsedBytesPerEpisode <= 32 * kb },
      ]),
      ...failedCalls.flatMap((f) => [
        { name: `failed/successful call time, ${f.envId}, ${f.concurrent.episodes} episodes concurrently`, value: f.concurrent.ratio, limit: 1.5, unit: 'ratio', met: f.concurrent.ratio <= 1.5 },
        { name: `failed/successful call time, ${f.envId}, one episode sequentially`, value: f.sequential.ratio, limit: 1.5, unit: 'ratio', met: f.sequential.ratio <= 1.5 },
      ]),
    ]

    const git = gitCommit()
    const result = {
      bench: 'runtime',
      startedAt,
      quick,
      command: ['node', 'bench/runtime.ts', ...process.argv.slice(2)].join(' '),
      machine: machine(),
      node: process.version,
      isolatedVm: isolatedVmVersion(),
      gitCommit: git.commit,
      gitDirty: git.dirty,
      sandbox: { workers, maxCallsInFlightPerWorker: runtime.pool.options.maxCallsInFlightPerWorker },
      workloads: {
        [envIds.maxSubarray]: 'GetElement, ExtendOrRestart, UpdateBest per element (Kadane one tool per step); medium-size configs',
        [envIds.brackets]: 'GetChar, Push of that char, Pop (stack stays at most 1 deep); medium-size configs',
        mixed: 'equally many steps of each env (harmonic mean of the per-env rates; the concurrent run measures the mix directly)',
      },
      baseline: {
        method: 'env.js loaded in this process with new Function(module, exports, source), one module instance; per step JSON.stringify+JSON.parse of the parameters, JSON.parse of the state, the tool call, JSON.stringify of the state, JSON.stringify+JSON.parse of the observation; sequential, one thread',
        stepsPerSecond: { ...byEnvId(baseline), mixed: baselineMixed },
        runs: [byEnvId(baselineFirst), byEnvId(baselineSecond)],
        used: 'the faster of the two runs, per env',
      },
      sequential: {
        episodes: 1,
        stepsPerSecond: { ...byEnvId(sequential), mixed: sequentialMixed },
        ratioToBaseline: { [envIds.maxSubarray]: sequential.maxSubarray / baseline.maxSubarray, [envIds.brackets]: sequential.brackets / baseline.brackets, mixed: sequentialMixed / baselineMixed },
      },
      concurrent: {
        episodes: concurrent.episodes,
        inFlight: `every episode has one step outstanding (${concurrent.episodes} in all); the pool hands each sandbox process at most ${runtime.pool.options.maxCallsInFlightPerWorker} at a time`,
        seconds: concurrent.seconds,
        steps: concurrent.steps,
        stepsByEnv: concurrent.stepsByEnv,
        stepsPerSecond: concurrent.stepsPerSecond,
        ratioToBaseline: concurrent.stepsPerSecond / baselineMixed,
        resetsPerSecond: concurrent.resetsPerSecond,
      },
      memory,
      failedCalls,
      correctness: { responsesChecked, wrong: 0 },
      targets,
      allTargetsMet: targets.every((target) => target.met),
    }

    const json = JSON.stringify(result, null, 2) + '\n'
    process.stdout.write(json)
    if (argv.out !== undefined) writeFileSync(argv.out, json)
    printTable(result.baseline.stepsPerSecond, result.sequential, result.concurrent, memory, failedCalls, targets)
    return 0
  } finally {
    await runtime.close()
  }
}

function printTable (
  baseline: Record<string, number>,
  sequential: { stepsPerSecond: Record<string, number>, ratioToBaseline: Record<string, number> },
  concurrent: { episodes: number, stepsPerSecond: number, ratioToBaseline: number },
  memory: MemoryResult[],
  failedCalls: Array<{ envId: string, concurrent: CallCost, sequential: CallCost }>,
  targets: Array<{ name: string, met: boolean }>,
): void {
  const num = (n: number): string => Math.round(n).toLocaleString('en-US')
  const pad = (text: string, width: number): string => text.padEnd(width)
  const rows: Array<[string, string, string]> = [['measurement', 'value', 'vs baseline']]
  for (const key of Object.keys(baseline)) rows.push([`baseline steps/s ${key}`, num(baseline[key]!), '1'])
  for (const key of Object.keys(sequential.stepsPerSecond)) rows.push([`1 episode sequential steps/s ${key}`, num(sequential.stepsPerSecond[key]!), sequential.ratioToBaseline[key]!.toFixed(4)])
  rows.push([`${concurrent.episodes} episodes concurrent steps/s mixed`, num(concurrent.stepsPerSecond), concurrent.ratioToBaseline.toFixed(4)])
  for (const m of memory) {
    rows.push([`host RSS/episode at ${m.liveEpisodes}`, `${num(m.rssBytesPerEpisode)} B`, ''])
    rows.push([`host heapUsed/episode at ${m.liveEpisodes}`, `${num(m.heapUsedBytesPerEpisode)} B`, ''])
    rows.push([`sandbox RSS before/after ${m.liveEpisodes}`, m.before.sandboxRssBytes === null || m.after.sandboxRssBytes === null ? 'n/a' : `${(m.before.sandboxRssBytes / 2 ** 20).toFixed(0)}/${(m.after.sandboxRssBytes / 2 ** 20).toFixed(0)} MiB`, ''])
  }
  for (const f of failedCalls) {
    rows.push([`failed/ok call ${f.envId} concurrent`, `${f.concurrent.failureUsPerCall.toFixed(1)}/${f.concurrent.successUsPerCall.toFixed(1)} us`, f.concurrent.ratio.toFixed(2) + 'x'])
    rows.push([`failed/ok call ${f.envId} sequential`, `${f.sequential.failureUsPerCall.toFixed(1)}/${f.sequential.successUsPerCall.toFixed(1)} us`, f.sequential.ratio.toFixed(2) + 'x'])
  }
  const widths = [0, 1].map((c) => Math.max(...rows.map((row) => row[c]!.length)) + 2)
  log('')
  for (const row of rows) log(pad(row[0], widths[0]!) + pad(row[1], widths[1]!) + row[2])
  log(`targets met: ${targets.filter((t) => t.met).length}/${targets.length}${targets.some((t) => !t.met) ? ' (not met: ' + targets.filter((t) => !t.met).map((t) => t.name).join('; ') + ')' : ''}`)
}

try {
  process.exitCode = await main()
} catch (error) {
  if (error instanceof WrongAnswer) log(`bench/runtime: WRONG ANSWER, the run fails: ${error.message}`)
  else log(`bench/runtime: the run failed: ${error instanceof Error ? error.stack : String(error)}`)
  process.exitCode = 1
}
