// A scripted OpenAI-compatible Chat Completions server for tests: every answer comes from a policy
// function, given the request's prompt text, messages, tools, turn and seed.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ScriptedMessage {
  role: string
  content: string
}

export interface ScriptedInput {
  endpoint: 'chat'
  /** Every message's content, joined by newlines. */
  promptText: string
  messages: ScriptedMessage[]
  /** Names of the tools sent with the request. */
  tools: string[]
  /** Assistant turns already in the conversation. */
  turn: number
  seed: number
}

export type ScriptedReply =
  | { kind: 'text', text: string }
  | { kind: 'call', name: string, arguments: unknown }
  | { kind: 'http_error', status: number }

export type ScriptedPolicy = (input: ScriptedInput) => ScriptedReply

export interface ScriptedLlm {
  url: string
  /** Requests answered so far. */
  readonly requests: number
  close: () => Promise<void>
}

export async function startScriptedLlm (policy: ScriptedPolicy): Promise<ScriptedLlm> {
  let requests = 0
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      requests++
      const send = (status: number, body: unknown): void => {
        response.writeHead(status, { 'content-type': 'application/json' })
        response.end(JSON.stringify(body))
      }
      if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
        send(404, { error: { message: `no route ${request.method ?? ''} ${request.url ?? ''}` } })
        return
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messages: ScriptedMessage[], tools?: Array<{ function: { name: string } }>, seed?: number }
      const reply = policy({
        endpoint: 'chat',
        promptText: body.messages.map((message) => message.content).join('\n'),
        messages: body.messages,
        tools: (body.tools ?? []).map((tool) => tool.function.name),
        turn: body.messages.filter((message) => message.role === 'assistant').length,
        seed: body.seed ?? 0,
      })
      if (reply.kind === 'http_error') {
        send(reply.status, { error: { message: `scripted error ${reply.status}` } })
        return
      }
      const message = reply.kind === 'text'
        ? { role: 'assistant', content: reply.text }
        : { role: 'assistant', content: null, tool_calls: [{ id: `call_${requests}`, type: 'function', function: { name: reply.name, arguments: JSON.stringify(reply.arguments) } }] }
      send(200, { id: `scripted-${requests}`, object: 'chat.completion', choices: [{ index: 0, message, finish_reason: reply.kind === 'call' ? 'tool_calls' : 'stop' }] })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get requests () { return requests },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
