// What the checks of one env share: its runtime and spec, the seeds, the oracle in its sandbox, and
// the oracle's runs (played once, read by the oracle and filters checks).
import type { Episode } from '../env/episode.ts'
import type { EnvSpec } from '../env/package.ts'
import type { Runtime } from '../env/runtime.ts'
import { PolicySandbox } from '../sandbox/policy-runner.ts'
import type { ResetOptions, ResetResult } from '../schemas/env.generated.ts'
import { playRecorded, type Policy, type RecordedEpisode } from './play.ts'
import type { OracleRun } from './types.ts'

/** An oracle run that failed keeps its reason (not enumerable: reports stay plain OracleRuns). */
export type OracleRunWithFailure = OracleRun & { failure?: string }

export type PlayedForCheck = RecordedEpisode & { reset: ResetResult, initial: string, episode: Episode }

export function describeOptions (options: ResetOptions): string {
  if (options.task !== undefined) return `task ${options.task}`
  return `${options.difficulty ?? 'default'} seed ${options.seed ?? '?'}`
}

export class CheckContext {
  readonly runtime: Runtime
  readonly spec: EnvSpec
  readonly envId: string
  /** Generated-task seeds: 1..N. */
  readonly seeds: number[]
  readonly runs: OracleRunWithFailure[] = []
  readonly #oracle: PolicySandbox | undefined
  #runsDone: Promise<OracleRun[]> | undefined
  #oracleActions: unknown[] | undefined

  constructor (runtime: Runtime, envId: string, seeds: number) {
    this.runtime = runtime
    this.envId = envId
    this.spec = runtime.spec(envId)
    this.seeds = Array.from({ length: seeds }, (_, i) => i + 1)
    this.#oracle = this.spec.oracleSource === undefined ? undefined : new PolicySandbox(this.spec.oracleSource)
  }

  dispose (): void {
    this.#oracle?.dispose()
  }

  get difficulties (): string[] { return this.spec.manifest.difficulties }

  oracle (): PolicySandbox {
    if (this.#oracle === undefined) throw new Error('the package has no oracle.js')
    return this.#oracle
  }

  async play (options: ResetOptions, policy: Policy): Promise<PlayedForCheck> {
    const { episode, ...reset } = await this.runtime.reset(this.envId, options)
    const initial = episode.committedState
    const recorded = await playRecorded(episode, reset, policy)
    return { ...recorded, reset, initial, episode }
  }

  /** The oracle's actions on one task (the first asked for), replayed by the snapshot check. */
  async referenceActions (options: ResetOptions): Promise<unknown[]> {
    if (this.#oracleActions === undefined) {
      const played = await this.play(options, this.oracle())
      this.#oracleActions = played.actions
    }
    return this.#oracleActions
  }

  /** Fixed tasks, then every difficulty with every seed: what the oracle must solve. */
  oracleTasks (): ResetOptions[] {
    const tasks: ResetOptions[] = [...this.spec.tasks.keys()].map((task) => ({ task, seed: 1 }))
    for (const difficulty of this.difficulties) for (const seed of this.seeds) tasks.push({ seed, difficulty })
    return tasks
  }

  /** The oracle on every task of oracleTasks(), played once however many checks ask. */
  oracleRuns (): Promise<OracleRun[]> {
    this.#runsDone ??= this.#solveAll()
    return this.#runsDone
  }

  async #solveAll (): Promise<OracleRun[]> {
    const oracle = this.oracle()
    for (const options of this.oracleTasks()) {
      const played = await this.play(options, oracle)
      const rolledBack = played.steps.find((step) => step.info.rolledBack)
      const failure = played.policyError ?? (rolledBack !== undefined ? `step ${rolledBack.info.step} failed: ${JSON.stringify(rolledBack.observation)}` : undefined) ??
        (played.terminated ? undefined : 'the episode did not end with Done') ??
        (played.reward === 1 ? undefined : `reward ${played.reward}: ${JSON.stringify(played.steps.at(-1)?.observation)}`)
      const run: OracleRunWithFailure = {
        label: describeOptions(options),
        seed: options.seed ?? 0,
        solved: failure === undefined,
        toolCalls: played.toolCalls,
        distinctTools: played.distinctTools,
      }
      if (options.task !== undefined) run.taskId = options.task
      const difficulty = options.task !== undefined ? this.spec.tasks.get(options.task)?.difficulty : options.difficulty
      if (difficulty !== undefined) run.difficulty = difficulty
      if (failure !== undefined) Object.defineProperty(run, 'failure', { value: failure, enumerable: false })
      this.runs.push(run)
    }
    return this.runs
  }
}
