import type { RuntimeErrorCode } from '../schemas/env.generated.ts'

/** An error with a stable code from schemas/ and, optionally, facts a caller can act on. */
export class CodedError<Code extends string> extends Error {
  readonly code: Code
  /** Sent as the error's data (e.g. the actual step count). */
  readonly data: Record<string, unknown> | undefined
  constructor (code: Code, message: string, data?: Record<string, unknown>) {
    super(message)
    this.code = code
    this.data = data
  }
}

/** A request the runtime refuses, with a code from schemas/env.schema.json (RuntimeErrorCode). */
export class CodeGymError extends CodedError<RuntimeErrorCode> {
  override readonly name = 'CodeGymError'
}

/** An env package that cannot be loaded: a problem of the files on disk, found at start-up. */
export class EnvLoadError extends Error {
  readonly dir: string
  constructor (dir: string, message: string) {
    super(`${dir}: ${message}`)
    this.dir = dir
    this.name = 'EnvLoadError'
  }
}
