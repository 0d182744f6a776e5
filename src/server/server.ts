// codegym-serve: WebSocket (the protocol) and HTTP (/healthz, /metrics, /envs) on one port.
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { pino, type Logger } from 'pino'
import { WebSocketServer } from 'ws'
import { Runtime } from '../env/runtime.ts'
import type { SandboxEvent } from '../sandbox/event-log.ts'
import { defaultSandboxPoolOptions, type SandboxPoolOptions } from '../sandbox/limits.ts'
import type { Limits } from '../schemas/protocol.generated.ts'
import type { Transport } from '../transport/transport.ts'
import { WebSocketTransport } from '../transport/websocket.ts'
import { closeCodes } from '../protocol/constants.ts'
import { Connection, type ConnectionHost } from './connection.ts'
import type { ServerState } from './handlers.ts'
import { answerHttp, type Health } from './http-routes.ts'
import { advertisedLimits, defaultServerLimits, type ServerLimits } from './limits.ts'
import { ServerMetrics } from './metrics.ts'
import { SessionTable } from './sessions.ts'
import { setTimeout as sleep } from 'node:timers/promises'

export const defaultPort = 8765
export const defaultHost = '127.0.0.1'

const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version

/** Log lines of the sandbox pool's events (at most 20 a minute; see src/sandbox/event-log.ts). */
const sandboxEventMessages: Record<SandboxEvent['kind'], string> = {
  process_exit: 'sandbox process ended and is being replaced',
  env_probation: 'env type put on probation: its calls run on the quarantine sandbox process',
  calls_expired: 'env calls waited too long for a sandbox process and failed with sandbox_busy',
}

/** How often expired and idle sessions are looked for. */
const sweepIntervalMs = 1000
/** How often a draining server checks whether its in-flight requests are done. */
const drainPollMs = 10

export interface ServerOptions {
  host?: string
  /** 0 picks a free port. */
  port?: number
  envDirs?: readonly string[]
  /** A runtime to serve instead of creating one; the server then does not close it. */
  runtime?: Runtime
  limits?: Partial<ServerLimits>
  sandbox?: Partial<SandboxPoolOptions>
  /** When set, hello must carry this token. */
  token?: string
  /** Time a drain gives clients to go on using their sessions before it stops reading requests. */
  drainGraceMs?: number
  /** Time a drain waits for requests in flight before it closes connections anyway. */
  drainTimeoutMs?: number
  logger?: Logger
  /**
   * false: bind no port; connections come through acceptUpgrade (a worker of a multi-process
   * server, whose primary owns the listener). Default true.
   */
  listen?: boolean
  /**
   * Put in front of every resume token this server hands out, so that whoever routes connections
   * can tell from a token which server holds its sessions (a worker's index). Default none.
   */
  resumeTokenPrefix?: string
}

interface ClientEntry {
  connection: Connection | undefined
  /** When the client's last connection closed; its sessions wait resumeTtlMs for it. */
  detachedAt: number
}

export class CodeGymServer {
  readonly limits: Limits
  readonly metrics: ServerMetrics
  readonly logger: Logger
  readonly #runtime: Runtime
  readonly #ownsRuntime: boolean
  readonly #sessions: SessionTable
  readonly #serverLimits: ServerLimits
  readonly #options: ServerOptions
  readonly #connections = new Set<Connection>()
  readonly #clients = new Map<string, ClientEntry>()
  readonly #state: ServerState
  readonly #host: ConnectionHost
  readonly #http: HttpServer
  readonly #wss: WebSocketServer
  readonly #sweeper: NodeJS.Timeout
  #draining = false
  #drained: Promise<void> | undefined

  private constructor (runtime: Runtime, ownsRuntime: boolean, options: ServerOptions) {
    this.#runtime = runtime
    this.#ownsRuntime = ownsRuntime
    this.#options = options
    this.#serverLimits = Object.freeze({ ...defaultServerLimits, ...options.limits })
    this.limits = Object.freeze(advertisedLimits(this.#serverLimits, runtime.pool.options))
    this.logger = options.logger ?? pino({ name: 'codegym-serve' }, pino.destination(2))
    this.#sessions = new SessionTable(this.#serverLimits, (owner) => this.#clients.has(owner))
    this.metrics = new ServerMetrics({
      sessions: () => this.#sessions.size,
      connections: () => this.#connections.size,
      sandboxRestarts: () => runtime.pool.stats().workerRestarts,
      sandboxQueuedCalls: () => runtime.pool.stats().queuedCalls,
      sandbox: () => runtime.pool.stats(),
    })
    const server = this
    this.#state = {
      runtime,
      sessions: this.#sessions,
      limits: this.#serverLimits,
      metrics: this.metrics,
      get draining () { return server.#draining },
      logBug: (error, op) => this.logger.error({ err: error, op }, 'internal error'),
    }
    this.#host = {
      state: this.#state,
      serverInfo: { name: 'codegym-serve', version: packageVersion },
      limits: this.limits,
      token: options.token,
      claimClient: (clientKey, connection) => this.#claimClient(clientKey, connection),
      isKnownClient: (clientKey) => this.#clients.has(clientKey),
      newClientKey: () => (options.resumeTokenPrefix ?? '') + randomBytes(18).toString('base64url'),
      unknownResumeMessage: (clientKey) => this.#unknownResumeMessage(clientKey),
      onClosed: (connection) => this.#onConnectionClosed(connection),
    }
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: this.#serverLimits.maxFrameBytes, perMessageDeflate: false })
    this.#http = createServer((request, response) => { void answerHttp(request, response, this.#httpSources) })
    this.#http.on('upgrade', (request, socket, head) => this.#onUpgrade(request, socket, head))
    this.#http.on('clientError', (_error, socket) => socket.destroy())
    this.#sweeper = setInterval(() => this.#sweep(), sweepIntervalMs)
    this.#sweeper.unref()
  }

  static async start (options: ServerOptions = {}): Promise<CodeGymServer> {
    const logger = options.logger ?? pino({ name: 'codegym-serve' }, pino.destination(2))
    const runtime = options.runtime ?? await Runtime.create({
      envDirs: options.envDirs,
      sandbox: { ...defaultSandboxPoolOptions, ...options.sandbox },
      onSandboxEvent: (event) => logger.warn({ sandbox: event }, sandboxEventMessages[event.kind]),
    })
    const server = new CodeGymServer(runtime, options.runtime === undefined, { ...options, logger })
    if (options.listen === false) {
      server.logger.info({ envs: runtime.envIds().length, sandboxWorkers: runtime.pool.options.workers }, 'ready')
      return server
    }
    await new Promise<void>((resolve, reject) => {
      server.#http.once('error', reject)
      server.#http.listen(options.port ?? defaultPort, options.host ?? defaultHost, () => {
        server.#http.off('error', reject)
        resolve()
      })
    })
    server.logger.info({ url: server.url, envs: runtime.envIds().length, sandboxWorkers: runtime.pool.options.workers }, 'listening')
    return server
  }

  get address (): AddressInfo {
    return this.#http.address() as AddressInfo
  }

  get url (): string {
    const { address, port, family } = this.address
    return `ws://${family === 'IPv6' ? `[${address}]` : address}:${port}`
  }

  get sessionCount (): number { return this.#sessions.size }
  get isDraining (): boolean { return this.#draining }
  get envIds (): string[] { return this.#runtime.envIds() }
  health (): Health { return { draining: this.#draining, sessions: this.#sessions.size, connections: this.#connections.size, sandboxReady: this.#runtime.pool.ready } }
  get connectionCount (): number { return this.#connections.size }

  /** Serves one connection over any transport (the in-memory pair in tests). */
  accept (transport: Transport): Connection {
    const connection = new Connection(transport, this.#host)
    this.#connections.add(connection)
    return connection
  }

  /**
   * Graceful shutdown: accept nothing new, tell clients, let requests in flight finish, then close
   * every connection with 1001. No request that was answered is lost; none left unanswered ran.
   */
  drain (): Promise<void> {
    this.#drained ??= this.#drain()
    return this.#drained
  }

  /** Immediate shutdown: requests in flight are not answered. */
  async close (): Promise<void> {
    this.#draining = true
    for (const connection of this.#connections) connection.close(closeCodes.goingAway, 'server closing')
    await this.#shutdown()
  }

  async #drain (): Promise<void> {
    this.#draining = true
    const graceMs = this.#options.drainGraceMs ?? 0
    const timeoutMs = this.#options.drainTimeoutMs ?? 30_000
    this.logger.info({ connections: this.#connections.size, sessions: this.#sessions.size }, 'draining')
    // The listener stays open until the end: health checks get 503 (a load balancer takes the pod
    // out of rotation), WebSocket upgrades get 503 too (see #onUpgrade).
    for (const connection of this.#connections) connection.sendEvent({ event: 'draining', data: { deadlineMs: graceMs } })
    if (graceMs > 0) await sleep(graceMs)
    for (const connection of this.#connections) connection.stopReading()
    const deadline = performance.now() + timeoutMs
    while ([...this.#connections].some((c) => c.pendingOperations > 0) && performance.now() < deadline) await sleep(drainPollMs)
    for (const connection of this.#connections) connection.close(closeCodes.goingAway, 'server draining')
    await this.#shutdown()
    this.logger.info('drained')
  }

  async #shutdown (): Promise<void> {
    clearInterval(this.#sweeper)
    this.#http.close()
    this.#wss.close()
    for (const client of this.#clients.keys()) this.#sessions.closeAllOf(client)
    this.#clients.clear()
    if (this.#ownsRuntime) await this.#runtime.close()
  }

  /** Serves a WebSocket upgrade request read by someone else (a multi-process server's primary). */
  acceptUpgrade (request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#onUpgrade(request, socket, head)
  }

  #onUpgrade (request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy())
    if (this.#draining || this.#connections.size >= this.#serverLimits.maxConnections) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.accept(new WebSocketTransport(ws)))
  }

  readonly #httpSources = {
    health: () => this.health(),
    metrics: async () => ({ contentType: this.metrics.registry.contentType, text: await this.metrics.registry.metrics() }),
    envs: () => this.#runtime.envIds(),
  }

  #unknownResumeMessage (clientKey: string): string {
    const prefix = this.#options.resumeTokenPrefix
    if (prefix !== undefined && !clientKey.startsWith(prefix)) {
      return 'the resume token was handed out by another worker process of this server: either the client did not send it in the codegym-resume header of the WebSocket upgrade request (which routes the connection to that worker), or that worker has died and its sessions are gone'
    }
    return 'the resume token is unknown or expired: its sessions are gone'
  }

  #claimClient (clientKey: string, connection: Connection): Connection | undefined {
    const entry = this.#clients.get(clientKey)
    const previous = entry?.connection
    this.#clients.set(clientKey, { connection, detachedAt: 0 })
    return previous !== connection ? previous : undefined
  }

  #onConnectionClosed (connection: Connection): void {
    this.#connections.delete(connection)
    const key = connection.clientKey
    if (key === undefined) return
    const entry = this.#clients.get(key)
    if (entry === undefined || entry.connection !== connection) return
    entry.connection = undefined
    entry.detachedAt = Date.now()
    if (this.#serverLimits.resumeTtlMs === 0 || this.#draining) this.#forgetClient(key)
  }

  #forgetClient (clientKey: string): void {
    this.#sessions.closeAllOf(clientKey)
    this.#clients.delete(clientKey)
  }

  #sweep (): void {
    const now = Date.now()
    for (const [key, entry] of this.#clients) {
      if (entry.connection === undefined && now - entry.detachedAt > this.#serverLimits.resumeTtlMs) this.#forgetClient(key)
    }
    this.#sessions.closeIdle(now)
  }
}
