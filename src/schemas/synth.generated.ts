/* Generated from schemas/ by scripts/gen-types.ts. Do not edit; run `npm run gen:types`. */

import type { Attribution } from './env.generated.ts'
export type { Attribution } from './env.generated.ts'

/**
 * A problem's id: lower-case letters, digits, '-' and '_'. It names the problem's work folder and its env (synth/<id>-v1).
 *
 * This interface was referenced by `CodeGymSynthSchemas`'s JSON-Schema
 * via the `definition` "ProblemId".
 */
export type ProblemId = string
/**
 * A per-problem stage of the pipeline, in the order they run.
 *
 * This interface was referenced by `CodeGymSynthSchemas`'s JSON-Schema
 * via the `definition` "SynthStage".
 */
export type SynthStage = 'gym' | 'inputs' | 'verify' | 'filters' | 'difficulty'
/**
 * kept: the problem goes on; rejected: the pipeline dropped it (a reason says why; a rerun keeps the verdict); error: the stage could not finish (e.g. the LLM endpoint failed), so a rerun tries it again; skipped: the stage was not configured (the difficulty filter without a reference policy) and the problem goes on.
 *
 * This interface was referenced by `CodeGymSynthSchemas`'s JSON-Schema
 * via the `definition` "StageOutcome".
 */
export type StageOutcome = 'kept' | 'rejected' | 'error' | 'skipped'
/**
 * Why a stage rejected a problem or failed. src/synth/README.md lists the same catalogue; a test holds them equal.
 *
 * This interface was referenced by `CodeGymSynthSchemas`'s JSON-Schema
 * via the `definition` "SynthReasonCode".
 */
export type SynthReasonCode =
  | 'llm_failed'
  | 'llm_unparseable'
  | 'manifest_invalid'
  | 'env_load_failed'
  | 'env_smoke_failed'
  | 'doc_leak'
  | 'generator_failed'
  | 'reference_failed'
  | 'answer_mismatch'
  | 'no_solver_passed'
  | 'too_few_calls'
  | 'too_many_calls'
  | 'too_few_tools'
  | 'checker_failed'
  | 'too_easy'
  | 'policy_failed'

/**
 * The environment synthesis pipeline (codegym synth): its input problems, the status it records per problem and stage, and its report. Every TypeScript type and validator for these shapes is derived from this file.
 */
export interface CodeGymSynthSchemas {
  [k: string]: unknown | undefined
}
/**
 * One unit test of a problem: an input for the reference solution, and optionally the output it must give.
 *
 * This interface was referenced by `CodeGymSynthSchemas`'s JSON-Schema
 * via the `definition` "ProblemTest".
 */
export interface ProblemTest {
  /**
   * The argument of the solution's entry function; it becomes an env task config.
   */
  input: {
    [k: string]: unknown | undefined
  }
  /**
   * The output the reference solution must return for this input.
   */
  expected?: unknown
  /**
   * A difficulty level of the env (e.g. easy); default: the env's first level.
   */
  difficulty?: string
}
/**
 * One line of the problems JSONL that codegym synth reads.
 *
 * This interface was referenced by `CodeGymSynthSchemas`'s JSON-Schema
 * via the `definition` "SynthProblem".
 */
export interface SynthProblem {
  id: ProblemId
  title?: string
  /**
   * The programming problem as given to a person.
   */
  statement: string
  /**
   * Reference solution: JavaScript source that defines the entry function (default solve(input)). It runs only in the sandbox.
   */
  solution: string
  /**
   * Name of the entry function in solution; default solve.
   */
  entry?: string
  /**
   * @maxItems 200
   */
  tests?: ProblemTest[]
  /**
   * An env category (see envs/README.md); default: the one the LLM picks.
   */
  category?: string
  source?: Attribution
  /**
   * Anything else about the problem; copied into the report.
   */
  metadata?: {
    [k: string]: unknown | undefined
  }
}
/**
 * This interface was referenced by `CodeGymSynthSchemas`'s JSON-Schema
 * via the `definition` "StageReason".
 */
export interface StageReason {
  code: SynthReasonCode
  message: string
}
/**
 * status.json in work/<problem>/<stage>/: the stage's verdict. A rerun skips a stage whose status is kept, rejected or skipped.
 *
 * This interface was referenced by `CodeGymSynthSchemas`'s JSON-Schema
 * via the `definition` "StageStatus".
 */
export interface StageStatus {
  problemId: ProblemId
  stage: SynthStage
  status: StageOutcome
  reason?: StageReason
  /**
   * LLM answers the stage used (pass@K: solvers tried).
   */
  attempts: number
  /**
   * Version of the prompt file the stage used.
   */
  promptVersion?: string
  /**
   * ISO 8601 time the stage started.
   */
  startedAt: string
  durationMs: number
  /**
   * Stage-specific facts (tasks, tool calls, solve rates, ...).
   */
  details?: {
    [k: string]: unknown | undefined
  }
}
