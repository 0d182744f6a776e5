// codegym-serve: WebSocket (the protocol) and HTTP (/healthz, /metrics, /envs) on one port.
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { pino, type Logger } from 'pino'
import { WebSocketServer } from 'ws'
import { Runtime } from '../env/runtime.ts'
import type { SnapshotKeys } from '../env/snapshot-keys.ts'
import { checkTokens, TokenSet } from './auth.ts'
import type { SandboxEvent } from '../sandbox/event-log.ts'
import { defaultSandboxPoolOptions, type SandboxPoolOptions } from '../sandbox/limits.ts'
import type { Limits } from '../schemas/protocol.generated.ts'
import type { Transport } from '../contract/transport/transport.ts'
import { WebSocketTransport } from '../contract/transport/websocket.ts'
import { closeCodes } from '../contract/protocol/constants.ts'
import { Connection, type ConnectionHost } from './connection.ts'
import { handlers, type ServerState } from './handlers.ts'
import { answerHttp, type Health, type HttpSources } from './http-routes.ts'
import { advertisedLimits, checkServerLimits, defaultServerLimits, type ServerLimits } from './limits.ts'
import { ServerMetrics } from './metrics.ts'
import { SessionTable } from './sessions.ts'
import { ProtocolError } from './protocol-error.ts'
import { UnauthenticatedSockets } from './unauthenticated.ts'
import { ResponseSizes, SendLedger } from './send-budget.ts'
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
/** How often a draining server checks whether its in-flight requests are done (and its sessions gone). */
const drainPollMs = 10

/**
 * On SIGTERM, how long clients may go on using their sessions: long enough for a cluster client to
 * snapshot every session and restore it elsewhere (milliseconds each), with room for a busy machine.
 * The grace ends early once no session is left.
 */
export const defaultDrainGraceMs = 10_000
/** After the grace, how long requests in flight may take before connections close anyway. */
export const defaultDrainTimeoutMs = 30_000

export interface ServerOptions {
  host?: string
  /** 0 picks a free port. */
  port?: number
  envDirs?: readonly string[]
  /** A runtime to serve instead of creating one; the server then does not close it. */
  runtime?: Runtime
  limits?: Partial<ServerLimits>
  sandbox?: Partial<SandboxPoolOptions>
  /**
   * When set, hello must carry this token (or one of these: several are accepted at once while a
   * token is rotated), and so must requests to /metrics and /envs (Authorization: Bearer).
   */
  token?: string | readonly string[]
  /** Keys that sign and verify snapshots, for a runtime the server creates. Default: this process's random key. */
  snapshotKeys?: SnapshotKeys
  /**
   * Time a drain gives clients to go on using their sessions before it stops reading requests; it
   * ends early when no session is left. Default defaultDrainGraceMs.
   */
  drainGraceMs?: number
  /** Time a drain waits for requests in flight before it closes connections anyway. Default defaultDrainTimeoutMs. */
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
  /** Connections that have said hello: what maxConnections counts. */
  readonly #authenticated = new Set<Connection>()
  readonly #unauthenticated: UnauthenticatedSockets
  /** The socket under each WebSocket connection, to release it from the unauthenticated pool. */
  readonly #sockets = new WeakMap<Connection, Duplex>()
  readonly #clients = new Map<string, ClientEntry>()
  readonly #state: ServerState
  readonly #host: ConnectionHost
  readonly #http: HttpServer
  readonly #wss: WebSocketServer
  readonly #sweeper: NodeJS.Timeout
  readonly #tokens: TokenSet
  #draining = false
  #drained: Promise<void> | undefined

  private constructor (runtime: Runtime, ownsRuntime: boolean, options: ServerOptions) {
    this.#runtime = runtime
    this.#ownsRuntime = ownsRuntime
    this.#options = options
    this.#tokens = new TokenSet(tokenList(options.token))
    this.#serverLimits = Object.freeze({ ...defaultServerLimits, ...options.limits })
    this.limits = Object.freeze(advertisedLimits(this.#serverLimits, runtime.pool.options))
    this.logger = options.logger ?? pino({ name: 'codegym-serve' }, pino.destination(2))
    this.#unauthenticated = new UnauthenticatedSockets(this.#serverLimits, (reason) => this.metrics.unauthenticatedDropped.inc({ reason }))
    this.#sessions = new SessionTable(this.#serverLimits, (owner) => this.#clients.has(owner))
    this.metrics = new ServerMetrics({
      sessions: () => this.#sessions.size,
      connections: () => this.#authenticated.size,
      unauthenticatedConnections: () => this.#unauthenticated.size,
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
      tokens: this.#tokens,
      claimClient: (clientKey, connection) => this.#claimClient(clientKey, connection),
      isKnownClient: (clientKey) => this.#clients.has(clientKey),
      newClientKey: () => (options.resumeTokenPrefix ?? '') + randomBytes(18).toString('base64url'),
      unknownResumeMessage: (clientKey) => this.#unknownResumeMessage(clientKey),
      authenticate: (connection) => this.#authenticate(connection),
      sendLedger: new SendLedger(),
      responseSizes: new ResponseSizes(),
      connectionCount: () => this.#connections.size,
      onClosed: (connection) => this.#onConnectionClosed(connection),
    }
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: this.#serverLimits.maxFrameBytes, perMessageDeflate: false })
    const httpSources = this.#httpSources()
    this.#http = createServer((request, response) => { void answerHttp(request, response, httpSources) })
    this.#http.on('upgrade', (request, socket, head) => this.#onUpgrade(request, socket, head))
    this.#http.on('clientError', (_error, socket) => socket.destroy())
    this.#http.on('connection', (socket: Duplex) => this.#unauthenticated.admit(socket))
    this.#http.on('request', (request: IncomingMessage) => this.#unauthenticated.requestReceived(request.socket))
    // Node's own request deadlines, for plain HTTP requests on a kept-alive socket; the first
    // request's headers are held to handshakeTimeoutMs by the unauthenticated pool.
    this.#http.headersTimeout = this.#serverLimits.handshakeTimeoutMs
    this.#http.requestTimeout = this.#serverLimits.handshakeTimeoutMs * 2
    this.#sweeper = setInterval(() => this.#sweep(), sweepIntervalMs)
    this.#sweeper.unref()
  }

  static async start (options: ServerOptions = {}): Promise<CodeGymServer> {
    // Before anything is started that would need stopping again.
    checkTokens(tokenList(options.token), 'server options')
    checkServerLimits({ ...defaultServerLimits, ...options.limits })
    const logger = options.logger ?? pino({ name: 'codegym-serve' }, pino.destination(2))
    const runtime = options.runtime ?? await Runtime.create({
      envDirs: options.envDirs,
      sandbox: { ...defaultSandboxPoolOptions, ...options.sandbox },
      snapshotKeys: options.snapshotKeys,
      onSandboxEvent: (event) => logger.warn({ sandbox: event }, sandboxEventMessages[event.kind]),
    })
    const server = new CodeGymServer(runtime, options.runtime === undefined, { ...options, logger })
    server.#learnStaticResponseSizes()
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

  /** Bytes handed to sockets and not yet written, plus those reserved for answers in flight. */
  get outboundBytes (): number { return this.#host.sendLedger.total }

  /**
   * envs.list and envs.describe answer the same bytes every time: their sizes are known before any
   * client asks, so a flood of them is bounded from the first request (JSON, the larger codec).
   */
  #learnStaticResponseSizes (): void {
    const sizes = this.#host.responseSizes
    const answerBytes = (result: unknown): number => Buffer.byteLength(JSON.stringify({ id: Number.MAX_SAFE_INTEGER, result }))
    const context = { owner: '', codec: 'json' as const, server: this.#state }
    void handlers['envs.list']({}, context).then((result) => sizes.record('envs.list', undefined, false, answerBytes(result)), () => {})
    for (const env of this.#runtime.envIds()) {
      void handlers['envs.describe']({ env }, context).then((result) => sizes.record('envs.describe', env, false, answerBytes(result)), () => {})
    }
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
    const graceMs = this.#options.drainGraceMs ?? defaultDrainGraceMs
    const timeoutMs = this.#options.drainTimeoutMs ?? defaultDrainTimeoutMs
    this.logger.info({ connections: this.#connections.size, sessions: this.#sessions.size }, 'draining')
    // The listener stays open until the end: health checks get 503 (a load balancer takes the pod
    // out of rotation), WebSocket upgrades get 503 too (see #onUpgrade).
    for (const connection of this.#connections) connection.sendEvent({ event: 'draining', data: { deadlineMs: graceMs } })
    // A client without a connection cannot come back (upgrades are refused from now on): its sessions go now.
    for (const [key, entry] of this.#clients) if (entry.connection === undefined) this.#forgetClient(key)
    // Clients move their sessions elsewhere and close them here: once none is left, waiting longer helps nobody.
    const graceEnd = performance.now() + graceMs
    while (this.#sessions.size > 0 && performance.now() < graceEnd) await sleep(Math.min(drainPollMs, graceEnd - performance.now()))
    this.logger.info({ sessions: this.#sessions.size, graceLeftMs: Math.max(0, Math.round(graceEnd - performance.now())) }, 'drain grace over')
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
    this.#unauthenticated.admit(socket, true)
    this.#onUpgrade(request, socket, head)
  }

  #onUpgrade (request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy())
    this.#unauthenticated.requestReceived(socket)
    if (this.#draining || this.#authenticated.size >= this.#serverLimits.maxConnections) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      const connection = this.accept(new WebSocketTransport(ws))
      this.#sockets.set(connection, socket)
    })
  }

  #authenticate (connection: Connection): void {
    if (this.#authenticated.has(connection)) return
    if (this.#authenticated.size >= this.#serverLimits.maxConnections) {
      throw new ProtocolError('too_many_connections', `the server holds its limit of ${this.#serverLimits.maxConnections} connections; retry later or use another server`)
    }
    this.#authenticated.add(connection)
    const socket = this.#sockets.get(connection)
    if (socket !== undefined) this.#unauthenticated.release(socket)
  }

  #httpSources (): HttpSources {
    return {
      tokens: this.#tokens,
      health: () => this.health(),
      metrics: async () => ({ contentType: this.metrics.registry.contentType, text: await this.metrics.registry.metrics() }),
      envs: () => this.#runtime.envIds(),
    }
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
    this.#authenticated.delete(connection)
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

function tokenList (token: ServerOptions['token']): readonly string[] {
  return token === undefined ? [] : typeof token === 'string' ? [token] : token
}
