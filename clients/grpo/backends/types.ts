// What the episode loop needs from a generation backend, whatever its HTTP API.
import type { PolicyReplyMessage } from '../tool-calls.ts'

/**
 * How the policy samples, sent in full with every request so no backend applies its own defaults
 * (llama-server: top_k 40, top_p 0.95, min_p 0.05; vLLM: the model's generation config) and the
 * recorded log-probs describe the distribution actually sampled. Neutral values switch a control off.
 */
export interface SamplingControls {
  temperature: number
  /** Nucleus sampling; 1 = off. */
  topP: number
  /** Top-k; -1 = off (vLLM, SGLang; llama.cpp reads any value ≤ 0 as off). */
  topK: number
  /** Min-p; 0 = off. */
  minP: number
  /** Multiplicative penalty on tokens already present (vLLM, SGLang; llama.cpp's repeat_penalty); 1 = off. */
  repetitionPenalty: number
  /** OpenAI's additive penalties; 0 = off. */
  presencePenalty: number
  frequencyPenalty: number
  /** Stop strings; the text that matched stays in the reply (its tokens were sampled). */
  stop: string[]
}

/**
 * The controls under the snake_case names that OpenAI-style chat, vLLM and SGLang all read (one
 * source for them; each backend adds its own names for the rest: max tokens, stop, seed).
 */
export function sharedSamplingFields (sampling: SamplingControls): Record<string, number> {
  return {
    temperature: sampling.temperature,
    top_p: sampling.topP,
    top_k: sampling.topK,
    min_p: sampling.minP,
    repetition_penalty: sampling.repetitionPenalty,
    presence_penalty: sampling.presencePenalty,
    frequency_penalty: sampling.frequencyPenalty,
  }
}

export interface SamplingParams extends SamplingControls {
  /** The rollout's seed: the same request always asks for the same sample. */
  seed: number
  /** Tokens this turn may sample: the per-turn limit, cut to the room left in the context. */
  maxTokens: number
}

/** A message as the Chat Completions API takes it. */
export interface ChatApiMessage {
  role: 'system' | 'user' | 'assistant' | 'tool'
  content: string | null
  /** A reasoning model's thinking, as vLLM, SGLang and llama.cpp return it and take it back. */
  reasoning_content?: string
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
