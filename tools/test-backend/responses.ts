// Response bodies: OpenAI's Chat Completions and Completions objects with vLLM's `token_ids`,
// `prompt_token_ids` and `stop_reason`, and SGLang's /generate object.
import type { ChatTokenizer } from '../../clients/grpo/tokenizer.ts'
import type { Completion } from './generation.ts'
import type { GenerationRequest } from './requests.ts'

export interface ResponseContext {
  id: string
  model: string
  tokenizer: ChatTokenizer
}

export function responseBody (request: GenerationRequest, completion: Completion, context: ResponseContext): object {
  switch (request.endpoint) {
    case 'chat': return chatBody(request, completion, context)
    case 'completions': return completionsBody(request, completion, context)
    case 'generate': return generateBody(request, completion, context)
  }
}

function usage (request: GenerationRequest, completion: Completion) {
  return { prompt_tokens: request.promptIds.length, completion_tokens: completion.ids.length, total_tokens: request.promptIds.length + completion.ids.length }
}

const created = (): number => Math.floor(Date.now() / 1000)

function chatBody (request: GenerationRequest, completion: Completion, context: ResponseContext): object {
  const tokens = completion.ids.map((id) => context.tokenizer.decode([id]))
  // A reasoning reply's thinking goes in reasoning_content, as a server with a reasoning parser answers.
  const thinking = completion.reasoning === undefined ? {} : { reasoning_content: completion.reasoning.thinking }
  const message = completion.toolCall === undefined
    ? { role: 'assistant', content: completion.reasoning?.content ?? completion.text, ...thinking }
    : {
        role: 'assistant',
        content: null,
        ...thinking,
        tool_calls: [{ id: completion.toolCall.id, type: 'function', function: { name: completion.toolCall.name, arguments: completion.toolCall.arguments } }],
      }
  return {
    id: `chatcmpl-${context.id}`,
    object: 'chat.completion',
    created: created(),
    model: context.model,
    choices: [{
      index: 0,
      message,
      logprobs: request.logprobs
        ? { content: tokens.map((token, index) => ({ token, logprob: completion.logprobs[index]!, bytes: [...Buffer.from(token, 'utf8')], top_logprobs: [] })) }
        : null,
      finish_reason: completion.finishReason,
      stop_reason: completion.stopReason,
      ...(request.returnTokenIds ? { token_ids: completion.ids } : {}),
    }],
    usage: usage(request, completion),
    ...(request.returnTokenIds ? { prompt_token_ids: request.promptIds } : {}),
  }
}

function completionsBody (request: GenerationRequest, completion: Completion, context: ResponseContext): object {
  let logprobs = null
  if (request.logprobs) {
    const tokens = completion.ids.map((id) => context.tokenizer.decode([id]))
    const offsets: number[] = []
    let offset = 0
    for (const token of tokens) {
      offsets.push(offset)
      offset += token.length
    }
    logprobs = {
      tokens,
      token_logprobs: completion.logprobs,
      // Alternatives are not modelled: each position lists the sampled token alone.
      top_logprobs: tokens.map((token, index) => ({ [token]: completion.logprobs[index]! })),
      text_offset: offsets,
    }
  }
  return {
    id: `cmpl-${context.id}`,
    object: 'text_completion',
    created: created(),
    model: context.model,
    choices: [{
      index: 0,
      text: completion.text,
      logprobs,
      finish_reason: completion.finishReason,
      stop_reason: completion.stopReason,
      ...(request.returnTokenIds ? { token_ids: completion.ids, prompt_token_ids: request.promptIds } : {}),
    }],
    usage: usage(request, completion),
  }
}

function generateBody (request: GenerationRequest, completion: Completion, context: ResponseContext): object {
  const finishReason = completion.finishReason === 'length'
    ? { type: 'length', length: completion.ids.length }
    : { type: 'stop', matched: completion.stopReason ?? completion.ids.at(-1)! }
  return {
    text: completion.text,
    output_ids: completion.ids,
    meta_info: {
      id: context.id,
      finish_reason: finishReason,
      prompt_tokens: request.promptIds.length,
      completion_tokens: completion.ids.length,
      cached_tokens: 0,
      ...(request.logprobs ? { output_token_logprobs: completion.ids.map((id, index) => [completion.logprobs[index]!, id, null]) } : {}),
    },
  }
}
