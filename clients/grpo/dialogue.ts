// The policy's side of an episode, one implementation per mode: chat mode keeps the messages sent
// to /v1/chat/completions, token mode the token transcript. Each measures the context before a
// request, cuts max_tokens to the room left, and turns the backend's answers that are no reply
// (a full context, output it could not read) into outcomes the turn loop handles.
import { openAiTools, renderPrompt, type ResetResult } from '../../src/contract/index.ts'
import type { ChatApiMessage, SamplingParams } from './backends/types.ts'
import { ChatConversation } from './conversation/chat.ts'
import { TokenTranscript } from './conversation/token.ts'
import type { EpisodeInput, EpisodeRecord } from './episode-input.ts'
import { BackendError } from './errors.ts'
import type { TemplateMessage } from './tokenizer.ts'
import { splitReasoning, type PolicyReplyMessage } from './tool-calls.ts'

/** One generation, as the turn loop sees it. */
export type Generated =
  /** A reply to parse; `fillsContext` when it used up the context (a turn that counts but cannot be answered). */
  | { kind: 'reply', reply: PolicyReplyMessage, completionTokens: number, cutOff: boolean, fillsContext: boolean }
  /** No room to generate: measured before sending, or the backend's context-overflow answer. */
  | { kind: 'context_limit' }
  /** The backend could not read what the model wrote (llama-server's 500 on an unparseable call). */
  | { kind: 'unreadable', error: string }

/** The policy's side of an episode, one implementation per mode. */
export interface Dialogue {
  generate (sampling: SamplingParams): Promise<Generated>
  /** The env's answer (or the parse error) for the next turn; false when it does not fit the context. */
  answer (text: string, isToolResult: boolean): boolean
  finish (record: EpisodeRecord): void
}

/** A generation request's failure that the episode answers itself; anything else propagates. */
async function generationOutcome<T> (request: () => Promise<T>): Promise<T | Generated> {
  try {
    return await request()
  } catch (error) {
    if (error instanceof BackendError && error.fault === 'context_overflow') return { kind: 'context_limit' }
    if (error instanceof BackendError && error.fault === 'model_output') return { kind: 'unreadable', error: error.message }
    throw error
  }
}

function isOutcome (value: object): value is Generated {
  return 'kind' in value
}

/** The reply's text as the parser reads it: a reasoning model's thinking apart. */
function readReply (message: PolicyReplyMessage): PolicyReplyMessage {
  if (message.content === null || !message.content.includes('<think>') && !message.content.includes('</think>')) return message
  const { content, reasoning } = splitReasoning(message.content)
  const thinking = [message.reasoning, reasoning].filter((part) => part !== undefined && part !== '').join('\n')
  return { ...message, content, ...(thinking === '' ? {} : { reasoning: thinking }) }
}

export function makeDialogue (input: EpisodeInput, reset: ResetResult): Dialogue {
  const generation = input.generation
  const { maxContextTokens } = input.settings
  if (generation.mode === 'chat') {
    const conversation = new ChatConversation(reset.info, generation.toolFormat)
    const { tokenizer } = generation
    // The prompt's size before sending: the tokenizer's count of the rendered conversation when one
    // is given, otherwise the backend's count from the last answer (prompt + completion), which the
    // next prompt exceeds only by the observation; the backend's overflow answer covers the rest.
    let lastUsageTokens = 0
    const promptTokens = (): number => tokenizer === undefined
      ? lastUsageTokens
      : tokenizer.encode(tokenizer.renderChat(conversation.messages.map(templateMessage), { tools: conversation.tools, addGenerationPrompt: true })).length
    return {
      async generate (sampling) {
        const room = maxContextTokens - promptTokens()
        if (room <= 0) return { kind: 'context_limit' }
        const maxTokens = Math.min(sampling.maxTokens, room)
        const answer = await generationOutcome(() => generation.lane.request((backend) => backend.chat(conversation.messages, conversation.tools, { ...sampling, maxTokens })))
        if (isOutcome(answer)) {
          // The conversation needs the failed reply's place: an empty assistant turn, then the error.
          if (answer.kind === 'unreadable') conversation.appendReply({ content: '' })
          return answer
        }
        conversation.appendReply(answer.message)
        if (answer.promptTokens !== undefined && answer.completionTokens !== undefined) lastUsageTokens = answer.promptTokens + answer.completionTokens
        const cutOff = answer.finishReason === 'length'
        // The context is full when the reply was cut at the room left, when the backend's count
        // reaches the limit, or when it was cut short of max_tokens (the server's context ended
        // first: llama-server stops there, SGLang shortens max_new_tokens).
        const fillsContext = lastUsageTokens >= maxContextTokens || (cutOff && (maxTokens < sampling.maxTokens || (answer.completionTokens !== undefined && answer.completionTokens < maxTokens)))
        return { kind: 'reply', reply: readReply(answer.message), completionTokens: answer.completionTokens ?? 0, cutOff, fillsContext }
      },
      answer (text) {
        conversation.appendObservation(text)
        return true
      },
      finish (record) {
        record.messages = conversation.messages
      },
    }
  }
  const { tokenizer } = generation
  const hermes = generation.toolFormat === 'hermes'
  const first: TemplateMessage[] = hermes
    ? [{ role: 'user', content: reset.info.task }]
    : renderPrompt(reset.info)
  const transcript = new TokenTranscript(tokenizer, first, hermes ? openAiTools(reset.info.tools) : undefined)
  return {
    async generate (sampling) {
      const room = maxContextTokens - transcript.length
      if (room <= 0) return { kind: 'context_limit' }
      const answer = await generationOutcome(() => generation.lane.request((backend) => backend.generate(transcript.promptIds.concat(transcript.responseIds), tokenizer.stopTokenIds, { ...sampling, maxTokens: Math.min(sampling.maxTokens, room) })))
      if (isOutcome(answer)) {
        // A token API parses nothing, so it cannot fail on the model's output: only the context can be full.
        if (answer.kind === 'unreadable') throw new BackendError(answer.error, { url: generation.lane.backend.url, attempts: 1, fault: 'transport' })
        return answer
      }
      const maxTokens = Math.min(sampling.maxTokens, room)
      const text = transcript.appendGeneration(answer)
      const cutOff = answer.finishReason === 'length'
      // Cut at the room left, or short of max_tokens (the server's own context ended first).
      const fillsContext = cutOff && (transcript.length >= maxContextTokens || answer.ids.length < maxTokens)
      return { kind: 'reply', reply: readReply({ content: text }), completionTokens: answer.ids.length, cutOff, fillsContext }
    },
    answer (text, isToolResult) {
      const message: TemplateMessage = { role: hermes && isToolResult ? 'tool' : 'user', content: text }
      const ids = transcript.envTurnIds(message)
      // An env turn that does not leave room for one sampled token ends the episode before it is appended.
      if (transcript.length + ids.length >= maxContextTokens) return false
      transcript.commitEnvTurn(message, ids)
      return true
    },
    finish (record) {
      record.messages = transcript.messages
      record.prompt_ids = transcript.promptIds
      record.response_ids = transcript.responseIds
      record.response_mask = transcript.responseMask
      record.rollout_log_probs = transcript.logProbs
    },
  }
}

/** A Chat Completions message as a chat template takes it: tool-call arguments parsed, as vLLM does before templating. */
function templateMessage (message: ChatApiMessage): TemplateMessage {
  const result: TemplateMessage = { role: message.role, content: message.content ?? '' }
  if (message.reasoning_content !== undefined) result.reasoning_content = message.reasoning_content
  if (message.tool_calls !== undefined) {
    result.tool_calls = message.tool_calls.map((call) => ({ type: 'function', function: { name: call.function.name, arguments: parsedArguments(call.function.arguments) } }))
  }
  if (message.tool_call_id !== undefined) result.tool_call_id = message.tool_call_id
  return result
}

function parsedArguments (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
