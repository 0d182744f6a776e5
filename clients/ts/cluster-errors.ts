// The cluster client's own errors: what can go wrong when sessions are spread over many servers and
// moved between them, beyond what one connection's errors (errors.ts) say.

/** No server is in rotation: every one failed, drained, or was never reachable. */
export class NoServerAvailableError extends Error {
  /** Why each server is out, by URL. */
  readonly causes: ReadonlyMap<string, string>
  constructor (message: string, causes: ReadonlyMap<string, string> = new Map()) {
    super(message)
    this.name = 'NoServerAvailableError'
    this.causes = causes
  }
}

/**
 * The episode cannot continue: its server went away and the client holds nothing to rebuild it
 * from (snapshots are off), or rebuilding it failed for good. Every later call on the session
 * fails with this error.
 */
export class EpisodeLostError extends Error {
  readonly server: string
  /** The step count last acknowledged, which is where the episode was lost. */
  readonly step: number
  constructor (message: string, options: { server: string, step: number, cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'EpisodeLostError'
    this.server = options.server
    this.step = options.step
  }
}

/**
 * Replaying acknowledged actions on another server gave a different result from the one the
 * original server acknowledged: the servers do not run the same env code, or an env is not
 * deterministic. The episode is not continued on a trajectory that differs from the one seen.
 */
export class ReplayMismatchError extends EpisodeLostError {
  /** The step whose replay differed (0: the reset itself). */
  readonly atStep: number
  readonly expected: unknown
  readonly actual: unknown
  constructor (options: { server: string, step: number, atStep: number, expected: unknown, actual: unknown }) {
    super(`replaying step ${options.atStep} on ${options.server} gave a different result from the one acknowledged: expected ${JSON.stringify(options.expected)}, got ${JSON.stringify(options.actual)}`, options)
    this.name = 'ReplayMismatchError'
    this.atStep = options.atStep
    this.expected = options.expected
    this.actual = options.actual
  }
}

/** The session was closed by its owner; nothing more can be asked of it. */
export class SessionClosedError extends Error {
  constructor (message = 'the session is closed') {
    super(message)
    this.name = 'SessionClosedError'
  }
}
