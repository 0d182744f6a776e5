// A small OpenAI-compatible Chat Completions client: bounded concurrency, a time limit per request,
// bounded retries with backoff on 429, 5xx, time-outs and connection errors.
import { setTimeout as sleep } from 'node:timers/promises'
import type { LlmSettings } from './defaults.ts'

export interface LlmMessage {
  role: 'system' | 'user' | 'assistant' | 'tool'
  content: string
  tool_call_id?: string
  tool_calls?: LlmToolCall[]
}

export interface LlmToolCall {
  id: string
  type: 'function'
  function: { name: string, arguments: string }
}

export interface LlmReply {
  /** The message text ('' when the model only called a tool). */
  text: string
  toolCalls: LlmToolCall[]
  finishReason: string
}

export interface CompleteOptions {
  /** Chat Completions `tools` entries. */
  tools?: unknown[]
  /** Added to the settings' seed (e.g. the attempt number). */
  seedOffset?: number
}

/** The endpoint could not give an answer: the HTTP status when there was one. */
export class LlmError extends Error {
  readonly status: number | undefined
  constructor (message: string, status?: number) {
    super(message)
    this.name = 'LlmError'
    this.status = status
  }
}

const retryableStatus = (status: number): boolean => status === 429 || status >= 500

/** The Chat Completions URL of a base URL given with or without /v1 (as the rollout client takes them). */
export function chatCompletionsUrl (url: string): string {
  const base = url.replace(/\/+$/, '')
  if (base.endsWith('/chat/completions')) return base
  return base.endsWith('/v1') ? `${base}/chat/completions` : `${base}/v1/chat/completions`
}

export class LlmClient {
  readonly settings: Readonly<LlmSettings>
  #active = 0
  readonly #waiting: Array<() => void> = []

  constructor (settings: LlmSettings) {
    if (!(settings.concurrency >= 1)) throw new RangeError('LLM concurrency must be at least 1')
    this.settings = Object.freeze({ ...settings })
  }

  async complete (messages: readonly LlmMessage[], options: CompleteOptions = {}): Promise<LlmReply> {
    await this.#acquire()
    try {
      return await this.#withRetries(messages, options)
    } finally {
      this.#release()
    }
  }

  async #withRetries (messages: readonly LlmMessage[], options: CompleteOptions): Promise<LlmReply> {
    let delayMs = this.settings.retryBaseDelayMs
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#request(messages, options)
      } catch (error) {
        const retryable = error instanceof LlmError && (error.status === undefined || retryableStatus(error.status))
        if (!retryable || attempt >= this.settings.maxRetries) throw error
        await sleep(delayMs)
        delayMs *= 2
      }
    }
  }

  async #request (messages: readonly LlmMessage[], options: CompleteOptions): Promise<LlmReply> {
    const body: Record<string, unknown> = {
      model: this.settings.model,
      messages,
      temperature: this.settings.temperature,
      max_tokens: this.settings.maxTokens,
      seed: this.settings.seed + (options.seedOffset ?? 0),
    }
    if (options.tools !== undefined && options.tools.length > 0) body.tools = options.tools
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (this.settings.apiKey !== undefined) headers.authorization = `Bearer ${this.settings.apiKey}`
    let response: Response
    try {
      response = await fetch(chatCompletionsUrl(this.settings.url), {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.settings.requestTimeoutMs),
      })
    } catch (error) {
      const cause = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${this.settings.requestTimeoutMs} ms` : (error as Error).message
      throw new LlmError(`${this.settings.url}: ${cause}`)
    }
    let text: string
    try {
      text = await response.text()
    } catch (error) {
      throw new LlmError(`${this.settings.url}: the answer was cut off: ${(error as Error).message}`)
    }
    if (!response.ok) throw new LlmError(`${this.settings.url}: HTTP ${response.status}: ${text.slice(0, 200)}`, response.status)
    return parseChatCompletion(text, this.settings.url)
  }

  async #acquire (): Promise<void> {
    if (this.#active < this.settings.concurrency) {
      this.#active++
      return
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve))
  }

  #release (): void {
    const next = this.#waiting.shift()
    if (next !== undefined) next()
    else this.#active--
  }
}

/** The first choice of a Chat Completions response body. */
export function parseChatCompletion (text: string, url = 'the LLM endpoint'): LlmReply {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new LlmError(`${url}: the answer is not JSON: ${text.slice(0, 200)}`, 502)
  }
  const choice = (parsed as { choices?: Array<{ message?: { content?: unknown, tool_calls?: unknown }, finish_reason?: unknown }> }).choices?.[0]
  if (choice?.message === undefined) throw new LlmError(`${url}: the answer has no choices[0].message`, 502)
  const content = choice.message.content
  const toolCalls = Array.isArray(choice.message.tool_calls) ? choice.message.tool_calls as LlmToolCall[] : []
  return {
    text: typeof content === 'string' ? content : '',
    toolCalls,
    finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : 'stop',
  }
}
