// The worker side of a multi-process codegym-serve: a CodeGymServer without a listener of its own,
// serving the sockets its primary hands it and answering the primary's queries.
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { CodeGymServer, ServerOptions } from './server.ts'
import type { ServerLimits } from './limits.ts'
import { resumeTokenPrefix, type FromWorker, type ToWorker } from './cluster-messages.ts'

/** This process's worker index when a primary started it, else undefined. */
export function clusterWorkerIndex (): number | undefined {
  const index = process.env.CODEGYM_WORKER_INDEX
  return index === undefined || process.send === undefined ? undefined : Number(index)
}

/** Server options for worker `index`: no listener, resume tokens that name this worker. */
export function workerServerOptions (index: number): Pick<ServerOptions, 'listen' | 'resumeTokenPrefix'> {
  return { listen: false, resumeTokenPrefix: resumeTokenPrefix(index) }
}

/**
 * Limits that hold for the whole server, split over its workers: each worker takes its share of
 * maxConnections and maxUnauthenticatedConnections (at least 1), so the totals hold however the
 * primary spreads connections. The other limits are per connection or per worker process.
 */
export function workerShareOfLimits (limits: ServerLimits, workers: number): Partial<ServerLimits> {
  const share = (total: number): number => Math.max(1, Math.floor(total / workers))
  return { maxConnections: share(limits.maxConnections), maxUnauthenticatedConnections: share(limits.maxUnauthenticatedConnections), maxServerSendBufferBytes: share(limits.maxServerSendBufferBytes) }
}

function send (message: FromWorker): void {
  process.send?.(message)
}

/**
 * Listens to the primary before the server exists (a drain may come while it starts), then serves.
 * `drained` runs after a drain the primary asked for; the process should then exit 0.
 */
export function connectToPrimary (starting: Promise<CodeGymServer>, drained: (error?: unknown) => void): void {
  let server: CodeGymServer | undefined
  let drainAsked = false
  const drain = (): void => {
    if (server === undefined) return
    server.drain().then(() => drained(), drained)
  }
  process.on('message', (message: ToWorker, handle: unknown) => {
    if (typeof message !== 'object' || message === null) return
    switch (message.codegym) {
      case 'upgrade': {
        const socket = handle as Socket | undefined
        if (socket === undefined) return
        if (server === undefined) {
          socket.destroy()
          return
        }
        const request = { ...message.request, socket } as unknown as IncomingMessage
        server.acceptUpgrade(request, socket, Buffer.from(message.head, 'base64'))
        return
      }
      case 'query':
        if (server === undefined) return
        void (message.what === 'health' ? Promise.resolve(server.health()) : server.metrics.registry.getMetricsAsJSON())
          .then((value) => send({ codegym: 'answer', id: message.id, value }))
        return
      case 'drain':
        drainAsked = true
        drain()
    }
  })
  // The primary is gone (killed): nobody can reach this worker any more.
  process.on('disconnect', () => {
    void (server?.close() ?? Promise.resolve()).finally(() => process.exit(1))
  })
  starting.then((started) => {
    server = started
    send({ codegym: 'ready', envIds: started.envIds })
    if (drainAsked) drain()
  }, (error: unknown) => drained(error))
}
