// `/v1/chat/completions` (vLLM, SGLang, llama.cpp server, TGI): messages in, one assistant message
// out, with OpenAI `tool_calls` when the request offered `tools`.
import type { PolicyReplyMessage } from '../tool-calls.ts'
import { postJson, serverRoot, type RetryPolicy } from './http.ts'
import { malformed, objectAt, optionalNumber } from './parse.ts'
import { sharedSamplingFields, type ChatApiMessage, type ChatBackend, type ChatGeneration, type SamplingParams } from './types.ts'

export function chatBackend (baseUrl: string, model: string, retry: RetryPolicy): ChatBackend {
  const url = `${serverRoot(baseUrl)}/v1/chat/completions`
  return {
    url: baseUrl,
    async chat (messages: readonly ChatApiMessage[], tools: readonly unknown[] | undefined, sampling: SamplingParams): Promise<ChatGeneration> {
      const body: Record<string, unknown> = {
        model,
        messages,
        max_tokens: sampling.maxTokens,
        // Beyond OpenAI's fields: vLLM and SGLang read top_k, min_p and repetition_penalty;
        // llama-server reads top_k, min_p and repeat_penalty. Each ignores the names it lacks.
        ...sharedSamplingFields(sampling),
        repeat_penalty: sampling.repetitionPenalty,
        seed: sampling.seed,
        n: 1,
      }
      if (sampling.stop.length > 0) body.stop = sampling.stop
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
  // vLLM, SGLang and llama.cpp name it reasoning_content; newer vLLM also (or only) `reasoning`.
  const thinking = typeof message.reasoning_content === 'string' ? message.reasoning_content : typeof message.reasoning === 'string' ? message.reasoning : undefined
  const reasoning = thinking === undefined || thinking === '' ? {} : { reasoning: thinking }
  if (message.tool_calls === undefined || message.tool_calls === null) return { content, ...reasoning }
  if (!Array.isArray(message.tool_calls)) throw malformed(url, 'a tool_calls array')
  const toolCalls = message.tool_calls.map((entry, index) => {
    const call = objectAt(entry, url, `tool_calls[${index}]`)
    const fn = objectAt(call.function, url, `tool_calls[${index}].function`)
    // Arguments stay as the model wrote them: parsing (and refusing) them is the tool-call parser's job.
    const args = typeof fn.arguments === 'string' ? fn.arguments : JSON.stringify(fn.arguments ?? {})
    return { id: typeof call.id === 'string' ? call.id : `call_${index}`, type: 'function' as const, function: { name: typeof fn.name === 'string' ? fn.name : '', arguments: args } }
  })
  return { content, ...reasoning, toolCalls }
}
