import type { RuntimeErrorCode } from './schemas/env.generated.ts'

/** A request the runtime refuses, with a stable code from schemas/ (RuntimeErrorCode). */
export class CodeGymError extends Error {
  readonly code: RuntimeErrorCode
  constructor (code: RuntimeErrorCode, message: string) {
    super(message)
    this.name = 'CodeGymError'
    this.code = code
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
