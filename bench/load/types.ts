// Messages between bench/load/run.ts and its generator processes.

/** Relative weights of the kinds of step a session takes. */
export interface StepMix {
  /** a tool call that succeeds (GetElement in range) */
  valid: number
  /** a tool call that fails and is rolled back (GetElement out of range) */
  fail: number
  /** the built-in Observe */
  observe: number
  /** Done with the right answer, then a reset of the session */
  done: number
}

export interface BenchTask { id: string, values: number[], answer: number }

export interface GeneratorConfig {
  mode: 'steps' | 'echo' | 'idle'
  url: string
  connections: number
  sessions: number
  mix: StepMix
  warmupMs: number
  durationMs: number
  /** Requests per second this process sends in all; 0 for as fast as answers come back. */
  ratePerSecond: number
  seed: number
  tasks: BenchTask[]
}

/** The kinds of step in the order of their codes in GeneratorReport.kinds. */
export const stepKinds = ['valid', 'fail', 'observe', 'done'] as const satisfies ReadonlyArray<keyof StepMix>

export interface GeneratorReport {
  seconds: number
  requests: number
  latenciesMs: Float64Array
  /** Per latency, the index in stepKinds of the step it measured (echo requests count as valid). */
  kinds: Uint8Array
  /** This generator process's own CPU time (user + system) over its measured window. */
  cpuMicros: number
  errors: Record<string, number>
  rollbacks: number
  checked: number
  wrong: number
  firstWrong: string | undefined
}

export type GeneratorMessage =
  | { kind: 'report', report: GeneratorReport }
  | { kind: 'failed', message: string }
  | { kind: 'holding', sessions: number }
  /** The measured window starts now (after the warmup): the parent reads /proc of the server. */
  | { kind: 'measuring' }
  /** The measured window ended now; the report follows once every session has stopped. */
  | { kind: 'measured' }
