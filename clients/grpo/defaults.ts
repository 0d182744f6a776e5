// Every limit of the rollout client, in one table: named defaults with their units in the names.
// RolloutOptions overrides any of them; the CLI exposes them as flags.
import type { SamplingControls } from './backends/types.ts'

export const rolloutDefaults = Object.freeze({
  /** Episodes started and not yet finished, over all backends. A full 512 × 8 batch fits. */
  maxRolloutsInFlight: 4096,
  /** Generation requests one backend has in flight at once; more wait their turn in the client. */
  maxConcurrentRequestsPerBackend: 4096,
  /** A generation request that takes longer is abandoned (and retried, see below). */
  requestTimeoutMs: 120_000,
  /** Extra attempts of a generation request after a retryable failure (5xx, 429, network, timeout). */
  maxRequestRetries: 2,
  /** Wait before the first retry; doubles with each further one. */
  retryInitialDelayMs: 200,
  /** Tokens the policy may sample in one turn. */
  maxTokensPerTurn: 1024,
  /** Prompt plus every turn, in tokens: the episode ends with 'context_limit' when it is reached. */
  maxContextTokens: 32_768,
  /** CodeGymClient connections per env server; sessions are spread over them. */
  connectionsPerEnvServer: 2,
  /** Time an env request may take before the rollout ends with 'error'. */
  envRequestTimeoutMs: 60_000,
  /** Added to the standard deviation in the GRPO advantage. */
  advantageEpsilon: 1e-6,
  /**
   * Sampling controls sent with every generation request, each backend in its own field names. The
   * defaults switch every control but the temperature off, so the backend samples from the model's
   * plain distribution at that temperature, whatever its own defaults.
   */
  temperature: 1,
  /** Nucleus sampling, in (0, 1]; 1 = off. */
  topP: 1,
  /** Top-k tokens, ≥ 1; -1 = off. */
  topK: -1,
  /** Min-p, in [0, 1]; 0 = off. */
  minP: 0,
  /** Multiplicative repetition penalty, > 0; 1 = off. */
  repetitionPenalty: 1,
  /** OpenAI's presence penalty, in [-2, 2]; 0 = off. */
  presencePenalty: 0,
  /** OpenAI's frequency penalty, in [-2, 2]; 0 = off. */
  frequencyPenalty: 0,
  /** How often the plain (non-TTY) progress line is printed. */
  progressIntervalMs: 10_000,
})

export type RolloutLimits = { -readonly [K in keyof typeof rolloutDefaults]: number }

/** The range each limit must be in (inclusive unless said); a limit not listed is a number ≥ 1. */
export const rolloutLimitRanges: Readonly<Partial<Record<keyof RolloutLimits, { min: number, max?: number, minExclusive?: boolean, integer?: boolean }>>> = Object.freeze({
  maxRequestRetries: { min: 0, integer: true },
  retryInitialDelayMs: { min: 0 },
  advantageEpsilon: { min: 0 },
  temperature: { min: 0 },
  topP: { min: 0, max: 1, minExclusive: true },
  topK: { min: -1, integer: true },
  minP: { min: 0, max: 1 },
  repetitionPenalty: { min: 0, minExclusive: true },
  presencePenalty: { min: -2, max: 2 },
  frequencyPenalty: { min: -2, max: 2 },
})

/** The sampling controls of rolloutDefaults, with no stop strings: what a request sends unless told otherwise. */
export function defaultSamplingControls (): SamplingControls {
  const { temperature, topP, topK, minP, repetitionPenalty, presencePenalty, frequencyPenalty } = rolloutDefaults
  return { temperature, topP, topK, minP, repetitionPenalty, presencePenalty, frequencyPenalty, stop: [] }
}

/** Defaults of `codegym rollout` beyond the library's limits. */
export const rolloutCliDefaults = Object.freeze({
  /**
   * The CLI exits non-zero when more than this fraction of the batch's rollouts ended with 'error'
   * (the records are written all the same); a batch with no usable record always fails.
   */
  maxErrorFraction: 0.1,
})
