// Chat-mode conversation state: the messages sent to /v1/chat/completions. Two ways to present the
// tools: 'openai' sends them as the API's `tools` and answers each call with a `tool` message
// carrying its tool_call_id; 'paper' sends no `tools`, puts the paper's prompt (tool docs as a
// `functions` list in the system message) first and answers with `user` messages.
import { openAiTools, renderPrompt, type OpenAiTool, type PromptSource } from '../../../src/contract/index.ts'
import type { ChatApiMessage } from '../backends/types.ts'
import type { PolicyReplyMessage } from '../tool-calls.ts'

export type ChatToolFormat = 'openai' | 'paper'

/** The system message when the tools travel as `tools`: how to act, without restating the tools. */
export const toolUseSystemPrompt = [
  'You are solving a task by calling tools in an environment. You cannot see the environment directly: call its tools to learn what you need.',
  'Call exactly one tool per turn. The result of each call comes back as the next message; a failed call returns its error text and changes nothing.',
  'When you know the answer, call Done with it: that ends the episode, and you have only one submission. The number of calls is limited.',
].join('\n')

export class ChatConversation {
  readonly format: ChatToolFormat
  readonly messages: ChatApiMessage[]
  /** The `tools` parameter, in 'openai' format only. */
  readonly tools: OpenAiTool[] | undefined

  constructor (source: PromptSource, format: ChatToolFormat) {
    this.format = format
    if (format === 'openai') {
      this.tools = openAiTools(source.tools)
      this.messages = [{ role: 'system', content: toolUseSystemPrompt }, { role: 'user', content: source.task }]
    } else {
      this.tools = undefined
      this.messages = renderPrompt(source).map(({ role, content }) => ({ role, content }))
    }
  }

  /**
   * The policy's reply as the backend returned it. A reasoning model's thinking goes back as
   * `reasoning_content`, the input field llama.cpp's server reads into the chat template's
   * `message.reasoning_content`; the template decides which turns keep it (Qwen3 keeps the thinking
   * of the turns since the last user message).
   */
  appendReply (reply: PolicyReplyMessage): void {
    const message: ChatApiMessage = { role: 'assistant', content: reply.content }
    if (reply.reasoning !== undefined) message.reasoning_content = reply.reasoning
    if (reply.toolCalls !== undefined && reply.toolCalls.length > 0) {
      message.tool_calls = reply.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.function.name, arguments: call.function.arguments } }))
    }
    this.messages.push(message)
  }

  /**
   * The env's answer to the last reply: an observation, or the parse error. Every tool_call id of
   * the last reply gets a `tool` message (the API refuses a conversation that leaves one
   * unanswered), the call that ran with the observation and any others with the same text.
   */
  appendObservation (text: string): void {
    const last = this.messages.at(-1)
    const callIds = last?.role === 'assistant' ? (last.tool_calls ?? []).map((call) => call.id) : []
    if (this.format === 'openai' && callIds.length > 0) {
      for (const id of callIds) this.messages.push({ role: 'tool', content: text, tool_call_id: id })
    } else {
      this.messages.push({ role: 'user', content: text })
    }
  }
}
