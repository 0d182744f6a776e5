// Every limit of the rollout client, in one table: named defaults with their units in the names.
// RolloutOptions overrides any of them; the CLI exposes them as flags.
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
  /** Sampling temperature sent with every generation request. */
  temperature: 1,
  /** How often the plain (non-TTY) progress line is printed. */
  progressIntervalMs: 10_000,
})

export type RolloutLimits = { -readonly [K in keyof typeof rolloutDefaults]: number }
