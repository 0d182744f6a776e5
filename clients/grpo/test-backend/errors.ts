// Errors the test backend answers with, in the OpenAI shape
// `{"error": {"message", "type", "param", "code"}}` that OpenAI's API and vLLM send.

export type ErrorType = 'invalid_request_error' | 'not_found_error' | 'server_error'

/** A request the backend refuses: the status and the body's fields. */
export class HttpError extends Error {
  readonly status: number
  readonly type: ErrorType
  readonly param: string | null

  constructor (status: number, message: string, options: { type?: ErrorType, param?: string | null } = {}) {
    super(message)
    this.name = 'HttpError'
    this.status = status
    this.type = options.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error')
    this.param = options.param ?? null
  }
}

/** A malformed or impossible generation request: 400, naming the field at fault. */
export function badRequest (message: string, param: string | null = null): HttpError {
  return new HttpError(400, message, { param })
}

export interface ErrorBody {
  error: { message: string, type: ErrorType, param: string | null, code: number }
}

export function errorBody (error: HttpError): ErrorBody {
  return { error: { message: error.message, type: error.type, param: error.param, code: error.status } }
}
