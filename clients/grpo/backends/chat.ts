// `/v1/chat/completions` (vLLM, SGLang, llama.cpp server, TGI): messages in, one assistant message
// out, with OpenAI `tool_calls` when the request offered `tools`.
import type { PolicyReplyMessage } from '../tool-calls.ts'
import { postJson, serverRoot, type RetryPolicy } from './http.ts'
import { malformed, objectAt, optionalNumber } from './parse.ts'
import type { ChatApiMessage, ChatBackend, ChatGeneration, SamplingParams } from './types.ts'

export function chatBackend (baseUrl: string, model: string, retry: RetryPolicy): ChatBackend {
  const url = `${serverRoot(baseUrl)}/v1/chat/completions`
  return {
    url: baseUrl,
    async chat (messages: readonly ChatApiMessage[], tools: readonly unknown[] | undefined, sampling: SamplingParams): Promise<ChatGeneration> {
      const body: Record<string, unknown> = {
        model,
        messages,
        max_tokens: sampling.maxTokens,
        temperature: sampling.temperature,
        seed: sampling.seed,
        n: 1,
      }
      if (tools !== undefined && tools.length > 0) body.tools = tools
      const answer = objectAt(await postJson(url, body, retry), url, 'a JSON object')
      if (!Array.isArray(answer.choices) || answer.choices.length === 0) throw malformed(url, 'choices[0]')
      const choice = objectAt(answer.choices[0], url, 'choices[0]')
      const message = objectAt(choice.message, url, 'choices[0].message')
      const usage = answer.usage === undefined || answer.usage === null ? {} : objectAt(answer.usage, url, 'a usage object')
      return {
        message: replyMessage(message, url),
        finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : 'stop',
        promptTokens: optionalNumber(usage.prompt_tokens),
        completionTokens: optionalNumber(usage.completion_tokens),
      }
    },
  }
}

function replyMessage (message: Record<string, unknown>, url: string): PolicyReplyMessage {
  const content = typeof message.content === 'string' ? message.content : null
  if (message.tool_calls === undefined || message.tool_calls === null) return { content }
  if (!Array.isArray(message.tool_calls)) throw malformed(url, 'a tool_calls array')
  const toolCalls = message.tool_calls.map((entry, index) => {
    const call = objectAt(entry, url, `tool_calls[${index}]`)
    const fn = objectAt(call.function, url, `tool_calls[${index}].function`)
    // Arguments stay as the model wrote them: parsing (and refusing) them is the tool-call parser's job.
    const args = typeof fn.arguments === 'string' ? fn.arguments : JSON.stringify(fn.arguments ?? {})
    return { id: typeof call.id === 'string' ? call.id : `call_${index}`, type: 'function' as const, function: { name: typeof fn.name === 'string' ? fn.name : '', arguments: args } }
  })
  return { content, toolCalls }
}
