// What the episode loop needs from a generation backend, whatever its HTTP API.
import type { PolicyReplyMessage } from '../tool-calls.ts'

export interface SamplingParams {
  /** The rollout's seed: the same request always asks for the same sample. */
  seed: number
  maxTokens: number
  temperature: number
}

/** A message as the Chat Completions API takes it. */
export interface ChatApiMessage {
  role: 'system' | 'user' | 'assistant' | 'tool'
  content: string | null
  tool_calls?: Array<{ id: string, type: 'function', function: { name: string, arguments: string } }>
  tool_call_id?: string
}

export interface ChatGeneration {
  message: PolicyReplyMessage
  finishReason: string
  /** From `usage`, when the backend reports it. */
  promptTokens: number | undefined
  completionTokens: number | undefined
}

export interface TokenGeneration {
  /** The sampled ids, the stop token included when the backend returns it. */
  ids: number[]
  /** One behaviour-policy log-prob per sampled id. */
  logProbs: number[]
  finishReason: 'stop' | 'length'
}

export interface ChatBackend {
  readonly url: string
  chat (messages: readonly ChatApiMessage[], tools: readonly unknown[] | undefined, sampling: SamplingParams): Promise<ChatGeneration>
}

export interface TokenBackend {
  readonly url: string
  generate (promptIds: readonly number[], stopTokenIds: readonly number[], sampling: SamplingParams): Promise<TokenGeneration>
}
