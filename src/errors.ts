import type { RuntimeErrorCode } from './schemas/env.generated.ts'

/** A request the runtime refuses, with a stable code from schemas/ (RuntimeErrorCode). */
export class CodeGymError extends Error {
  readonly code: RuntimeErrorCode
  /** Facts a caller can act on, sent as the error's data (e.g. the actual step count). */
  readonly data: Record<string, unknown> | undefined
  constructor (code: RuntimeErrorCode, message: string, data?: Record<string, unknown>) {
    super(message)
    this.name = 'CodeGymError'
    this.code = code
    this.data = data
  }
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
