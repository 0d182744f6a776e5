// Token-mode transcript: exactly the ids the trainer will see. The prompt is the chat template's
// rendering of the first messages; then each turn appends the ids the backend sampled (mask 1, with
// their log-probs) and the ids of the env's answer (mask 0). Earlier turns are never rendered again:
// the sampled ids are the transcript, so a template that rewrites history (Qwen3 drops the thinking
// of earlier turns, and normalises the whitespace around it) cannot make the ids drift.
//
// The env's ids are the text the template writes for one env turn after an assistant reply, found
// by rendering a short stand-in conversation whose reply is a marker: what follows the marker is the
// template's close of the assistant turn, then the env turn and the next generation prompt. The
// close is left out where the sampled ids already end with it (the stop token the model sampled).
import { TranscriptMismatchError } from '../errors.ts'
import type { TokenGeneration } from '../backends/types.ts'
import type { ChatTokenizer, TemplateMessage } from '../tokenizer.ts'

const replyMarker = 'CODEGYM-REPLY-MARKER'
const standInQuery: TemplateMessage = { role: 'user', content: 'CODEGYM-QUERY-MARKER' }
const standInReply: TemplateMessage = { role: 'assistant', content: replyMarker }

export class TokenTranscript {
  readonly tokenizer: ChatTokenizer
  readonly messages: TemplateMessage[]
  readonly tools: readonly unknown[] | undefined
  readonly promptIds: number[]
  readonly responseIds: number[] = []
  readonly responseMask: number[] = []
  readonly logProbs: number[] = []
  /** The text the template closes an assistant turn with (`<|im_end|>\n` for ChatML). */
  readonly #turnClose: string
  /** What the last generation left of the turn close to write (all of it when no stop token ended it). */
  #pendingClose = ''

  constructor (tokenizer: ChatTokenizer, messages: readonly TemplateMessage[], tools: readonly unknown[] | undefined) {
    this.tokenizer = tokenizer
    this.messages = [...messages]
    this.tools = tools
    this.promptIds = tokenizer.encode(tokenizer.renderChat(this.messages, { tools, addGenerationPrompt: true }))
    this.#turnClose = this.#afterReply([standInQuery, standInReply], false)
  }

  get length (): number { return this.promptIds.length + this.responseIds.length }

  /** Appends sampled ids; returns their text without a final stop token, as the parser reads it. */
  appendGeneration (generation: TokenGeneration): string {
    this.responseIds.push(...generation.ids)
    for (const logProb of generation.logProbs) {
      this.responseMask.push(1)
      this.logProbs.push(logProb)
    }
    const ids = generation.ids
    const last = ids.at(-1)
    const stopped = last !== undefined && this.tokenizer.stopTokenIds.includes(last)
    const text = this.tokenizer.decode(stopped ? ids.slice(0, -1) : ids)
    const stopText = stopped ? this.tokenizer.decode([last]) : ''
    this.#pendingClose = stopped && this.#turnClose.startsWith(stopText) ? this.#turnClose.slice(stopText.length) : this.#turnClose
    this.messages.push({ role: 'assistant', content: text })
    return text
  }

  /**
   * The ids of an env turn (and the next generation prompt) for `message`, without appending them:
   * the caller checks the context limit first, then calls commitEnvTurn.
   */
  envTurnIds (message: TemplateMessage): number[] {
    const after = this.#afterReply([standInQuery, standInReply, message], true)
    if (!after.startsWith(this.#turnClose)) {
      throw new TranscriptMismatchError(`the chat template closes an assistant turn with ${JSON.stringify(this.#turnClose)} when it is last, but with ${JSON.stringify(after.slice(0, this.#turnClose.length + 20))} when a ${message.role} turn follows: env turns cannot be appended to sampled ids`)
    }
    return this.tokenizer.encode(this.#pendingClose + after.slice(this.#turnClose.length))
  }

  commitEnvTurn (message: TemplateMessage, ids: readonly number[]): void {
    this.messages.push(message)
    this.#pendingClose = ''
    for (const id of ids) {
      this.responseIds.push(id)
      this.responseMask.push(0)
      this.logProbs.push(0)
    }
  }

  /** The rendering of a stand-in conversation after its reply marker. */
  #afterReply (messages: readonly TemplateMessage[], addGenerationPrompt: boolean): string {
    const rendered = this.tokenizer.renderChat(messages, { tools: this.tools, addGenerationPrompt })
    const at = rendered.lastIndexOf(replyMarker)
    if (at === -1) throw new TranscriptMismatchError('the chat template does not render an assistant message\'s content verbatim: env turns cannot be appended to sampled ids')
    return rendered.slice(at + replyMarker.length)
  }
}
