// What the env checker reports: one outcome per check, per env.

/** The checks, in the order they run and are reported. */
export const checkNames = ['manifest', 'statement', 'determinism', 'snapshot', 'oracle', 'filters', 'wrong-answer', 'random-actions'] as const
export type CheckName = typeof checkNames[number]

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
