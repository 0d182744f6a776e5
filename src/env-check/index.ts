// The env checker (after Gymnasium's check_env): every bundled env must pass it. Each check plays
// real episodes on a Runtime, so it checks the env as agents and trainers will meet it.
import { basename } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { CodeGymError, EnvLoadError } from '../errors.ts'
import { plainUnpackr } from '../plain-data.ts'
import { PolicySandbox } from '../sandbox/policy-runner.ts'
import type { JsonValue, ResetOptions, ResetResult, RollbackCode, Snapshot, StepResult } from '../schemas/env.generated.ts'
import { doneToolName, observeToolName } from './builtin-tools.ts'
import type { Episode } from './episode.ts'
import { findEnvPackages, loadEnvPackage, type EnvSpec } from './package.ts'
import { playEpisode, type PlayedEpisode, type Policy } from './play.ts'
import { randomPolicy } from './random-policy.ts'
import { Runtime, type RuntimeOptions } from './runtime.ts'
import { unfilledPlaceholders } from './statement.ts'

/** The checks, in the order they run and are reported. */
export const checkNames = ['manifest', 'statement', 'determinism', 'snapshot', 'oracle', 'filters', 'wrong-answer', 'random-actions'] as const
export type CheckName = typeof checkNames[number]

/** The paper's filters on the oracle's episodes. */
export const oracleFilters = Object.freeze({ minToolCalls: 10, maxToolCalls: 256, minDistinctTools: 4 })

/** Seeds and step counts the checks use; fixed so that a report can be reproduced. */
const determinismSeed = 20250917
const snapshotSeed = 4242
const sameTaskSeed = 99
const randomSeedBase = 1000
/** Random episodes in the determinism check are truncated here (the random-actions check runs to T_max). */
const determinismRandomSteps = 64
/** Seeds drawn at the hardest difficulty; at least two distinct tasks must come out. */
const distinctTaskSeeds = 8
/** Problems kept per check; the rest are counted. */
const maxProblemsShown = 5

/** Rollback codes that mean the env itself broke, not that the agent erred. */
const envFailureCodes: ReadonlySet<RollbackCode> = new Set<RollbackCode>(['timeout', 'memory_limit', 'not_json', 'state_too_large', 'observation_too_large', 'sandbox_crashed'])
/**
 * Tool errors an env should never let an agent see: V8's own messages for bugs in env code, and
 * what a thrown non-Error turns into. A tool meant to fail throws an Error with a useful message.
 */
const envBugMessages: readonly RegExp[] = [
  /^ReferenceError: /,
  /^TypeError: (Cannot read properties of|Cannot set properties of|.* is not a function|.* is not iterable|Cannot convert undefined or null)/,
  /^RangeError: (Maximum call stack size exceeded|Invalid array length)/,
  /^(undefined|null|\[object Object\]|)$/,
  /^the env threw a value that cannot be shown$/,
]

export type CheckStatus = 'pass' | 'fail' | 'skip'

export interface CheckOutcome {
  check: CheckName
  status: CheckStatus
  /** One line: what was checked when it passed, the first reason when it failed, why when skipped. */
  detail: string
  /** Every reason it failed (at most a few, then a count). */
  problems: string[]
}

/** One oracle episode, kept for the corpus statistics. */
export interface OracleRun {
  /** 'task <id>' or '<difficulty> seed <n>'. */
  label: string
  taskId?: string
  difficulty?: string
  seed: number
  solved: boolean
  toolCalls: number
  distinctTools: string[]
}

export interface EnvCheckReport {
  envId: string
  dir: string
  ok: boolean
  checks: CheckOutcome[]
  oracleRuns: OracleRun[]
  durationMs: number
}

export interface CheckOptions {
  /** Generated tasks per difficulty solved by the oracle (seeds 1..N); also wrong answers and random episodes. Default 3. */
  seeds?: number
  /** Only these checks (default: all). */
  checks?: readonly CheckName[]
  /** Envs checked at once (default 4); the runtime's sandbox pool spreads their calls over its processes. */
  concurrency?: number
}

/** Collects the problems of one check. */
class Findings {
  readonly problems: string[] = []
  count = 0
  add (problem: string): void {
    this.count++
    if (this.problems.length < maxProblemsShown) this.problems.push(problem)
  }

  expect (condition: boolean, problem: () => string): boolean {
    if (!condition) this.add(problem())
    return condition
  }

  outcome (check: CheckName, passed: string): CheckOutcome {
    if (this.count === 0) return { check, status: 'pass', detail: passed, problems: [] }
    const problems = this.count > this.problems.length ? [...this.problems, `... and ${this.count - this.problems.length} more`] : [...this.problems]
    return { check, status: 'fail', detail: this.problems[0]!, problems }
  }
}

/** An episode played with a policy, with its actions and the committed state after every step. */
export interface RecordedEpisode extends PlayedEpisode {
  actions: unknown[]
  states: string[]
}

export async function playRecorded (episode: Episode, reset: ResetResult, policy: Policy): Promise<RecordedEpisode> {
  const actions: unknown[] = []
  const states: string[] = []
  const record = (move: Awaited<ReturnType<Policy['start']>>): typeof move => {
    if ('action' in move) actions.push(move.action)
    return move
  }
  const played = await playEpisode(episode, reset, {
    start: async (result) => record(await policy.start(result)),
    next: async (result) => {
      states.push(episode.committedState)
      return record(await policy.next(result))
    },
  })
  // next() is not asked after the last step.
  if (states.length < played.steps.length) states.push(episode.committedState)
  return { ...played, actions: actions.slice(0, played.steps.length), states }
}

/** The env's oracle.js in its own isolate; dispose it when done. */
export function oraclePolicy (spec: EnvSpec): PolicySandbox {
  if (spec.oracleSource === undefined) throw new CodeGymError('env_error', `${spec.manifest.id} has no oracle.js`)
  return new PolicySandbox(spec.oracleSource)
}

function messageOf (error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function describeOptions (options: ResetOptions): string {
  if (options.task !== undefined) return `task ${options.task}`
  return `${options.difficulty ?? 'default'} seed ${options.seed ?? '?'}`
}

function truthOf (bytes: Uint8Array): JsonValue {
  return (plainUnpackr.unpack(bytes) as Snapshot).truth
}

/** The first step index at which two recorded episodes differ, described; undefined when equal. */
function firstDifference (a: RecordedEpisode & { reset: unknown, initial: string }, b: RecordedEpisode & { reset: unknown, initial: string }): string | undefined {
  if (!isDeepStrictEqual(a.reset, b.reset)) return 'the reset results differ'
  if (a.initial !== b.initial) return 'the initial states differ'
  const length = Math.max(a.steps.length, b.steps.length)
  for (let i = 0; i < length; i++) {
    if (!isDeepStrictEqual(a.actions[i], b.actions[i])) return `step ${i + 1}: the policy chose different actions`
    if (!isDeepStrictEqual(a.steps[i], b.steps[i])) return `step ${i + 1}: different results (${JSON.stringify(a.steps[i]?.observation)} vs ${JSON.stringify(b.steps[i]?.observation)})`
    if (a.states[i] !== b.states[i]) return `step ${i + 1}: different committed states`
  }
  return undefined
}

// --- manifest: docs ---

const wordCount = (text: string): number => text.trim().split(/\s+/).filter((word) => word !== '').length

function checkDocs (spec: EnvSpec): CheckOutcome {
  const findings = new Findings()
  let parameters = 0
  for (const tool of spec.manifest.tools) {
    findings.expect(wordCount(tool.description) >= 4, () => `tool ${tool.name}: the description "${tool.description}" says too little`)
    for (const [name, property] of Object.entries(tool.parameters.properties)) {
      parameters++
      const description = typeof property?.description === 'string' ? property.description.trim() : ''
      if (!findings.expect(description !== '', () => `tool ${tool.name}: parameter ${name} has no description`)) continue
      const trivial = wordCount(description) < 2 || description.replace(/[^a-z0-9]/gi, '').toLowerCase() === name.replace(/[^a-z0-9]/gi, '').toLowerCase()
      const mentioned = new RegExp(`\\b${name.replace(/[^A-Za-z0-9_]/g, '')}\\b`, 'i').test(tool.description)
      findings.expect(!trivial || mentioned, () => `tool ${tool.name}: parameter ${name} is documented only as "${description}"`)
    }
  }
  const answer = spec.manifest.answer as { description?: unknown }
  findings.expect(typeof answer.description === 'string' && answer.description.trim() !== '', () => 'the answer schema has no description')
  return findings.outcome('manifest', `${spec.manifest.tools.length} tools and ${parameters} parameters documented`)
}

// --- wrong answers ---

function alterString (text: string): string[] {
  if (text === '') return ['a', '0']
  const first = text.charAt(0)
  const replacement = /[0-8]/.test(first) ? String(Number(first) + 1) : first === '9' ? '0' : /[a-y]/i.test(first) ? String.fromCharCode(first.charCodeAt(0) + 1) : first === 'z' ? 'a' : first === 'Z' ? 'A' : 'a'
  return [replacement + text.slice(1), text + text.charAt(text.length - 1), text.slice(1), text + 'x', '']
}

/** Values of the truth's type that differ from it, most like it first. */
function wrongCandidates (truth: JsonValue, depth = 0): JsonValue[] {
  if (depth > 4) return []
  if (typeof truth === 'number') return [truth + 1, truth - 1, -truth - 1, truth + 0.5]
  if (typeof truth === 'boolean') return [!truth]
  if (typeof truth === 'string') return alterString(truth)
  if (Array.isArray(truth)) {
    const candidates: JsonValue[] = []
    if (truth.length > 0) {
      for (const first of wrongCandidates(truth[0]!, depth + 1).slice(0, 2)) candidates.push([first, ...truth.slice(1)])
      candidates.push(truth.slice(0, -1))
      candidates.push([...truth, truth.at(-1)!])
    } else {
      candidates.push([0], ['a'], [true], [[]], [{}])
    }
    return candidates
  }
  if (truth !== null && typeof truth === 'object') {
    const candidates: JsonValue[] = []
    for (const [key, value] of Object.entries(truth)) {
      for (const other of wrongCandidates(value as JsonValue, depth + 1).slice(0, 2)) candidates.push({ ...truth, [key]: other })
    }
    return candidates
  }
  return []
}

/** A schema-valid answer that is not the truth, or undefined when none can be derived. */
export function wrongAnswer (spec: EnvSpec, truth: JsonValue): JsonValue | undefined {
  const validate = spec.parameterValidators.get(doneToolName)!
  const schema = spec.manifest.answer as { enum?: JsonValue[] }
  const candidates = [...(schema.enum ?? []).filter((value) => !isDeepStrictEqual(value, truth)), ...wrongCandidates(truth)]
  return candidates.find((candidate) => !isDeepStrictEqual(candidate, truth) && validate({ answer: candidate }))
}

// --- one env ---

class EnvChecker {
  readonly #runtime: Runtime
  readonly #spec: EnvSpec
  readonly #envId: string
  readonly #seeds: number[]
  readonly #oracle: PolicySandbox | undefined
  readonly runs: OracleRun[] = []
  #runsDone: Promise<OracleRun[]> | undefined
  #oracleActions: unknown[] | undefined

  constructor (runtime: Runtime, envId: string, seeds: number) {
    this.#runtime = runtime
    this.#envId = envId
    this.#spec = runtime.spec(envId)
    this.#seeds = Array.from({ length: seeds }, (_, i) => i + 1)
    this.#oracle = this.#spec.oracleSource === undefined ? undefined : new PolicySandbox(this.#spec.oracleSource)
  }

  dispose (): void {
    this.#oracle?.dispose()
  }

  get #difficulties (): string[] { return this.#spec.manifest.difficulties }

  /** Fixed tasks, then every difficulty with every seed: what the oracle must solve. */
  #oracleTasks (): ResetOptions[] {
    const tasks: ResetOptions[] = [...this.#spec.tasks.keys()].map((task) => ({ task, seed: 1 }))
    for (const difficulty of this.#difficulties) for (const seed of this.#seeds) tasks.push({ seed, difficulty })
    return tasks
  }

  async #play (options: ResetOptions, policy: Policy): Promise<RecordedEpisode & { reset: ResetResult, initial: string, episode: Episode }> {
    const { episode, ...reset } = await this.#runtime.reset(this.#envId, options)
    const initial = episode.committedState
    const recorded = await playRecorded(episode, reset, policy)
    return { ...recorded, reset, initial, episode }
  }

  #requireOracle (): PolicySandbox {
    if (this.#oracle === undefined) throw new Error('the package has no oracle.js')
    return this.#oracle
  }

  async run (check: CheckName): Promise<CheckOutcome> {
    try {
      switch (check) {
        case 'manifest': return checkDocs(this.#spec)
        case 'statement': return await this.statement()
        case 'determinism': return await this.determinism()
        case 'snapshot': return await this.snapshot()
        case 'oracle': return await this.oracle()
        case 'filters': return await this.filters()
        case 'wrong-answer': return await this.wrongAnswer()
        case 'random-actions': return await this.randomActions()
      }
    } catch (error) {
      const detail = `stopped by an error: ${messageOf(error)}`
      return { check, status: 'fail', detail, problems: [detail] }
    }
  }

  async statement (): Promise<CheckOutcome> {
    const findings = new Findings()
    const { statement } = this.#spec.manifest
    const cases: ResetOptions[] = [...this.#spec.tasks.keys()].map((task) => ({ task, seed: 1 }))
    for (const difficulty of this.#difficulties) cases.push({ seed: 1, difficulty })
    for (const options of cases) {
      const { observation, info, episode } = await this.#runtime.reset(this.#envId, options)
      episode.close()
      const missing = unfilledPlaceholders(statement, observation)
      findings.expect(missing.length === 0, () => `${describeOptions(options)}: the initial observation does not fill ${missing.map((key) => `{{${key}}}`).join(', ')}`)
      findings.expect(info.task.trim() !== '', () => `${describeOptions(options)}: the statement is empty`)
    }
    return findings.outcome('statement', `placeholders filled on ${cases.length} tasks`)
  }

  async determinism (): Promise<CheckOutcome> {
    const findings = new Findings()
    const oracle = this.#requireOracle()
    for (const difficulty of this.#difficulties) {
      const policies: Array<['oracle' | 'random', () => Policy, ResetOptions]> = [
        ['oracle', () => oracle, { seed: determinismSeed, difficulty }],
        ['random', () => randomPolicy(this.#spec, 7), { seed: determinismSeed, difficulty, maxSteps: determinismRandomSteps }],
      ]
      for (const [name, policy, options] of policies) {
        const first = await this.#play(options, policy())
        const second = await this.#play(options, policy())
        const difference = firstDifference(first, second)
        findings.expect(difference === undefined, () => `${difficulty} seed ${determinismSeed}, ${name} policy, two runs: ${difference ?? ''}`)
        if (name === 'random') {
          findings.expect(first.truncated && first.steps.length === determinismRandomSteps,
            () => `${difficulty} random policy: ${first.steps.length} of ${determinismRandomSteps} actions taken before the episode ended`)
        }
      }
    }
    const hardest = this.#difficulties.at(-1)!
    const configs = new Set<string>()
    for (let seed = 1; seed <= distinctTaskSeeds; seed++) {
      const { episode } = await this.#runtime.reset(this.#envId, { seed, difficulty: hardest })
      configs.add(JSON.stringify((plainUnpackr.unpack(await episode.snapshot()) as Snapshot).config))
      episode.close()
    }
    findings.expect(configs.size > 1, () => `${distinctTaskSeeds} seeds at ${hardest} gave ${configs.size} distinct task: the generator ignores its seed`)
    const a = await this.#runtime.reset(this.#envId, { seed: sameTaskSeed })
    const b = await this.#runtime.reset(this.#envId, { seed: sameTaskSeed })
    findings.expect(a.episode.committedState === b.episode.committedState && isDeepStrictEqual(a.info, b.info) && isDeepStrictEqual(a.observation, b.observation),
      () => `two resets with seed ${sameTaskSeed} gave different episodes`)
    return findings.outcome('determinism', `oracle and random runs repeat exactly on ${this.#difficulties.length} difficulties; ${configs.size} tasks from ${distinctTaskSeeds} seeds`)
  }

  /** The oracle's actions on one task, replayed by the snapshot check. */
  async #referenceActions (options: ResetOptions): Promise<unknown[]> {
    if (this.#oracleActions === undefined) {
      const played = await this.#play(options, this.#requireOracle())
      this.#oracleActions = played.actions
    }
    return this.#oracleActions
  }

  async snapshot (): Promise<CheckOutcome> {
    const findings = new Findings()
    const runtime = this.#runtime
    const options: ResetOptions = { seed: snapshotSeed, difficulty: this.#difficulties.at(-1)! }
    const actions = await this.#referenceActions(options)
    if (!findings.expect(actions.length >= 4, () => `the oracle took only ${actions.length} actions; at least 4 are needed to test snapshots`)) {
      return findings.outcome('snapshot', '')
    }
    const decode = (bytes: Uint8Array): Snapshot => plainUnpackr.unpack(bytes) as Snapshot

    // Mid-episode: a restored copy and a fork continue exactly like the original.
    const { episode: original } = await runtime.reset(this.#envId, options)
    const half = Math.floor(actions.length / 2)
    for (const action of actions.slice(0, half)) await original.step(action)
    const restored = runtime.restore(await original.snapshot())
    const forked = await original.fork()
    for (const [name, copy] of [['restored', restored], ['forked', forked]] as const) {
      findings.expect(copy.committedState === original.committedState && copy.stepCount === half && copy.status === 'running' &&
        copy.envId === this.#envId && copy.seed === original.seed && copy.difficulty === original.difficulty && copy.maxSteps === original.maxSteps,
      () => `the ${name} copy does not start where the original is`)
    }
    findings.expect(isDeepStrictEqual(await restored.observe(), await original.observe()), () => 'the restored copy observes something else')
    for (const [index, action] of actions.slice(half).entries()) {
      const [a, b, c] = await Promise.all([original.step(action), restored.step(action), forked.step(action)])
      const step = half + index + 1
      findings.expect(isDeepStrictEqual(b, a) && restored.committedState === original.committedState, () => `step ${step}: the restored copy answers differently`)
      findings.expect(isDeepStrictEqual(c, a) && forked.committedState === original.committedState, () => `step ${step}: the fork answers differently`)
      if (findings.count > 0) break
    }
    findings.expect(original.status === 'terminated' && restored.status === 'terminated' && forked.status === 'terminated',
      () => `after the oracle's actions the episodes are ${original.status}, ${restored.status}, ${forked.status}, not terminated`)
    findings.expect(isDeepStrictEqual(decode(await restored.snapshot()), decode(await original.snapshot())), () => 'the final snapshots of the original and the restored copy differ')

    // Copies are independent.
    const { episode: source } = await runtime.reset(this.#envId, options)
    await source.step(actions[0])
    const fork = await source.fork()
    const copy = runtime.restore(await source.snapshot())
    const before = source.committedState
    await fork.step(actions.at(-1))
    for (const action of actions.slice(1, 4)) await copy.step(action)
    findings.expect(source.committedState === before && source.stepCount === 1 && source.status === 'running', () => 'stepping a fork or a restored copy changed the original')
    fork.close()
    findings.expect(source.status === 'running', () => 'closing a fork closed the original')

    // An ended episode restores as ended.
    for (const end of ['terminated', 'truncated'] as const) {
      const { episode } = await runtime.reset(this.#envId, end === 'truncated' ? { ...options, maxSteps: 2 } : options)
      if (end === 'terminated') await episode.step(actions.at(-1))
      else for (const action of actions.slice(0, 2)) await episode.step(action)
      if (!findings.expect(episode.status === end, () => `the episode is ${episode.status}, not ${end}, after the oracle's ${end === 'terminated' ? 'last action' : 'first two actions'}`)) continue
      const back = runtime.restore(await episode.snapshot())
      findings.expect(back.status === end && back.stepCount === episode.stepCount, () => `a ${end} episode restores as ${back.status} at step ${back.stepCount}`)
      const refused = await back.step(actions[0]).then(() => false, (error: unknown) => error instanceof CodeGymError && error.code === 'episode_ended')
      findings.expect(refused, () => `a restored ${end} episode takes steps`)
      findings.expect(isDeepStrictEqual(await back.observe(), await episode.observe()), () => `a restored ${end} episode observes something else`)
      findings.expect((await episode.fork()).status === end, () => `a fork of a ${end} episode is not ${end}`)
    }
    return findings.outcome('snapshot', `restore and fork at step ${half} of ${actions.length} continue identically`)
  }

  #oracleRuns (): Promise<OracleRun[]> {
    this.#runsDone ??= this.#solveAll()
    return this.#runsDone
  }

  async #solveAll (): Promise<OracleRun[]> {
    const oracle = this.#requireOracle()
    for (const options of this.#oracleTasks()) {
      const played = await this.#play(options, oracle)
      const rolledBack = played.steps.find((step) => step.info.rolledBack)
      const failure = played.policyError ?? (rolledBack !== undefined ? `step ${rolledBack.info.step} failed: ${JSON.stringify(rolledBack.observation)}` : undefined) ??
        (played.terminated ? undefined : 'the episode did not end with Done') ??
        (played.reward === 1 ? undefined : `reward ${played.reward}: ${JSON.stringify(played.steps.at(-1)?.observation)}`)
      const run: OracleRun & { failure?: string } = {
        label: describeOptions(options),
        seed: options.seed ?? 0,
        solved: failure === undefined,
        toolCalls: played.toolCalls,
        distinctTools: played.distinctTools,
      }
      if (options.task !== undefined) run.taskId = options.task
      const difficulty = options.task !== undefined ? this.#spec.tasks.get(options.task)?.difficulty : options.difficulty
      if (difficulty !== undefined) run.difficulty = difficulty
      if (failure !== undefined) Object.defineProperty(run, 'failure', { value: failure, enumerable: false })
      this.runs.push(run)
    }
    return this.runs
  }

  async oracle (): Promise<CheckOutcome> {
    const findings = new Findings()
    const runs = await this.#oracleRuns()
    for (const run of runs) findings.expect(run.solved, () => `${run.label}: ${(run as { failure?: string }).failure ?? 'not solved'}`)
    return findings.outcome('oracle', `reward 1 on ${runs.length} tasks (${this.#spec.tasks.size} fixed, ${this.#difficulties.length} difficulties x ${this.#seeds.length} seeds)`)
  }

  async filters (): Promise<CheckOutcome> {
    const findings = new Findings()
    const runs = await this.#oracleRuns()
    const { minToolCalls, maxToolCalls, minDistinctTools } = oracleFilters
    for (const run of runs) {
      findings.expect(run.toolCalls >= minToolCalls && run.toolCalls <= maxToolCalls, () => `${run.label}: the oracle made ${run.toolCalls} tool calls, outside ${minToolCalls}..${maxToolCalls}`)
      const tools = run.distinctTools.filter((name) => name !== doneToolName)
      findings.expect(tools.length >= minDistinctTools, () => `${run.label}: the oracle used ${tools.length} distinct tools besides Done (${tools.join(', ')}), fewer than ${minDistinctTools}`)
    }
    const calls = runs.map((run) => run.toolCalls)
    const tools = runs.map((run) => run.distinctTools.filter((name) => name !== doneToolName).length)
    return findings.outcome('filters', `${Math.min(...calls)}..${Math.max(...calls)} tool calls, at least ${Math.min(...tools)} distinct tools besides Done`)
  }

  async wrongAnswer (): Promise<CheckOutcome> {
    const findings = new Findings()
    const underived: string[] = []
    let submitted = 0
    for (const [index, seed] of this.#seeds.entries()) {
      const difficulty = this.#difficulties[index % this.#difficulties.length]!
      const { episode } = await this.#runtime.reset(this.#envId, { seed, difficulty })
      const truth = truthOf(await episode.snapshot())
      const wrong = wrongAnswer(this.#spec, truth)
      if (wrong === undefined) {
        underived.push(JSON.stringify(truth))
        episode.close()
        continue
      }
      submitted++
      const result = await episode.done(wrong)
      const what = `${difficulty} seed ${seed}: Done(${JSON.stringify(wrong)}) against ${JSON.stringify(truth)}`
      findings.expect(!result.info.rolledBack, () => `${what} was rolled back: ${JSON.stringify(result.observation)}`)
      findings.expect(result.reward === 0 && result.info.correct === false, () => `${what} was judged correct`)
      findings.expect(result.terminated, () => `${what} did not end the episode`)
    }
    if (submitted === 0 && findings.count === 0) {
      return { check: 'wrong-answer', status: 'skip', detail: `no schema-valid wrong answer can be derived from the truth (${underived[0] ?? '?'})`, problems: [] }
    }
    return findings.outcome('wrong-answer', `${submitted} wrong answers scored 0` + (underived.length > 0 ? ` (none derivable for ${underived.length})` : ''))
  }

  async randomActions (): Promise<CheckOutcome> {
    const findings = new Findings()
    let steps = 0
    for (const [index] of this.#seeds.entries()) {
      const seed = randomSeedBase + index
      const difficulty = this.#difficulties[index % this.#difficulties.length]!
      const { episode, ...reset } = await this.#runtime.reset(this.#envId, { seed, difficulty })
      // Every other episode ends with a random Done somewhere in its first half; the rest run to T_max.
      const doneAfter = index % 2 === 1 ? 1 + ((seed * 7919) % Math.max(1, Math.floor(episode.maxSteps / 2))) : undefined
      const what = `${difficulty} seed ${seed}`
      let played: PlayedEpisode
      try {
        const policy = randomPolicy(this.#spec, seed, doneAfter === undefined ? {} : { doneAfter })
        // The first env failure is the finding; playing on would only add more (a looping tool costs its whole time limit each time).
        played = await playEpisode(episode, reset, { start: policy.start, next: (result) => isEnvFailure(result) ? { finished: true } : policy.next(result) })
      } catch (error) {
        findings.add(`${what}: the episode failed: ${messageOf(error)}`)
        continue
      }
      steps += played.steps.length
      const bad = played.steps.find((step) => isEnvFailure(step))
      if (bad !== undefined) {
        findings.add(`${what}, step ${bad.info.step}: ${bad.info.tool ?? 'the action'} failed with ${bad.info.error?.code ?? '?'}: ${bad.info.error?.message ?? ''}`)
        continue
      }
      const ended = played.terminated || (played.truncated && played.steps.length === episode.maxSteps)
      findings.expect(ended, () => `${what}: the episode neither ended with Done nor was truncated at T_max=${episode.maxSteps} (${played.steps.length} steps${played.policyError !== undefined ? `; ${played.policyError}` : ''})`)
      await episode.observe().catch((error: unknown) => findings.add(`${what}: observe() failed at the end: ${messageOf(error)}`))
    }
    return findings.outcome('random-actions', `${this.#seeds.length} random episodes, ${steps} actions, no env failure`)
  }
}

/** A step whose failure is the env's fault: sandbox limits, Observe failing, or a bug's message. */
function isEnvFailure (step: StepResult): boolean {
  const error = step.info.error
  if (!step.info.rolledBack || error === undefined) return false
  if (envFailureCodes.has(error.code)) return true
  if (error.code !== 'tool_error') return false
  if (step.info.tool === observeToolName) return true
  return envBugMessages.some((pattern) => pattern.test(error.message))
}

/** Runs the checks on one env of a runtime. */
export async function checkEnv (runtime: Runtime, envId: string, options: CheckOptions = {}): Promise<EnvCheckReport> {
  const started = performance.now()
  const spec = runtime.spec(envId)
  const wanted = options.checks ?? checkNames
  const checker = new EnvChecker(runtime, envId, options.seeds ?? 3)
  const checks: CheckOutcome[] = []
  try {
    for (const check of checkNames) if (wanted.includes(check)) checks.push(await checker.run(check))
  } finally {
    checker.dispose()
  }
  return {
    envId,
    dir: spec.dir,
    ok: checks.every((check) => check.status !== 'fail'),
    checks,
    oracleRuns: checker.runs,
    durationMs: Math.round(performance.now() - started),
  }
}

/** Checks several envs of a runtime, a few at once; reports in the order of envIds. */
export async function checkEnvs (runtime: Runtime, envIds: readonly string[], options: CheckOptions = {}): Promise<EnvCheckReport[]> {
  const reports = new Array<EnvCheckReport>(envIds.length)
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < envIds.length) {
      const index = next++
      reports[index] = await checkEnv(runtime, envIds[index]!, options)
    }
  }
  const lanes = Math.max(1, Math.min(options.concurrency ?? 4, envIds.length))
  await Promise.all(Array.from({ length: lanes }, lane))
  return reports
}

/** Whether a name a person typed names an env: its id, its folder, or its id without the prefix (and version). */
export function envNameMatches (name: string, id: string, dir: string): boolean {
  const short = id.replace(/^[^/]*\//, '')
  return name === id || name === basename(dir) || name === short || name === short.replace(/-v\d+$/, '')
}

export interface CheckPackagesResult {
  reports: EnvCheckReport[]
  /** The envs that loaded, with their specs (for statistics). */
  specs: EnvSpec[]
}

/**
 * Loads every package under envDirs one by one (a package that does not load fails its manifest
 * check instead of stopping the rest), keeps those named (by id, folder name, or id without the
 * codegym/ prefix and version), and checks them.
 */
export async function checkPackages (envDirs: readonly string[], names: readonly string[], options: CheckOptions & { sandbox?: RuntimeOptions['sandbox'] } = {}): Promise<CheckPackagesResult> {
  const loaded: EnvSpec[] = []
  const failed: EnvCheckReport[] = []
  for (const envDir of envDirs) {
    const found = await findEnvPackages(envDir).catch(() => [])
    for (const dir of found.length > 0 ? found : [envDir]) {
      try {
        loaded.push(await loadEnvPackage(dir))
      } catch (error) {
        const detail = error instanceof EnvLoadError ? error.message.slice(dir.length + 2) : messageOf(error)
        failed.push({ envId: basename(dir), dir, ok: false, checks: [{ check: 'manifest', status: 'fail', detail, problems: [detail] }], oracleRuns: [], durationMs: 0 })
      }
    }
  }
  const matches = envNameMatches
  for (const name of names) {
    if (!loaded.some((spec) => matches(name, spec.manifest.id, spec.dir)) && !failed.some((report) => matches(name, report.envId, report.dir))) {
      throw new CodeGymError('unknown_env', `no env ${JSON.stringify(name)} in ${envDirs.join(', ')}`)
    }
  }
  const selected = names.length === 0 ? loaded : loaded.filter((spec) => names.some((name) => matches(name, spec.manifest.id, spec.dir)))
  const failedSelected = names.length === 0 ? failed : failed.filter((report) => names.some((name) => matches(name, report.envId, report.dir)))
  if (selected.length === 0) return { reports: failedSelected, specs: [] }
  const runtime = await Runtime.create({ envDirs: selected.map((spec) => spec.dir), ...(options.sandbox !== undefined ? { sandbox: options.sandbox } : {}) })
  try {
    const reports = await checkEnvs(runtime, runtime.envIds(), options)
    return { reports: [...reports, ...failedSelected].sort((a, b) => a.envId.localeCompare(b.envId)), specs: runtime.envIds().map((id) => runtime.spec(id)) }
  } finally {
    await runtime.close()
  }
}

/** The text report: per env, one line per check. */
export function formatReports (reports: readonly EnvCheckReport[]): string {
  const lines: string[] = []
  const width = Math.max(...checkNames.map((name) => name.length))
  for (const report of reports) {
    lines.push(`${report.ok ? 'ok  ' : 'FAIL'} ${report.envId}  (${report.dir}, ${(report.durationMs / 1000).toFixed(1)} s)`)
    for (const check of report.checks) {
      lines.push(`  ${check.status.toUpperCase().padEnd(4)} ${check.check.padEnd(width)}  ${check.detail}`)
      for (const problem of check.problems.slice(1)) lines.push(`  ${''.padEnd(4)} ${''.padEnd(width)}  ${problem}`)
    }
  }
  const failed = reports.filter((report) => !report.ok).length
  lines.push(`${reports.length} envs checked: ${reports.length - failed} passed, ${failed} failed`)
  return lines.join('\n')
}
