// The client's errors: one class per way a request can fail, so callers can tell a refusal by the
// server (with its schema error code) from a lost connection and from a request nobody answered.
import type { ErrorCode, Op } from '../../src/contract/index.ts'

/** The server answered the request with an error object. */
export class CodeGymRequestError extends Error {
  readonly code: ErrorCode
  /** Facts the server attached, e.g. `{ step }` for step_mismatch. */
  readonly data: unknown
  readonly op: Op | string
  constructor (op: Op | string, code: ErrorCode, message: string, data?: unknown) {
    super(`${op}: ${code}: ${message}`)
    this.name = 'CodeGymRequestError'
    this.op = op
    this.code = code
    this.data = data
  }
}

/**
 * The connection closed before the request was answered, and the client could not make it safe to
 * send again. `applied` says what is known about its effect on the server: true when it was applied
 * (its answer is lost), false when it was never applied, undefined when the client cannot tell.
 */
export class ConnectionClosedError extends Error {
  readonly op: Op | string | undefined
  readonly applied: boolean | undefined
  readonly closeCode: number | undefined
  constructor (message: string, options: { op?: Op | string, applied?: boolean, closeCode?: number } = {}) {
    super(options.op === undefined ? message : `${options.op}: ${message}`)
    this.name = 'ConnectionClosedError'
    this.op = options.op
    this.applied = options.applied
    this.closeCode = options.closeCode
  }
}

/** No answer came within the request's timeout. The request may still run on the server. */
export class RequestTimeoutError extends Error {
  readonly op: Op | string
  readonly timeoutMs: number
  constructor (op: Op | string, timeoutMs: number) {
    super(`${op}: no answer within ${timeoutMs} ms`)
    this.name = 'RequestTimeoutError'
    this.op = op
    this.timeoutMs = timeoutMs
  }
}
