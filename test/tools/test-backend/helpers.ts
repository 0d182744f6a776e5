// What the test-backend tests share: one tokenizer, a tools fixture, and JSON over HTTP.
import { loadChatTokenizer, type TemplateMessage } from '../../../clients/grpo/tokenizer.ts'
import type { OpenAiTool } from '../../../src/contract/prompt.ts'
import type { ToolDescriptor } from '../../../src/schemas/env.generated.ts'

export const tokenizer = await loadChatTokenizer()

/** Tools as a Chat Completions request sends them: an env tool with a ranged integer, Observe and Done. */
export const tools: OpenAiTool[] = [
  {
    type: 'function',
    function: {
      name: 'GetElement',
      description: 'Return the element at a position of the hidden array.',
      parameters: { type: 'object', properties: { index: { type: 'integer', minimum: 0, maximum: 999, description: 'position, from 0' } }, required: ['index'], additionalProperties: false } as ToolDescriptor['parameters'],
    },
  },
  {
    type: 'function',
    function: { name: 'Observe', description: 'Return what is observable.', parameters: { type: 'object', properties: {}, required: [], additionalProperties: false } },
  },
  {
    type: 'function',
    function: {
      name: 'Done',
      description: 'Submit the answer.',
      parameters: { type: 'object', properties: { answer: { type: 'integer', description: 'the largest element' } }, required: ['answer'], additionalProperties: false } as ToolDescriptor['parameters'],
    },
  },
]

/** The same tools as env descriptors. */
export const toolList: ToolDescriptor[] = tools.map((tool) => tool.function)

export const firstTurn: TemplateMessage[] = [
  { role: 'system', content: 'Solve the task with the tools.' },
  { role: 'user', content: 'Find the largest element.' },
]

export interface JsonResponse {
  status: number
  // Tests read response bodies field by field; their shapes are what the tests check.
  body: any
}

export async function post (url: string, path: string, body: unknown, init: RequestInit = {}): Promise<JsonResponse> {
  const response = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  })
  return { status: response.status, body: await response.json() }
}

export async function get (url: string, path: string): Promise<JsonResponse> {
  const response = await fetch(url + path)
  return { status: response.status, body: await response.json() }
}
