// Typed errors of the rollout client. A rollout that meets a BackendError or an env failure ends
// with termination 'error'; a RolloutConfigError stops the batch before anything starts.

/** Bad input to rollout() or the CLI: a batch spec, an option, a records file from another batch. */
export class RolloutConfigError extends Error {
  override readonly name = 'RolloutConfigError'
}

/** A generation request failed for good: after its retries, or at once when retrying cannot help. */
export class BackendError extends Error {
  override readonly name = 'BackendError'
  readonly url: string
  /** The HTTP status, when the backend answered. */
  readonly status: number | undefined
  readonly attempts: number
  constructor (message: string, details: { url: string, status?: number | undefined, attempts: number }) {
    super(message)
    this.url = details.url
    this.status = details.status
    this.attempts = details.attempts
  }
}

/** The chat template re-rendered an earlier part of the conversation differently: token ids would drift. */
export class TranscriptMismatchError extends Error {
  override readonly name = 'TranscriptMismatchError'
}
