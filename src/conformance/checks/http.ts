// The HTTP endpoints on the WebSocket port.
import { expect, show, type Check, type CheckContext } from '../context.ts'

async function get (context: CheckContext, path: string, method = 'GET'): Promise<{ status: number, body: unknown, type: string }> {
  const url = new URL(path, context.options.url.replace(/^ws/, 'http'))
  // A server with tokens guards /envs and /metrics with the same tokens as hello.
  const token = context.options.token
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` }
  const response = await fetch(url, { method, headers, signal: AbortSignal.timeout(context.options.timeoutMs) })
  const text = await response.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = text
  }
  return { status: response.status, body, type: response.headers.get('content-type') ?? '' }
}

export const httpChecks: Check[] = [
  {
    section: 'HTTP endpoints',
    level: 'MUST',
    statement: '/healthz answers 200 {status: "ok", sessions, connections}; /envs lists the ids of envs.list',
    once: true,
    async run (context) {
      const health = await get(context, '/healthz')
      const body = health.body as { status?: unknown, sessions?: unknown, connections?: unknown }
      expect(health.status === 200 && body.status === 'ok' && Number.isInteger(body.sessions) && Number.isInteger(body.connections), `/healthz gave ${health.status} ${show(health.body)}`)
      const envs = await get(context, '/envs')
      const client = await context.client()
      const listed = (await client.ok('envs.list') as { envs: Array<{ id: string }> }).envs.map((env) => env.id)
      expect(envs.status === 200 && JSON.stringify((envs.body as { envs?: unknown }).envs) === JSON.stringify(listed), `/envs gave ${envs.status} ${show(envs.body)}; envs.list has ${show(listed)}`)
    },
  },
  {
    section: 'HTTP endpoints',
    level: 'MUST',
    statement: 'another path is 404 and another method 405, each with a JSON body {error}',
    once: true,
    async run (context) {
      const missing = await get(context, '/no-such-path')
      expect(missing.status === 404 && typeof (missing.body as { error?: unknown }).error === 'string', `/no-such-path gave ${missing.status} ${show(missing.body)}`)
      const posted = await get(context, '/healthz', 'POST')
      expect(posted.status === 405 && typeof (posted.body as { error?: unknown }).error === 'string', `POST /healthz gave ${posted.status} ${show(posted.body)}`)
    },
  },
]
