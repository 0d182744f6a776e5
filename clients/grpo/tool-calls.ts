// Tool calls as a policy writes them: the Chat Completions `tool_calls` field, Hermes
// `<tool_call>{"name": ..., "arguments": {...}}</tool_call>` tags (Qwen's chat template), or the
// paper's bare `{"name": ..., "parameters": {...}}` object. Exactly one call per turn: anything
// else is a parse failure whose text the policy reads as its next observation.
import { Template } from '@huggingface/jinja'

export type ToolCallFormat = 'openai' | 'hermes' | 'paper' | 'auto'

export interface PolicyReplyMessage {
  content: string | null
  /** A reasoning model's thinking, apart from the content (never parsed for calls). */
  reasoning?: string
  toolCalls?: Array<{ id: string, type?: 'function', function: { name: string, arguments: string } }>
}

// A type alias rather than an interface, so an action is assignable to the protocol's plain-object types.
export type ToolAction = {
  name: string
  parameters: Record<string, unknown>
}

export type ParsedToolCall =
  | { ok: true, action: ToolAction, callId?: string }
  | { ok: false, error: string }

const hermesOpen = '<tool_call>'
const hermesClose = '</tool_call>'

/** How each format asks for one call, quoted in the error observations. */
const formatHint = {
  // With API tools the model calls through the function-calling interface, not by writing JSON.
  openai: 'Call exactly one tool per turn, as a function call through the tool-calling interface.',
  hermes: 'Call exactly one tool per turn, written as <tool_call>\n{"name": <tool name>, "arguments": {...}}\n</tool_call>.',
  paper: 'Call exactly one tool per turn, written as one JSON object: {"name": <tool name>, "parameters": {...}}.',
} as const

/** The key that holds the call's parameters in each format. */
const argumentsKey = { openai: 'arguments', hermes: 'arguments', paper: 'parameters' } as const

const failure = (error: string): ParsedToolCall => ({ ok: false, error: `Error: ${error}` })

export function parseToolCall (reply: PolicyReplyMessage, format: ToolCallFormat): ParsedToolCall {
  switch (format) {
    case 'openai': return parseOpenAi(reply)
    case 'hermes': return parseHermes(reply.content ?? '')
    case 'paper': return parsePaper(reply.content ?? '')
    case 'auto': {
      if (reply.toolCalls !== undefined && reply.toolCalls.length > 0) return parseOpenAi(reply)
      // A backend without a tool parser hands the call back as text: Hermes tags or a bare object.
      // The model was offered API tools, so a failure asks for a function call, not for JSON text.
      const content = reply.content ?? ''
      const parsed = content.includes(hermesOpen) ? parseHermes(content) : parsePaper(content)
      if (parsed.ok) return parsed
      return { ok: false, error: parsed.error.replace(content.includes(hermesOpen) ? formatHint.hermes : formatHint.paper, formatHint.openai) }
    }
  }
}

/** The sentence an error observation ends with: how to call a tool in this format. */
export function toolCallHint (format: ToolCallFormat): string {
  return formatHint[format === 'auto' ? 'openai' : format]
}

const thinkOpen = '<think>'
const thinkClose = '</think>'

/**
 * A reasoning model's reply split into its thinking and the rest, as Qwen3's chat template splits
 * it (the content is what follows the last `</think>`). Only the content is parsed for a call, so a
 * call the model drafts while thinking is not taken for its answer. A `<think>` never closed is all
 * thinking (the reply was cut off before the answer).
 */
export function splitReasoning (text: string): { content: string, reasoning?: string } {
  const close = text.lastIndexOf(thinkClose)
  if (close === -1) {
    const start = text.trimStart()
    return start.startsWith(thinkOpen) ? { content: '', reasoning: start.slice(thinkOpen.length).trim() } : { content: text }
  }
  const before = text.slice(0, close)
  const open = before.indexOf(thinkOpen)
  return { content: text.slice(close + thinkClose.length).trim(), reasoning: (open === -1 ? before : before.slice(open + thinkOpen.length)).trim() }
}

function parseOpenAi (reply: PolicyReplyMessage): ParsedToolCall {
  const calls = reply.toolCalls ?? []
  if (calls.length === 0) return failure(`the reply has no tool call. ${formatHint.openai}`)
  if (calls.length > 1) return failure(`the reply has ${calls.length} tool calls. ${formatHint.openai}`)
  const call = calls[0]!
  const name: unknown = call.function.name
  if (typeof name !== 'string' || name === '') return failure(`the tool call has no name. ${formatHint.openai}`)
  let parameters: unknown
  try {
    parameters = JSON.parse(call.function.arguments)
  } catch (error) {
    return failure(`the arguments of the call to ${name} are not valid JSON (${(error as Error).message}). ${formatHint.openai}`)
  }
  if (!isPlainObject(parameters)) return failure(`the arguments of the call to ${name} must be a JSON object, not ${describe(parameters)}. ${formatHint.openai}`)
  return { ok: true, action: { name, parameters }, callId: call.id }
}

function parseHermes (content: string): ParsedToolCall {
  const bodies: string[] = []
  let from = 0
  for (;;) {
    const open = content.indexOf(hermesOpen, from)
    if (open === -1) break
    const close = content.indexOf(hermesClose, open + hermesOpen.length)
    if (close === -1) return failure(`${hermesOpen} is not closed by ${hermesClose}. ${formatHint.hermes}`)
    bodies.push(content.slice(open + hermesOpen.length, close))
    from = close + hermesClose.length
  }
  if (bodies.length === 0) return failure(`the reply has no ${hermesOpen}. ${formatHint.hermes}`)
  if (bodies.length > 1) return failure(`the reply has ${bodies.length} tool calls. ${formatHint.hermes}`)
  return parseCallObject(bodies[0]!.trim(), 'hermes')
}

function parsePaper (content: string): ParsedToolCall {
  const objects = jsonObjectSpans(content)
  if (objects === 'unterminated') return failure(`a JSON object in the reply is not closed. ${formatHint.paper}`)
  if (objects.length === 0) return failure(`the reply has no tool call. ${formatHint.paper}`)
  if (objects.length > 1) return failure(`the reply has ${objects.length} JSON objects. ${formatHint.paper}`)
  return parseCallObject(objects[0]!, 'paper')
}

/** One call's JSON text: `name` and the format's arguments key, nothing else. */
function parseCallObject (text: string, format: 'hermes' | 'paper'): ParsedToolCall {
  const hint = formatHint[format]
  const key = argumentsKey[format]
  let call: unknown
  try {
    call = JSON.parse(text)
  } catch (error) {
    return failure(`the tool call is not valid JSON (${(error as Error).message}). ${hint}`)
  }
  if (!isPlainObject(call)) return failure(`the tool call must be a JSON object, not ${describe(call)}. ${hint}`)
  const unexpected = Object.keys(call).find((name) => name !== 'name' && name !== key)
  if (unexpected !== undefined) return failure(`unexpected key ${JSON.stringify(unexpected)} in the tool call (expected "name" and "${key}"). ${hint}`)
  const name = call.name
  if (name === undefined) return failure(`the tool call has no "name". ${hint}`)
  if (typeof name !== 'string' || name === '') return failure(`"name" must be a non-empty string, not ${describe(name)}. ${hint}`)
  // A tool without parameters may be called without the key (but not with null).
  const parameters = call[key] === undefined ? {} : call[key]
  if (!isPlainObject(parameters)) return failure(`"${key}" of the call to ${name} must be a JSON object, not ${describe(parameters)}. ${hint}`)
  return { ok: true, action: { name, parameters } }
}

/**
 * The top-level `{...}` spans of a text, found by matching braces outside JSON strings, so prose or
 * a ``` fence around the object does not matter.
 */
function jsonObjectSpans (text: string): string[] | 'unterminated' {
  const spans: string[] = []
  let depth = 0
  let start = -1
  let inString = false
  for (let index = 0; index < text.length; index++) {
    const char = text[index]
    if (inString) {
      if (char === '\\') index++
      else if (char === '"') inString = false
      continue
    }
    if (char === '"' && depth > 0) inString = true
    else if (char === '{') {
      if (depth === 0) start = index
      depth++
    } else if (char === '}' && depth > 0) {
      depth--
      if (depth === 0) spans.push(text.slice(start, index + 1))
    }
  }
  return depth > 0 ? 'unterminated' : spans
}

function isPlainObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function describe (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`
  if (typeof value === 'number' || typeof value === 'boolean') return `the ${typeof value} ${String(value)}`
  return typeof value
}

// The same `tojson` filter the chat template applies, so a Hermes call the test backend writes is
// byte for byte the text the template renders for that call in the conversation.
const toJsonTemplate = new Template('{{ value | tojson }}')

/** Compact JSON with ", " and ": " separators, as Python's json.dumps and the jinja `tojson` filter write it. */
export function templateJson (value: unknown): string {
  return toJsonTemplate.render({ value })
}

/** The text a model writes for one call in a text format. */
export function formatToolCall (action: ToolAction, format: 'hermes' | 'paper'): string {
  const name = templateJson(action.name)
  if (format === 'hermes') return `${hermesOpen}\n{"name": ${name}, "arguments": ${templateJson(action.parameters)}}\n${hermesClose}`
  return `{"name": ${name}, "parameters": ${templateJson(action.parameters)}}`
}
