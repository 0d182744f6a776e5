// Request bodies of the three generation endpoints, checked and brought to one shape. Field names
// follow OpenAI's Chat Completions and Completions APIs with vLLM's extensions
// (`return_token_ids`, `stop_token_ids`, token-id prompts) and SGLang's native /generate.
import type { ChatTokenizer, TemplateMessage } from '../../clients/grpo/tokenizer.ts'
import { badRequest, contextOverflow } from './errors.ts'
import { assistantTurns, toolEntry, toolsFromPrompt } from './prompt-reading.ts'
import type { SegmentCodec } from './segment-cache.ts'
import type { CallFormat, ChatServer, TestPolicyInput, TestPolicyTool, TestSampling } from './types.ts'

export type Endpoint = TestPolicyInput['endpoint']

/** A generation request, whatever endpoint it came from: what the policy sees, and the rest. */
export interface GenerationRequest extends TestPolicyInput {
  promptIds: number[]
  /** Completion tokens allowed, the context limit already applied. */
  maxTokens: number
  stopTokenIds: number[]
  /** Whether to report a log-prob per completion token. */
  logprobs: boolean
  returnTokenIds: boolean
  /** Chat only: a call goes in the `tool_calls` field rather than in the content. */
  toolCallsField: boolean
}

export interface RequestContext {
  tokenizer: ChatTokenizer
  callFormat: CallFormat
  /** Whose chat endpoint to imitate where servers differ: context overflow, unparseable calls. */
  chatServer: ChatServer
  maxContextTokens: number
  completionsMaxTokens: number
  generateMaxNewTokens: number
  maxLogprobs: number
  /** Prompts to ids and back, exactly as the tokenizer does, with turns cached. */
  codec: SegmentCodec
  /** Whether the tokenizer knows a token id. */
  isKnownId: (id: number) => boolean
}

type Body = Record<string, unknown>

export function parseBody (endpoint: Endpoint, body: unknown, context: RequestContext): GenerationRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the request body must be a JSON object')
  const fields = body as Body
  optionalString(fields, 'model')
  // Answered as one JSON object with one choice: asking for more, or for a stream, is refused
  // rather than silently served otherwise.
  if (optionalBoolean(fields, 'stream') === true) throw badRequest('stream is not supported by the test backend', 'stream')
  if ((optionalInteger(fields, 'n', 1) ?? 1) !== 1) throw badRequest('n must be 1: the test backend samples one choice', 'n')
  switch (endpoint) {
    case 'chat': return parseChat(fields, context)
    case 'completions': return parseCompletions(fields, context)
    case 'generate': return parseGenerate(fields, context)
  }
}

const roles = new Set(['system', 'user', 'assistant', 'tool'])

function parseChat (body: Body, context: RequestContext): GenerationRequest {
  const messages = body.messages
  if (messages === undefined) throw badRequest('messages is required', 'messages')
  if (!Array.isArray(messages) || messages.length === 0) throw badRequest('messages must be a non-empty array', 'messages')
  const templateMessages = messages.map((message, index) => chatMessage(message, `messages[${index}]`))
  const toolsField = body.tools
  let tools: TestPolicyTool[] = []
  if (toolsField !== undefined && toolsField !== null) {
    if (!Array.isArray(toolsField)) throw badRequest('tools must be an array', 'tools')
    tools = toolsField.map((entry, index) => {
      const tool = typeof entry === 'object' && entry !== null && (entry as Body).type === 'function' ? toolEntry(entry) : undefined
      if (tool === undefined || typeof (entry as Body).function !== 'object') {
        throw badRequest(`tools[${index}] must be {"type": "function", "function": {"name": string, ...}}`, `tools[${index}]`)
      }
      return tool
    })
  }
  const toolChoice = body.tool_choice
  const namedChoice = typeof toolChoice === 'object' && toolChoice !== null &&
    (toolChoice as Body).type === 'function' && typeof ((toolChoice as Body).function as Body | undefined)?.name === 'string'
  if (toolChoice !== undefined && toolChoice !== null && toolChoice !== 'none' && toolChoice !== 'auto' && toolChoice !== 'required' && !namedChoice) {
    throw badRequest('tool_choice must be "none", "auto", "required" or {"type": "function", "function": {"name": string}}', 'tool_choice')
  }
  const promptText = context.tokenizer.renderChat(templateMessages, { tools: toolsField as unknown[] | undefined, addGenerationPrompt: true })
  const promptIds = context.codec.encode(promptText)
  const logprobs = optionalBoolean(body, 'logprobs') ?? false
  const topLogprobs = optionalInteger(body, 'top_logprobs', 0, context.maxLogprobs)
  if (topLogprobs !== undefined && topLogprobs > 0 && !logprobs) throw badRequest('top_logprobs needs logprobs: true', 'top_logprobs')
  const maxTokens = optionalInteger(body, 'max_completion_tokens', 1) ?? optionalInteger(body, 'max_tokens', 1)
  return {
    endpoint: 'chat',
    promptIds,
    promptText,
    tools: tools.length > 0 ? tools : toolsFromPrompt(promptText),
    turn: templateMessages.filter((message) => message.role === 'assistant').length,
    ...sampling(body, ''),
    sampling: samplingControls(body, '', context.chatServer === 'llama.cpp' ? 'repeat_penalty' : 'repetition_penalty'),
    maxTokens: context.chatServer === 'llama.cpp'
      // llama-server refuses only a prompt that does not fit; a completion stops where the context ends.
      ? llamaCppBudget(promptIds.length, maxTokens, context)
      : contextBudget(promptIds.length, maxTokens, context, 'messages'),
    stopTokenIds: tokenIds(body, 'stop_token_ids', context, true) ?? [],
    logprobs,
    returnTokenIds: optionalBoolean(body, 'return_token_ids') ?? false,
    toolCallsField: context.callFormat === 'openai' && tools.length > 0 && toolChoice !== 'none',
  }
}

/** One Chat Completions message as the chat template takes it: arguments parsed, content a string. */
function chatMessage (message: unknown, path: string): TemplateMessage {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) throw badRequest(`${path} must be an object`, path)
  const { role, content, tool_calls: toolCalls, tool_call_id: toolCallId, reasoning_content: reasoning } = message as Body
  if (typeof role !== 'string' || !roles.has(role)) throw badRequest(`${path}.role must be one of system, user, assistant, tool`, `${path}.role`)
  const result: TemplateMessage = { role: role as TemplateMessage['role'], content: messageText(content, `${path}.content`) }
  if (toolCalls !== undefined && toolCalls !== null) {
    if (role !== 'assistant' || !Array.isArray(toolCalls)) throw badRequest(`${path}.tool_calls must be an array on an assistant message`, `${path}.tool_calls`)
    result.tool_calls = toolCalls.map((call, index) => {
      const fn = typeof call === 'object' && call !== null ? (call as Body).function as Body | undefined : undefined
      if (typeof fn !== 'object' || fn === null || typeof fn.name !== 'string' || (typeof fn.arguments !== 'string' && typeof fn.arguments !== 'object')) {
        throw badRequest(`${path}.tool_calls[${index}] must be {"function": {"name": string, "arguments": string}}`, `${path}.tool_calls[${index}]`)
      }
      // As vLLM does before templating: JSON-string arguments become objects, so the template
      // writes the call as the model wrote it.
      return { type: 'function' as const, function: { name: fn.name, arguments: parsedArguments(fn.arguments) } }
    })
  }
  if (reasoning !== undefined && reasoning !== null) {
    if (role !== 'assistant' || typeof reasoning !== 'string') throw badRequest(`${path}.reasoning_content must be a string on an assistant message`, `${path}.reasoning_content`)
    // As vLLM, SGLang and llama.cpp hand it on: the template decides where the thinking goes.
    result.reasoning_content = reasoning
  }
  if (toolCallId !== undefined) {
    if (typeof toolCallId !== 'string') throw badRequest(`${path}.tool_call_id must be a string`, `${path}.tool_call_id`)
    result.tool_call_id = toolCallId
  }
  return result
}

function messageText (content: unknown, path: string): string {
  if (content === null || content === undefined) return ''
  if (typeof content === 'string') return content
  if (Array.isArray(content)) {
    return content.map((part, index) => {
      if (typeof part !== 'object' || part === null || (part as Body).type !== 'text' || typeof (part as Body).text !== 'string') {
        throw badRequest(`${path}[${index}] must be {"type": "text", "text": string}`, `${path}[${index}]`)
      }
      return (part as Body).text as string
    }).join('')
  }
  throw badRequest(`${path} must be a string, an array of text parts or null`, path)
}

function parsedArguments (value: unknown): unknown {
  if (typeof value !== 'string') return value
  try {
    return JSON.parse(value)
  } catch {
    return value
  }
}

function parseCompletions (body: Body, context: RequestContext): GenerationRequest {
  let prompt = body.prompt
  if (prompt === undefined) throw badRequest('prompt is required', 'prompt')
  // A batch of one is one prompt; larger batches are not served.
  if (Array.isArray(prompt) && prompt.length === 1 && (typeof prompt[0] === 'string' || Array.isArray(prompt[0]))) prompt = prompt[0]
  const { promptIds, promptText } = promptInput(prompt, 'prompt', context, 'prompt must be a string or a non-empty list of token ids (one prompt per request)')
  const logprobs = optionalInteger(body, 'logprobs', 0, context.maxLogprobs)
  const maxTokens = optionalInteger(body, 'max_tokens', 1) ?? context.completionsMaxTokens
  return {
    endpoint: 'completions',
    promptIds,
    promptText,
    tools: toolsFromPrompt(promptText),
    turn: assistantTurns(promptText),
    ...sampling(body, ''),
    sampling: samplingControls(body, '', 'repetition_penalty'),
    maxTokens: contextBudget(promptIds.length, maxTokens, context, 'prompt'),
    stopTokenIds: tokenIds(body, 'stop_token_ids', context, true) ?? [],
    logprobs: logprobs !== undefined,
    returnTokenIds: optionalBoolean(body, 'return_token_ids') ?? false,
    toolCallsField: false,
  }
}

function parseGenerate (body: Body, context: RequestContext): GenerationRequest {
  const hasText = body.text !== undefined
  const hasIds = body.input_ids !== undefined
  if (hasText === hasIds) throw badRequest('give exactly one of text and input_ids', hasText ? 'input_ids' : 'text')
  const { promptIds, promptText } = hasText
    ? promptInput(body.text, 'text', context, 'text must be a non-empty string (one prompt per request)')
    : promptInput(body.input_ids, 'input_ids', context, 'input_ids must be a non-empty list of token ids (one prompt per request)')
  const params = body.sampling_params ?? {}
  if (typeof params !== 'object' || params === null || Array.isArray(params)) throw badRequest('sampling_params must be an object', 'sampling_params')
  const samplingParams = params as Body
  const requested = optionalInteger(samplingParams, 'max_new_tokens', 1, Number.MAX_SAFE_INTEGER, 'sampling_params.') ?? context.generateMaxNewTokens
  if (promptIds.length >= context.maxContextTokens) throw contextOverflow('sglang', promptIds.length, requested, context.maxContextTokens, 'prompt')
  return {
    endpoint: 'generate',
    promptIds,
    promptText,
    tools: toolsFromPrompt(promptText),
    turn: assistantTurns(promptText),
    ...sampling(samplingParams, 'sampling_params.', 'sampling_seed'),
    sampling: samplingControls(samplingParams, 'sampling_params.', 'repetition_penalty'),
    // SGLang shortens max_new_tokens to what the context has left rather than refusing.
    maxTokens: Math.min(requested, context.maxContextTokens - promptIds.length),
    stopTokenIds: tokenIds(samplingParams, 'stop_token_ids', context, true, 'sampling_params.') ?? [],
    logprobs: optionalBoolean(body, 'return_logprob') ?? false,
    returnTokenIds: true,
    toolCallsField: false,
  }
}

/** A prompt given as text or as token ids, in both forms. */
function promptInput (prompt: unknown, name: string, context: RequestContext, shape: string): { promptIds: number[], promptText: string } {
  if (typeof prompt === 'string') {
    if (prompt === '') throw badRequest(shape, name)
    return { promptText: prompt, promptIds: context.codec.encode(prompt) }
  }
  // Lists of strings or of lists are batches, which are not served.
  if (!Array.isArray(prompt) || prompt.length === 0 || typeof prompt[0] === 'string' || Array.isArray(prompt[0])) throw badRequest(shape, name)
  const promptIds = tokenIds({ [name]: prompt }, name, context, false)!
  return { promptIds, promptText: context.codec.decode(promptIds) }
}

function tokenIds (body: Body, name: string, context: RequestContext, optional: boolean, prefix = ''): number[] | undefined {
  const value = body[name]
  if (value === undefined || value === null) {
    if (optional) return undefined
    throw badRequest(`${prefix}${name} is required`, prefix + name)
  }
  if (!Array.isArray(value)) throw badRequest(`${prefix}${name} must be a list of token ids`, prefix + name)
  value.forEach((id: unknown, index) => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw badRequest(`${prefix}${name}[${index}] must be a non-negative integer token id`, prefix + name)
    if (!context.isKnownId(id)) throw badRequest(`${prefix}${name}[${index}]: token id ${id} is not in the vocabulary`, prefix + name)
  })
  return value as number[]
}

function sampling (body: Body, prefix: string, seedName = 'seed'): { seed: number, temperature: number } {
  const temperature = body.temperature
  if (temperature !== undefined && temperature !== null && (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0)) {
    throw badRequest(`${prefix}temperature must be a number >= 0`, prefix + 'temperature')
  }
  const seed = optionalInteger(body, seedName, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, prefix) ?? 0
  return { seed, temperature: typeof temperature === 'number' ? temperature : 1 }
}

/** The completion budget; like vLLM, a prompt plus an explicit max_tokens beyond the context is refused. */
function contextBudget (promptTokens: number, maxTokens: number | undefined, context: RequestContext, part: string): number {
  if (promptTokens >= context.maxContextTokens || (maxTokens !== undefined && promptTokens + maxTokens > context.maxContextTokens)) {
    throw contextOverflow('vllm', promptTokens, maxTokens ?? 0, context.maxContextTokens, part)
  }
  return maxTokens ?? context.maxContextTokens - promptTokens
}

function llamaCppBudget (promptTokens: number, maxTokens: number | undefined, context: RequestContext): number {
  if (promptTokens >= context.maxContextTokens) throw contextOverflow('llama.cpp', promptTokens, maxTokens ?? 0, context.maxContextTokens, 'messages')
  return Math.min(maxTokens ?? Number.MAX_SAFE_INTEGER, context.maxContextTokens - promptTokens)
}

/** The sampling controls a request carries under the endpoint's own names, checked; absent ones are undefined. */
function samplingControls (body: Body, prefix: string, repetitionName: string): TestSampling {
  const number = (name: string, min: number, max: number): number | undefined => {
    const value = body[name]
    if (value === undefined || value === null) return undefined
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) throw badRequest(`${prefix}${name} must be a number from ${min} to ${max}`, prefix + name)
    return value
  }
  const stop = body.stop
  let stops: string[] | undefined
  if (typeof stop === 'string') stops = [stop]
  else if (Array.isArray(stop) && stop.every((entry) => typeof entry === 'string')) stops = stop as string[]
  else if (stop !== undefined && stop !== null) throw badRequest(`${prefix}stop must be a string or a list of strings`, prefix + 'stop')
  const controls: TestSampling = {}
  const set = <K extends keyof TestSampling>(key: K, value: TestSampling[K] | undefined): void => { if (value !== undefined) controls[key] = value }
  set('topP', number('top_p', 0, 1))
  set('topK', number('top_k', -1, Number.MAX_SAFE_INTEGER))
  set('minP', number('min_p', 0, 1))
  set('repetitionPenalty', number(repetitionName, 0, Number.MAX_SAFE_INTEGER))
  set('presencePenalty', number('presence_penalty', -2, 2))
  set('frequencyPenalty', number('frequency_penalty', -2, 2))
  set('stop', stops)
  return controls
}

function optionalString (body: Body, name: string): string | undefined {
  const value = body[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw badRequest(`${name} must be a string`, name)
  return value
}

function optionalBoolean (body: Body, name: string): boolean | undefined {
  const value = body[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'boolean') throw badRequest(`${name} must be a boolean`, name)
  return value
}

function optionalInteger (body: Body, name: string, min: number, max = Number.MAX_SAFE_INTEGER, prefix = ''): number | undefined {
  const value = body[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? (min === Number.MIN_SAFE_INTEGER ? '' : ` >= ${min}`) : ` from ${min} to ${max}`
    throw badRequest(`${prefix}${name} must be an integer${range}`, prefix + name)
  }
  return value
}
