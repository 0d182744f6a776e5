// The HTTP side of codegym-serve (/healthz, /readyz, /metrics, /envs): one set of routes, answered by a
// single server from its own state and by a multi-process server's primary from its workers'.
// /healthz is open to anyone (probes carry no secrets); /metrics and /envs tell an outsider about the
// server's internals, so when the server has tokens they need one as `Authorization: Bearer <token>`.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TokenSet } from './auth.ts'

export interface Health {
  draining: boolean
  sessions: number
  connections: number
  /** At least one sandbox process can take env calls (with several server processes: in each). */
  sandboxReady: boolean
}

export interface HttpSources {
  tokens: TokenSet
  health: () => Health | Promise<Health>
  metrics: () => Promise<{ contentType: string, text: string }>
  envs: () => readonly string[] | Promise<readonly string[]>
}

/** Paths that need a token when the server has tokens; health endpoints stay open for probes. */
const tokenPaths: ReadonlySet<string> = new Set(['/metrics', '/envs'])

export async function answerHttp (request: IncomingMessage, response: ServerResponse, sources: HttpSources): Promise<void> {
  const path = (request.url ?? '/').split('?')[0]
  const json = (status: number, body: unknown): void => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  }
  if (request.method !== 'GET') return json(405, { error: 'only GET is served over HTTP' })
  if (tokenPaths.has(path ?? '') && sources.tokens.required && !sources.tokens.acceptsAuthorization(request.headers.authorization)) {
    response.setHeader('www-authenticate', 'Bearer realm="codegym-serve"')
    return json(401, { error: `${path} needs one of the server's tokens as "Authorization: Bearer <token>"` })
  }
  try {
    switch (path) {
      case '/healthz': {
        const { draining, sessions, connections, sandboxReady } = await sources.health()
        return json(draining ? 503 : 200, { status: draining ? 'draining' : 'ok', sessions, connections, sandboxReady })
      }
      // Readiness: can this server take new work now? Not while it drains, nor while no sandbox
      // process can run env calls (they would wait, then fail with sandbox_busy).
      case '/readyz': {
        const { draining, sessions, connections, sandboxReady } = await sources.health()
        const status = draining ? 'draining' : sandboxReady ? 'ready' : 'sandbox_unavailable'
        return json(status === 'ready' ? 200 : 503, { status, sessions, connections, sandboxReady })
      }
      case '/metrics': {
        const { contentType, text } = await sources.metrics()
        response.writeHead(200, { 'content-type': contentType }).end(text)
        return
      }
      case '/envs':
        return json(200, { envs: await sources.envs() })
      default:
        return json(404, { error: `no such path: ${path}; try /healthz, /readyz, /metrics, /envs, or a WebSocket` })
    }
  } catch (error) {
    // Only a multi-process server's sources can fail (a worker did not answer in time).
    if (!response.headersSent) json(503, { error: error instanceof Error ? error.message : String(error) })
  }
}
