// Every knob of the synthesis pipeline, with its default: the one table the CLI and the README read.
import { oracleFilters } from '../env-check/index.ts'

export interface SynthLimits {
  /** Solver programs the LLM writes per env (pass@K). */
  k: number
  /** Fewest tool calls the oracle may make on a task. */
  minCalls: number
  /** Most tool calls the oracle may make on a task. */
  maxCalls: number
  /** Fewest distinct tools besides Done the oracle must use on a task. */
  minTools: number
  /** Episodes of the reference policy per task. */
  difficultyTries: number
  /** A task is kept when the reference policy solves at most this fraction of its tries. */
  maxSolveRate: number
  /** Inputs drawn from the input generator per difficulty level (seeds 1..N). */
  inputsPerDifficulty: number
  /** Fewest distinct unit-test inputs an env must have. */
  minInputs: number
  /** Most unit-test inputs kept (generated first per level, then edge cases, then the problem's tests). */
  maxInputs: number
  /** Problems worked on at once; also the LLM requests in flight. */
  concurrency: number
}

export const defaultSynthLimits: Readonly<SynthLimits> = Object.freeze({
  k: 10,
  minCalls: oracleFilters.minToolCalls,
  maxCalls: oracleFilters.maxToolCalls,
  minTools: oracleFilters.minDistinctTools,
  difficultyTries: 4,
  maxSolveRate: 0.25,
  inputsPerDifficulty: 3,
  minInputs: 3,
  maxInputs: 40,
  concurrency: 4,
})

export interface LlmSettings {
  /** Base URL of an OpenAI-compatible API, with or without /v1 (e.g. http://localhost:8000/v1). */
  url: string
  model: string
  temperature: number
  /** Sent as the request's seed, plus the attempt number, so a rerun asks the same question the same way. */
  seed: number
  /** Bearer token, when the endpoint needs one. */
  apiKey?: string
  /** Largest completion asked for. */
  maxTokens: number
  /** Time one request may take before it is abandoned (and retried). */
  requestTimeoutMs: number
  /** Retries after a 429, a 5xx, a time-out or a connection error; other errors are not retried. */
  maxRetries: number
  /** Wait before the first retry; doubles each time. */
  retryBaseDelayMs: number
  /** Requests in flight at once. */
  concurrency: number
}

export const defaultLlmSettings: Readonly<Omit<LlmSettings, 'url' | 'model'>> = Object.freeze({
  temperature: 0.7,
  seed: 0,
  maxTokens: 8192,
  requestTimeoutMs: 300_000,
  maxRetries: 3,
  retryBaseDelayMs: 500,
  concurrency: 4,
})

/** Limits for the untrusted code the pipeline runs itself: reference solutions and input generators. */
export const defaultSynthSandbox = Object.freeze({
  /** Time one reference-solution or generator call may run (wall clock). */
  callTimeoutMs: 2000,
  /** Heap of the sandbox isolate that runs them. */
  isolateMemoryLimitMb: 128,
  /** Sandbox processes. */
  workers: 1,
})

/** The reference policy of the difficulty filter. */
export interface PolicySettings extends LlmSettings {
  /** T_max of the reference policy's episodes (the reset's maxSteps); default: the env's own. */
  maxSteps?: number
}

export const defaultPolicySettings = Object.freeze({
  ...defaultLlmSettings,
  temperature: 1,
  maxTokens: 1024,
  requestTimeoutMs: 120_000,
})
