// Errors the test backend answers with, in the OpenAI shape
// `{"error": {"message", "type", "param", "code"}}` that OpenAI's API and vLLM send.

export type ErrorType = 'invalid_request_error' | 'not_found_error' | 'server_error'

/** A request the backend refuses: the status and the body's fields. */
export class HttpError extends Error {
  readonly status: number
  readonly type: ErrorType
  readonly param: string | null
  /** A body in another server's own shape (llama.cpp, SGLang), sent instead of the OpenAI one. */
  readonly body: object | undefined

  constructor (status: number, message: string, options: { type?: ErrorType, param?: string | null, body?: object } = {}) {
    super(message)
    this.name = 'HttpError'
    this.status = status
    this.type = options.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error')
    this.param = options.param ?? null
    this.body = options.body
  }
}

/** A malformed or impossible generation request: 400, naming the field at fault. */
export function badRequest (message: string, param: string | null = null): HttpError {
  return new HttpError(400, message, { param })
}

export interface ErrorBody {
  error: { message: string, type: ErrorType, param: string | null, code: number }
}

export function errorBody (error: HttpError): ErrorBody | object {
  return error.body ?? { error: { message: error.message, type: error.type, param: error.param, code: error.status } }
}

/**
 * A prompt (plus an explicit completion budget) that does not fit the context, in the words and
 * shape of the server the endpoint imitates.
 */
export function contextOverflow (server: 'vllm' | 'llama.cpp' | 'sglang', promptTokens: number, maxTokens: number, contextTokens: number, part: string): HttpError {
  if (server === 'llama.cpp') {
    const message = `request (${promptTokens} tokens) exceeds the available context size (${contextTokens} tokens), try increasing it`
    return new HttpError(400, message, { body: { error: { code: 400, message, type: 'exceed_context_size_error', n_prompt_tokens: promptTokens, n_ctx: contextTokens } } })
  }
  if (server === 'sglang') {
    const message = `The input (${promptTokens} tokens) is longer than the model's context length (${contextTokens} tokens).`
    return new HttpError(400, message, { body: { error: { message } } })
  }
  return badRequest(`This model's maximum context length is ${contextTokens} tokens. However, you requested ` +
    `${promptTokens + maxTokens} tokens (${promptTokens} in the ${part}, ${maxTokens} in the completion). ` +
    `Please reduce the length of the ${part} or completion.`, part)
}
