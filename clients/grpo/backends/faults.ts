// Reading a backend's error answer: which ones say the context is full, and which ones say the
// model wrote something the backend could not read. Both are the episode's business (a
// 'context_limit' ending, a failed turn), never a reason to retry or to end a rollout with 'error'.
import type { BackendFault } from '../errors.ts'

/**
 * Context-overflow answers, as the servers word them:
 * - llama.cpp server: HTTP 400, `{"error": {"type": "exceed_context_size_error", "message":
 *   "request (N tokens) exceeds the available context size (C tokens)", "n_prompt_tokens", "n_ctx"}}`;
 * - vLLM (and OpenAI): HTTP 400, "This model's maximum context length is C tokens. However, you
 *   requested N tokens ...", or "... is longer than the maximum model length of C";
 * - SGLang: HTTP 400, "The input (N tokens) is longer than the model's context length (C tokens)."
 *   or "Requested token count exceeds the model's maximum context length of C tokens ...".
 */
const contextOverflowPatterns: readonly RegExp[] = [
  /exceed_context_size_error/,
  /exceeds the available context size/i,
  /maximum context length/i,
  /longer than the model's context length/i,
  /longer than the maximum model length/i,
  /context_length_exceeded/,
]

/**
 * What a server says when it cannot parse the model's output into the response (llama-server
 * answers 500 "Failed to parse input at pos N: <tool_call>..." for a tool call that does not parse).
 */
const modelOutputPatterns: readonly RegExp[] = [
  /failed to parse/i,
  /could not parse/i,
  /unable to parse/i,
]

/** The fault an HTTP error answer stands for; `transport` ones may be retried. */
export function answerFault (status: number, body: string): BackendFault {
  if (contextOverflowPatterns.some((pattern) => pattern.test(body))) return 'context_overflow'
  if (status >= 500 && modelOutputPatterns.some((pattern) => pattern.test(body))) return 'model_output'
  if (status === 408 || status === 429 || status >= 500) return 'transport'
  return 'protocol'
}

/** The message inside an OpenAI-shaped (`{"error": {"message"}}`), vLLM (`{"message"}`) or plain error body. */
export function errorMessage (body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string, message?: unknown, detail?: unknown }
    if (typeof parsed.error === 'object' && parsed.error !== null && typeof parsed.error.message === 'string') return parsed.error.message
    if (typeof parsed.error === 'string') return parsed.error
    if (typeof parsed.message === 'string') return parsed.message
    if (typeof parsed.detail === 'string') return parsed.detail
  } catch { /* not JSON: the text itself */ }
  return body
}
