// From a policy's reply to the tokens a model would have sampled: the reply's text in the call
// format, encoded with the tokenizer, cut by stop_token_ids or max_tokens, ended by the stop token,
// with one deterministic log-prob per token.
import { formatToolCall, parseToolCall } from '../../clients/grpo/tool-calls.ts'
import { HttpError } from './errors.ts'
import type { ChatTokenizer } from '../../clients/grpo/tokenizer.ts'
import { hashText, mix, seedHash, tokenLogprob } from './determinism.ts'
import type { GenerationRequest } from './requests.ts'
import type { CallFormat, ChatServer, TestReply } from './types.ts'

export type FinalReply = Exclude<TestReply, { kind: 'delay' }>
export type AnsweredReply = Extract<TestReply, { kind: 'call' | 'text' | 'length' }>

/** The reply under any `delay` wrappers, and the delays they add up to. */
export function unwrapDelays (reply: TestReply): { reply: FinalReply, delayMs: number } {
  let delayMs = 0
  let current = reply
  while (current.kind === 'delay') {
    delayMs += current.ms
    current = current.then
  }
  return { reply: current, delayMs }
}

export interface Completion {
  /** The completion's text: its tokens decoded, without a final stop token. */
  text: string
  /** The sampled token ids; the stop token last when finishReason is 'stop' or 'tool_calls'. */
  ids: number[]
  logprobs: number[]
  finishReason: 'stop' | 'length' | 'tool_calls'
  /**
   * What ended the completion besides the end-of-turn token (null for that one, as in vLLM): a
   * stop_token_ids entry, or a `stop` string (kept in the text, as include_stop_str_in_output /
   * no_stop_trim ask; no end-of-turn token follows it).
   */
  stopReason: number | string | null
  /** Set when the call goes in Chat Completions' `tool_calls` field. */
  toolCall?: { id: string, name: string, arguments: string }
  /** A reasoning reply's thinking, and the text after it (what a reasoning parser puts in `content`). */
  reasoning?: { thinking: string, content: string }
}

/** The text a reasoning model writes before its answer. */
export function thinkingText (reasoning: string): string {
  return `<think>\n${reasoning}\n</think>\n\n`
}

/**
 * llama-server's answer to a tool call it cannot parse (tools offered, Hermes text that does not
 * parse): HTTP 500 "Failed to parse input at pos N: ...". Other servers hand the text back as content.
 */
export function unparseableCall (request: GenerationRequest, reply: FinalReply, chatServer: ChatServer): HttpError | undefined {
  if (chatServer !== 'llama.cpp' || request.endpoint !== 'chat' || !request.toolCallsField || reply.kind !== 'text') return undefined
  const at = reply.text.indexOf('<tool_call>')
  if (at === -1 || parseToolCall({ content: reply.text }, 'hermes').ok) return undefined
  const message = `Failed to parse input at pos ${at}: ${reply.text.slice(at)}`
  return new HttpError(500, message, { body: { error: { code: 500, message, type: 'server_error' } } })
}

export function complete (request: GenerationRequest, reply: AnsweredReply, tokenizer: ChatTokenizer, callFormat: CallFormat): Completion {
  const body = reply.kind === 'call'
    ? formatToolCall({ name: reply.name, parameters: reply.arguments }, callFormat === 'paper' ? 'paper' : 'hermes')
    : reply.text
  const reasoning = reply.kind !== 'length' && reply.reasoning !== undefined ? reply.reasoning : undefined
  let text = reasoning === undefined ? body : thinkingText(reasoning) + body
  const stopString = reply.kind === 'length' ? undefined : firstStopString(text, request.sampling.stop ?? [])
  if (stopString !== undefined) text = text.slice(0, stopString.end)
  let ids = tokenizer.encode(text)
  let finishReason: Completion['finishReason']
  let stopReason: number | string | null = null
  let endsWithStopToken = false
  const stopAt = request.stopTokenIds.length > 0 ? ids.findIndex((id) => request.stopTokenIds.includes(id)) : -1
  if (stopString !== undefined && stopAt === -1 && ids.length <= request.maxTokens) {
    finishReason = 'stop'
    stopReason = stopString.stop
  } else if (reply.kind !== 'length' && stopAt !== -1 && stopAt < request.maxTokens) {
    endsWithStopToken = true
    ids = ids.slice(0, stopAt + 1)
    finishReason = 'stop'
    stopReason = ids[stopAt]!
  } else if (reply.kind === 'length' || ids.length >= request.maxTokens) {
    ids = ids.slice(0, request.maxTokens)
    finishReason = 'length'
  } else {
    ids.push(endOfTurnId(tokenizer))
    endsWithStopToken = true
    finishReason = 'stop'
  }
  const requestHash = mix(seedHash(request.seed), hashText(request.promptText))
  const completion: Completion = {
    text: tokenizer.decode(endsWithStopToken ? ids.slice(0, -1) : ids),
    ids,
    logprobs: ids.map((id, position) => tokenLogprob(requestHash, position, id)),
    finishReason,
    stopReason,
  }
  if (reasoning !== undefined && finishReason !== 'length') completion.reasoning = { thinking: reasoning, content: completion.text.slice(thinkingText(reasoning).length) }
  if (reply.kind === 'call' && request.toolCallsField && finishReason === 'stop' && stopReason === null) {
    completion.finishReason = 'tool_calls'
    completion.toolCall = { id: `call_${requestHash.toString(16).padStart(8, '0')}`, name: reply.name, arguments: JSON.stringify(reply.arguments) }
  }
  return completion
}

/** The earliest `stop` string in a text, and where its match ends. */
function firstStopString (text: string, stops: readonly string[]): { stop: string, end: number } | undefined {
  let best: { stop: string, end: number } | undefined
  for (const stop of stops) {
    const at = text.indexOf(stop)
    if (at !== -1 && (best === undefined || at + stop.length < best.end)) best = { stop, end: at + stop.length }
  }
  return best
}

/** The token a chat model ends its turn with (`<|im_end|>` for Qwen). */
export function endOfTurnId (tokenizer: ChatTokenizer): number {
  const id = tokenizer.stopTokenIds[0]
  if (id === undefined) throw new Error(`tokenizer ${tokenizer.source} has no stop token`)
  return id
}
