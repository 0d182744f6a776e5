// Typed errors of the rollout client. What a generation failure does to a rollout depends on whose
// fault it is (BackendError.fault): a transport fault ends the rollout with 'error', a full context
// with 'context_limit', a reply the backend could not read is a failed turn, and a protocol
// mismatch (the backend does not speak the API this client sends) stops the whole batch. A
// RolloutConfigError stops the batch before anything starts.

/** Bad input to rollout() or the CLI: a batch spec, an option, a records file from another batch. */
export class RolloutConfigError extends Error {
  override readonly name = 'RolloutConfigError'
}

/**
 * Whose fault a failed generation request is:
 * - `transport`: network, timeout, overload, 5xx (retried first, within bounds);
 * - `context_overflow`: the backend says prompt + max_tokens do not fit its context (not retried);
 * - `model_output`: the backend could not read what the model wrote, e.g. llama-server's 500 on a
 *   tool call that does not parse (not retried: the same seed writes the same reply);
 * - `protocol`: the backend refused the request or answered in a shape this client cannot use
 *   (4xx, a missing field): every other request would fail the same way.
 */
export type BackendFault = 'transport' | 'context_overflow' | 'model_output' | 'protocol'

/** A generation request failed for good: after its retries, or at once when retrying cannot help. */
export class BackendError extends Error {
  override readonly name = 'BackendError'
  readonly url: string
  /** The HTTP status, when the backend answered. */
  readonly status: number | undefined
  readonly attempts: number
  readonly fault: BackendFault
  constructor (message: string, details: { url: string, status?: number | undefined, attempts: number, fault: BackendFault }) {
    super(message)
    this.url = details.url
    this.status = details.status
    this.attempts = details.attempts
    this.fault = details.fault
  }
}

/** The chat template re-rendered an earlier part of the conversation differently: token ids would drift. */
export class TranscriptMismatchError extends Error {
  override readonly name = 'TranscriptMismatchError'
}

/**
 * The batch stopped at a fault every rollout would meet (a protocol mismatch with a backend, a chat
 * template the token transcript cannot follow): the first one's message, and the rollout it hit.
 */
export class BatchAbortedError extends Error {
  override readonly name = 'BatchAbortedError'
  constructor (message: string, cause: Error) {
    super(message, { cause })
  }
}
