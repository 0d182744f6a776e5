// Token-mode transcript: exactly the ids the trainer will see. The prompt is the chat template's
// rendering of the first messages; then each turn appends the ids the backend sampled (mask 1, with
// their log-probs) and the ids of the env's answer (mask 0). The env's ids are the text the chat
// template adds after everything so far: render the conversation with the new turn and the
// generation prompt, check that it starts with the decoded ids so far, and encode the rest. Sampled
// ids are never re-tokenized, so nothing drifts.
import { TranscriptMismatchError } from '../errors.ts'
import type { TokenGeneration } from '../backends/types.ts'
import type { ChatTokenizer, TemplateMessage } from '../tokenizer.ts'

export class TokenTranscript {
  readonly tokenizer: ChatTokenizer
  readonly messages: TemplateMessage[]
  readonly tools: readonly unknown[] | undefined
  readonly promptIds: number[]
  readonly responseIds: number[] = []
  readonly responseMask: number[] = []
  readonly logProbs: number[] = []

  constructor (tokenizer: ChatTokenizer, messages: readonly TemplateMessage[], tools: readonly unknown[] | undefined) {
    this.tokenizer = tokenizer
    this.messages = [...messages]
    this.tools = tools
    this.promptIds = tokenizer.encode(tokenizer.renderChat(this.messages, { tools, addGenerationPrompt: true }))
  }

  get length (): number { return this.promptIds.length + this.responseIds.length }

  /** Appends sampled ids; returns the reply text without its stop token, as the parser reads it. */
  appendGeneration (generation: TokenGeneration): string {
    this.responseIds.push(...generation.ids)
    for (const logProb of generation.logProbs) {
      this.responseMask.push(1)
      this.logProbs.push(logProb)
    }
    const ids = generation.ids
    const last = ids.at(-1)
    const body = last !== undefined && this.tokenizer.stopTokenIds.includes(last) ? ids.slice(0, -1) : ids
    const text = this.tokenizer.decode(body)
    this.messages.push({ role: 'assistant', content: text })
    return text
  }

  /**
   * The ids of an env turn (and the next generation prompt) for `message`, without appending them:
   * the caller checks the context limit first, then calls commitEnvTurn.
   */
  envTurnIds (message: TemplateMessage): number[] {
    const rendered = this.tokenizer.renderChat([...this.messages, message], { tools: this.tools, addGenerationPrompt: true })
    const sofar = this.tokenizer.decode([...this.promptIds, ...this.responseIds])
    if (!rendered.startsWith(sofar)) {
      let at = 0
      while (at < sofar.length && rendered[at] === sofar[at]) at++
      throw new TranscriptMismatchError(`the chat template renders the conversation differently from the ids so far, from character ${at}: ${JSON.stringify(sofar.slice(at, at + 40))} vs ${JSON.stringify(rendered.slice(at, at + 40))}`)
    }
    return this.tokenizer.encode(rendered.slice(sofar.length))
  }

  commitEnvTurn (message: TemplateMessage, ids: readonly number[]): void {
    this.messages.push(message)
    for (const id of ids) {
      this.responseIds.push(id)
      this.responseMask.push(0)
      this.logProbs.push(0)
    }
  }
}
