// The HTTP endpoints on the WebSocket port.
import { CheckSkipped, expect, show, type Check, type CheckContext } from '../context.ts'

/** A request to an HTTP endpoint; `authorized` sends the token (when one was given) as a bearer token. */
async function get (context: CheckContext, path: string, method = 'GET', authorized = false): Promise<{ status: number, body: unknown, type: string }> {
  const url = new URL(path, context.options.url.replace(/^ws/, 'http'))
  const token = context.options.token
  const headers: Record<string, string> = authorized && token !== undefined ? { authorization: `Bearer ${token}` } : {}
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
      const envs = await get(context, '/envs', 'GET', true)
      const client = await context.client()
      const listed = (await client.ok('envs.list') as { envs: Array<{ id: string }> }).envs.map((env) => env.id)
      expect(envs.status === 200 && JSON.stringify((envs.body as { envs?: unknown }).envs) === JSON.stringify(listed), `/envs gave ${envs.status} ${show(envs.body)}; envs.list has ${show(listed)}`)
    },
  },
  {
    section: 'HTTP endpoints',
    level: 'MUST',
    statement: '/readyz answers 200 {status: "ready", sandboxReady: true} on a server that can take env calls',
    once: true,
    async run (context) {
      const ready = await get(context, '/readyz')
      const body = ready.body as { status?: unknown, sandboxReady?: unknown }
      expect(ready.status === 200 && body.status === 'ready' && body.sandboxReady === true, `/readyz gave ${ready.status} ${show(ready.body)}`)
    },
  },
  {
    section: 'HTTP endpoints',
    level: 'MUST',
    statement: 'on a server with tokens, /metrics and /envs without one answer 401 with a JSON body {error}; /healthz stays open',
    once: true,
    async run (context) {
      if (context.options.token === undefined) throw new CheckSkipped('no --token given: the server is taken to have none')
      for (const path of ['/metrics', '/envs']) {
        const refused = await get(context, path)
        expect(refused.status === 401 && typeof (refused.body as { error?: unknown }).error === 'string', `${path} without a token gave ${refused.status} ${show(refused.body)}`)
      }
      const metrics = await get(context, '/metrics', 'GET', true)
      expect(metrics.status === 200, `/metrics with the token gave ${metrics.status}`)
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
