// The test backend's public shapes: what a test configures, what a policy sees and answers, and
// the counters a test reads back.
import type { ChatTokenizer } from '../../clients/grpo/tokenizer.ts'

export type CallFormat = 'openai' | 'hermes' | 'paper'

/**
 * Whose /v1/chat/completions to imitate where servers differ. 'vllm': a prompt plus max_tokens over
 * the context is refused with vLLM's 400; a call that does not parse comes back as content.
 * 'llama.cpp': only a prompt over the context is refused (400 `exceed_context_size_error`), a
 * completion stops where the context ends; a Hermes call that does not parse, with tools offered,
 * is answered 500 "Failed to parse input ..." as llama-server does; `repeat_penalty` is its name.
 */
export type ChatServer = 'vllm' | 'llama.cpp'

/** The sampling controls a request carried (each endpoint's own field names), as a policy sees them. */
export interface TestSampling {
  topP?: number
  topK?: number
  minP?: number
  repetitionPenalty?: number
  presencePenalty?: number
  frequencyPenalty?: number
  stop?: string[]
}

export interface TestBackendOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number
  /** Address to bind (default 127.0.0.1). */
  host?: string
  /** Default: `await loadChatTokenizer()` (Qwen2.5's tokenizer and chat template). */
  tokenizer?: ChatTokenizer
  /** Fixed delay per generation call, in ms (default 0). */
  latencyMs?: number
  /** Extra delay per completion token, in ms (default 0). */
  perTokenLatencyMs?: number
  /**
   * How replies carry calls: 'openai' in chat mode with `tools` is the tool_calls field, otherwise
   * text in that format ('openai' writes Hermes text there, as a Hermes-templated model does).
   */
  callFormat?: CallFormat
  /** Default: the built-in seeded policy, `seededPolicy()`. */
  policy?: TestPolicy
  /** The model name /v1/models lists and responses carry. */
  model?: string
  /** Longest prompt plus completion, in tokens (default 32,768). */
  maxContextTokens?: number
  /** Whose chat endpoint to imitate where servers differ (default 'vllm'). */
  chatServer?: ChatServer
  /** Largest request body, in bytes (default 16 MiB); a larger one gets 413. */
  maxRequestBytes?: number
}

export interface TestPolicyTool {
  name: string
  description?: string
  parameters?: object
}

export interface TestPolicyInput {
  endpoint: 'chat' | 'completions' | 'generate'
  /** The whole prompt as text (chat: rendered with the tokenizer's template; token endpoints: decoded ids). */
  promptText: string
  /** From `tools`, or recovered from the prompt text. */
  tools: TestPolicyTool[]
  /** Assistant turns already in the prompt (0 on the first call). */
  turn: number
  /** The request's sampling seed (OpenAI/vLLM `seed`, SGLang `sampling_params.sampling_seed`), 0 when absent. */
  seed: number
  /** The request's sampling temperature (default 1); 0 is greedy, so the built-in policy then ignores the seed. */
  temperature: number
  /** The other sampling controls the request carried (absent: not sent). */
  sampling: TestSampling
}

/**
 * A reply. `reasoning` makes it a reasoning model's: the sampled text starts with
 * `<think>\n{reasoning}\n</think>\n\n`; chat answers carry it as `message.reasoning_content`
 * (as a server with a reasoning parser does) and the content without it.
 */
export type TestReply =
  | { kind: 'call', name: string, arguments: Record<string, unknown>, reasoning?: string }
  | { kind: 'text', text: string, reasoning?: string }
  | { kind: 'length', text: string }
  | { kind: 'http_error', status: number, message?: string }
  | { kind: 'hang' }
  | { kind: 'delay', ms: number, then: TestReply }

export type TestPolicy = (input: TestPolicyInput) => TestReply

export interface TestBackendStats {
  /** Generation requests received (chat, completions, generate), whatever their outcome. */
  requests: number
  /** Generation requests not yet answered or abandoned. */
  inFlight: number
  maxInFlight: number
  completionTokens: number
  promptTokens: number
  /** Valid generation requests per sampling seed (as a decimal string). */
  requestsBySeed: Record<string, number>
  /** Sum over generation requests of the time from arrival to the end of the response, in ms. */
  busyMs: number
}

export interface TestBackend {
  url: string
  stats (): TestBackendStats
  resetStats (): void
  close (): Promise<void>
}
