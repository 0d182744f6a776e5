// A load generator process: opens connections to a server, keeps one request in flight per session,
// checks every response, and reports counts and latencies to bench/load/run.ts over IPC.
//
// Modes:
//   steps  real episodes on codegym/max-subarray-v1 fixed tasks (every observation is known in
//          advance from tasks.jsonl, so every response is checked exactly)
//   echo   the same request shapes against the bare echo server (the transport's ceiling)
//   idle   create sessions and hold them, for memory per idle session
import { setTimeout as sleep } from 'node:timers/promises'
import { pack, unpack } from 'msgpackr'
import WebSocket from 'ws'
import { stepKinds, type GeneratorConfig, type GeneratorMessage, type GeneratorReport, type StepMix } from './types.ts'
import { seededRandom } from '../../src/seeded-random.ts'

const benchEnv = 'codegym/max-subarray-v1'
const episodeMaxSteps = 4096
/** Resets in flight per connection while creating idle sessions (the server allows 8,192). */
const idleResetWave = 2048

interface Task { id: string, values: number[], answer: number }

type Pending = (message: Response) => void
interface Response { id: number, result?: Record<string, unknown>, error?: { code: string, message: string } }

class Link {
  readonly socket: WebSocket
  readonly #pending = new Map<number, Pending>()
  #nextId = 1

  constructor (url: string) {
    this.socket = new WebSocket(url, { perMessageDeflate: false })
    this.socket.on('error', () => {})
    this.socket.on('message', (data: Buffer) => {
      const message = unpack(data) as Response
      const handler = this.#pending.get(message.id)
      if (handler === undefined) return
      this.#pending.delete(message.id)
      handler(message)
    })
  }

  opened (): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve())
      this.socket.once('error', reject)
    })
  }

  request (op: string, params: object): Promise<Response> {
    const id = this.#nextId++
    return new Promise((resolve) => {
      this.#pending.set(id, resolve)
      this.socket.send(pack({ id, op, params }))
    })
  }
}

class Stats {
  latenciesMs = new Float64Array(1 << 16)
  kinds = new Uint8Array(1 << 16)
  count = 0
  cpuMicros = 0
  errors: Record<string, number> = {}
  rollbacks = 0
  checked = 0
  wrong = 0
  firstWrong: string | undefined
  recording = false

  record (latencyMs: number, kind: keyof StepMix): void {
    if (!this.recording) return
    if (this.count === this.latenciesMs.length) {
      const bigger = new Float64Array(this.latenciesMs.length * 2)
      bigger.set(this.latenciesMs)
      this.latenciesMs = bigger
      const biggerKinds = new Uint8Array(this.kinds.length * 2)
      biggerKinds.set(this.kinds)
      this.kinds = biggerKinds
    }
    this.kinds[this.count] = stepKinds.indexOf(kind)
    this.latenciesMs[this.count++] = latencyMs
  }

  fail (what: string): void {
    this.wrong++
    this.firstWrong ??= what
  }
}

function pickAction (mix: StepMix, roll: number): keyof StepMix {
  let sum = 0
  for (const [kind, weight] of Object.entries(mix) as Array<[keyof StepMix, number]>) {
    sum += weight
    if (roll < sum) return kind
  }
  return 'valid'
}

async function runSession (link: Link, task: Task, config: GeneratorConfig, stats: Stats, seed: number, deadline: () => boolean, pace: () => Promise<void>): Promise<void> {
  const random = seededRandom(seed)
  const reset = async (session?: string): Promise<string> => {
    const response = await link.request('reset', { env: benchEnv, options: { task: task.id, maxSteps: episodeMaxSteps }, ...(session === undefined ? {} : { session }) })
    stats.checked++
    const result = response.result as { session?: string, observation?: { length?: number } } | undefined
    if (result?.session === undefined || result.observation?.length !== task.values.length) {
      stats.fail(`reset answered ${JSON.stringify(response).slice(0, 200)}`)
      throw new Error('wrong reset')
    }
    return result.session
  }
  let session = await reset()
  let steps = 0
  let reads = 0
  let index = 0
  while (!deadline()) {
    await pace()
    if (steps >= episodeMaxSteps - 2) {
      session = await reset(session)
      steps = reads = 0
    }
    const kind = pickAction(config.mix, random())
    const action = kind === 'valid'
      ? { name: 'GetElement', parameters: { index } }
      : kind === 'fail'
        ? { name: 'GetElement', parameters: { index: task.values.length + (index % 7) } }
        : kind === 'observe'
          ? { name: 'Observe', parameters: {} }
          : { name: 'Done', parameters: { answer: task.answer } }
    const started = performance.now()
    const response = await link.request('step', { session, action })
    stats.record(performance.now() - started, kind)
    steps++
    stats.checked++
    if (response.error !== undefined) {
      stats.errors[response.error.code] = (stats.errors[response.error.code] ?? 0) + 1
      stats.fail(`step answered error ${response.error.code}: ${response.error.message}`)
      continue
    }
    const result = response.result as { observation: unknown, reward: number, terminated: boolean, info: { rolledBack: boolean, error?: { code: string } } }
    if (result.info.rolledBack) {
      // Counted over the measured window, as the requests it is a share of are.
      if (stats.recording) stats.rollbacks++
      stats.errors[result.info.error?.code ?? 'unknown'] = (stats.errors[result.info.error?.code ?? 'unknown'] ?? 0) + 1
    }
    switch (kind) {
      case 'valid':
        if (result.observation !== task.values[index]) stats.fail(`GetElement(${index}) = ${JSON.stringify(result.observation)}, expected ${task.values[index]}`)
        reads++
        index = (index + 1) % task.values.length
        break
      case 'fail':
        if (!result.info.rolledBack || result.info.error?.code !== 'tool_error') stats.fail(`an out-of-range GetElement was not rolled back: ${JSON.stringify(result)}`)
        break
      case 'observe': {
        const observation = result.observation as { length?: number, elements_read?: number }
        if (observation.length !== task.values.length || observation.elements_read !== reads) stats.fail(`Observe = ${JSON.stringify(observation)}, expected length ${task.values.length}, elements_read ${reads}`)
        break
      }
      case 'done':
        if (result.reward !== 1 || !result.terminated) stats.fail(`Done with the right answer gave ${JSON.stringify(result)}`)
        session = await reset(session)
        steps = reads = 0
        break
    }
  }
}

async function runEcho (link: Link, stats: Stats, deadline: () => boolean, pace: () => Promise<void>): Promise<void> {
  let index = 0
  while (!deadline()) {
    await pace()
    const started = performance.now()
    const response = await link.request('step', { session: 's1', action: { name: 'GetElement', parameters: { index: index++ } } })
    stats.record(performance.now() - started, 'valid')
    stats.checked++
    if (response.result === undefined) stats.fail(`echo answered ${JSON.stringify(response)}`)
  }
}

async function run (config: GeneratorConfig): Promise<GeneratorReport> {
  const links = Array.from({ length: config.connections }, () => new Link(config.url))
  await Promise.all(links.map((link) => link.opened()))
  for (const link of links) {
    const hello = await link.request('hello', { versions: [1], client: 'codegym-bench' })
    if (hello.result === undefined) throw new Error(`hello failed: ${JSON.stringify(hello)}`)
  }
  const stats = new Stats()
  const tasks = config.tasks
  if (config.mode === 'idle') {
    // Resets go out in waves that stay under the server's limit of requests in flight per connection.
    let held = 0
    for (let start = 0; start < config.sessions; start += idleResetWave * links.length) {
      const wave = Math.min(idleResetWave * links.length, config.sessions - start)
      const created = await Promise.all(Array.from({ length: wave }, (_, i) =>
        links[i % links.length]!.request('reset', { env: benchEnv, options: { task: tasks[(start + i) % tasks.length]!.id } })))
      const failed = created.filter((response) => response.result === undefined)
      if (failed.length > 0) stats.fail(`${failed.length} resets failed, e.g. ${JSON.stringify(failed[0])}`)
      stats.checked += created.length
      held += created.length - failed.length
    }
    tell({ kind: 'holding', sessions: held })
    await new Promise<void>((resolve) => process.once('message', () => resolve()))
    for (const link of links) link.socket.close()
    return report(stats, 0)
  }

  let stopping = false
  const deadline = (): boolean => stopping
  // Pacing for a target rate: each session sends at its share of the rate, the sessions' first
  // sends spread evenly over one interval, so requests arrive at an even rate rather than in a
  // burst of every session at once each interval. A session whose answer came late sends at once.
  const perSessionIntervalMs = config.ratePerSecond > 0 ? (config.sessions / config.ratePerSecond) * 1000 : 0
  const pacingFrom = performance.now()
  const pacers = new Map<number, number>()
  const paceFor = (session: number) => async (): Promise<void> => {
    if (perSessionIntervalMs === 0) return
    const now = performance.now()
    const previous = pacers.get(session)
    const next = previous === undefined ? pacingFrom + (perSessionIntervalMs * session) / config.sessions : Math.max(now, previous + perSessionIntervalMs)
    pacers.set(session, next)
    if (next > now) await sleep(next - now)
  }
  const loops = Array.from({ length: config.sessions }, (_, i) => {
    const link = links[i % links.length]!
    return config.mode === 'echo'
      ? runEcho(link, stats, deadline, paceFor(i))
      : runSession(link, tasks[i % tasks.length]!, config, stats, config.seed + i, deadline, paceFor(i))
  })
  const finished = Promise.allSettled(loops)
  await sleep(config.warmupMs)
  // The parent reads the server's CPU time when told the window starts and ends, so CPU per step
  // is over exactly the responses counted here.
  tell({ kind: 'measuring' })
  stats.recording = true
  const measuredFrom = performance.now()
  const cpuFrom = process.cpuUsage()
  await sleep(config.durationMs)
  stats.recording = false
  const cpu = process.cpuUsage(cpuFrom)
  const seconds = (performance.now() - measuredFrom) / 1000
  tell({ kind: 'measured' })
  stats.cpuMicros = cpu.user + cpu.system
  stopping = true
  const outcomes = await finished
  for (const outcome of outcomes) if (outcome.status === 'rejected') stats.fail(String(outcome.reason))
  for (const link of links) link.socket.close()
  return report(stats, seconds)
}

const tell = (message: GeneratorMessage): void => { process.send?.(message) }

function report (stats: Stats, seconds: number): GeneratorReport {
  return {
    seconds,
    requests: stats.count,
    latenciesMs: stats.latenciesMs.slice(0, stats.count),
    kinds: stats.kinds.slice(0, stats.count),
    cpuMicros: stats.cpuMicros,
    errors: stats.errors,
    rollbacks: stats.rollbacks,
    checked: stats.checked,
    wrong: stats.wrong,
    firstWrong: stats.firstWrong,
  }
}

process.once('message', (config: GeneratorConfig) => {
  run(config).then((result) => {
    process.send?.({ kind: 'report', report: result }, () => process.exit(0))
  }, (error: unknown) => {
    process.send?.({ kind: 'failed', message: (error as Error).stack ?? String(error) }, () => process.exit(1))
  })
})
