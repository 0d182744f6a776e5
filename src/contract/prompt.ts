// What a policy model sees of an episode, in the paper's style: a system message with the protocol
// and the tool docs as a `functions` list, the task statement as the first user message, and each
// tool result as the next turn. Pure functions, shared by `codegym play` and rollout clients.
import type { JsonValue, ResetInfo, StepResult, ToolDescriptor } from '../schemas/env.generated.ts'
import { doneToolName, observeToolName } from './builtin-tools.ts'

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool'
  content: string
}

/** A Chat Completions `tools` entry. */
export interface OpenAiTool {
  type: 'function'
  function: ToolDescriptor
}

/** The part of a reset result a prompt is made of: the statement and every tool, Observe and Done included. */
export type PromptSource = Pick<ResetInfo, 'task' | 'tools'>

/**
 * The system message: how to act (one JSON tool call per turn, Done to finish, errors come back
 * as observations) and the tools as a JSON `functions` list.
 */
export function renderSystemPrompt (tools: readonly ToolDescriptor[]): string {
  return [
    'You are solving a task by calling tools in an environment. You cannot see the environment directly: call its tools to learn what you need.',
    '',
    'Call exactly one tool per turn, written as a JSON object:',
    '{"name": "<tool name>", "parameters": {<parameter name>: <value>, ...}}',
    '',
    `The result of each call comes back as the next message. If a call fails (an unknown tool, a wrong parameter, an error inside the tool), the error text comes back instead and nothing in the environment changes; you may try again. \`${observeToolName}\` returns what is currently observable. When you know the answer, call \`${doneToolName}\` with it: that ends the episode, and you have only one submission. The number of calls is limited.`,
    '',
    'You have access to the following functions:',
    JSON.stringify(tools, null, 2),
  ].join('\n')
}

/** The messages that start an episode: the system message, then the task statement as the user's. */
export function renderPrompt (source: PromptSource): ChatMessage[] {
  return [
    { role: 'system', content: renderSystemPrompt(source.tools) },
    { role: 'user', content: source.task },
  ]
}

/** The tools in the form of the Chat Completions API's `tools` parameter. */
export function openAiTools (tools: readonly ToolDescriptor[]): OpenAiTool[] {
  return tools.map((tool) => ({ type: 'function', function: tool }))
}

/** An observation as text: strings as they are, anything else as compact JSON. */
export function observationText (observation: JsonValue): string {
  return typeof observation === 'string' ? observation : JSON.stringify(observation)
}

/**
 * The turn that answers a tool call. The text is the observation (a failed call's observation is
 * already its error text, "Error: ..."). role 'user' suits plain-text prompting; a Chat Completions
 * client that sent `tools` sends the same content with role 'tool' and its tool_call_id.
 */
export function renderObservation (result: Pick<StepResult, 'observation'>, role: 'user' | 'tool' = 'user'): ChatMessage {
  return { role, content: observationText(result.observation) }
}
