// codegym-serve on every core: a primary process owns the listener and N worker processes (node:cluster)
// each run a CodeGymServer with its own sandbox pool. The primary reads each WebSocket upgrade
// request and hands the socket to one worker: the one named by the `codegym-resume` header when the
// client resumes (a worker's resume tokens start with its index), else the next in turn. So resume
// reaches the sessions it asks for, which plain cluster round-robin or SO_REUSEPORT cannot promise.
// The primary answers /healthz, /metrics (summed over the workers) and /envs itself, drains every
// worker on SIGTERM, and replaces a worker that dies (its sessions are lost).
import cluster, { type Worker } from 'node:cluster'
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { availableParallelism } from 'node:os'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client'
import { answerHttp, type Health } from './http-routes.ts'
import { TokenSet } from './auth.ts'
import { UnauthenticatedSockets, type UnauthenticatedLimits } from './unauthenticated.ts'
import { defaultServerLimits } from './limits.ts'
import { processSnapshotKeys } from '../env/snapshot-keys.ts'
import { resumeHeader, sharedSnapshotKeyVariable, workerIndexOf, type FromWorker, type ToWorker, type WorkerQuery } from './cluster-messages.ts'

/** Server processes by default: one per core. */
export const defaultServerWorkers = availableParallelism()

/**
 * Sandbox processes per server process by default: the cores shared out among the server
 * processes, at least one each. Why not one per core in every server process: each server process's
 * main thread (I/O, protocol) and each sandbox process (env code) want a core under load, so N servers
 * × cores sandboxes would put N times more busy processes on the cores than there are, and the time
 * lost switching between them goes to the tail latency. With N = cores this gives one sandbox process
 * per server process: 2 × cores processes, where one server process alone had cores + 1.
 */
export function defaultSandboxWorkers (serverWorkers: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / serverWorkers))
}

export interface ClusterLimits {
  /** Time a worker has to answer the primary's health or metrics query; past it /healthz and /metrics answer 503. */
  workerQueryTimeoutMs: number
  /** Wait before a dead worker is replaced; doubles for each replacement that dies before it is stable. */
  workerRestartDelayMs: number
  /** Longest wait before a dead worker is replaced. */
  maxWorkerRestartDelayMs: number
  /** A worker that has served this long resets its replacement delay to workerRestartDelayMs. */
  workerStableMs: number
}

export const defaultClusterLimits: Readonly<ClusterLimits> = Object.freeze({
  workerQueryTimeoutMs: 5000,
  workerRestartDelayMs: 100,
  maxWorkerRestartDelayMs: 10_000,
  workerStableMs: 10_000,
})

export interface ClusterOptions {
  workers: number
  host: string
  /** 0 picks a free port. */
  port: number
  logger: Logger
  limits?: Partial<ClusterLimits>
  /** The tokens /metrics and /envs require (the workers check hello's). */
  tokens?: readonly string[]
  /** The pool of sockets that have not sent their request yet (the workers have their own for hello). */
  unauthenticated?: UnauthenticatedLimits
}

interface Slot {
  readonly index: number
  worker: Worker | undefined
  ready: boolean
  readyAt: number
  restartDelayMs: number
  restartTimer: NodeJS.Timeout | undefined
}

interface PendingQuery {
  resolve: (value: unknown) => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
}

export class ClusterPrimary {
  readonly logger: Logger
  readonly #limits: ClusterLimits
  readonly #slots: Slot[]
  readonly #http: HttpServer
  readonly #queries = new Map<number, PendingQuery>()
  readonly #registry = new Registry()
  readonly #restarts: Counter
  readonly #unauthenticatedDropped: Counter<'reason'>
  readonly #unauthenticated: UnauthenticatedSockets
  #nextQueryId = 1
  #nextSlot = 0
  #envIds: readonly string[] = []
  #draining = false
  #drained: Promise<boolean> | undefined
  #starting: { resolve: () => void, reject: (error: Error) => void } | undefined

  private constructor (options: ClusterOptions) {
    if (!Number.isSafeInteger(options.workers) || options.workers < 2) throw new Error(`a multi-process server needs 2 or more workers; got ${options.workers}`)
    this.logger = options.logger
    this.#limits = Object.freeze({ ...defaultClusterLimits, ...options.limits })
    this.#slots = Array.from({ length: options.workers }, (_, index) => ({ index, worker: undefined, ready: false, readyAt: 0, restartDelayMs: this.#limits.workerRestartDelayMs, restartTimer: undefined }))
    const registers = [this.#registry]
    this.#restarts = new Counter({ name: 'codegym_server_worker_restarts_total', help: 'Server worker processes replaced after they died (their sessions are lost).', registers })
    this.#unauthenticatedDropped = new Counter({ name: 'codegym_unauthenticated_dropped_total', help: 'Connections dropped before hello: pool_full (the oldest, to make room) or handshake_timeout.', labelNames: ['reason'], registers })
    const workers: Gauge = new Gauge({ name: 'codegym_server_workers', help: 'Server worker processes ready to serve.', registers, collect: () => { workers.set(this.#readySlots().length) } })
    const tokens = new TokenSet(options.tokens ?? [])
    this.#http = createServer((request, response) => {
      void answerHttp(request, response, { tokens, health: () => this.health(), metrics: () => this.#metrics(), envs: () => this.#envIds })
    })
    this.#http.on('upgrade', (request, socket, head) => this.#onUpgrade(request, socket, head))
    this.#http.on('clientError', (_error, socket) => socket.destroy())
    const unauthenticatedLimits = options.unauthenticated ?? defaultServerLimits
    const unauthenticated = new UnauthenticatedSockets(unauthenticatedLimits, (reason) => this.#unauthenticatedDropped.inc({ reason }))
    this.#unauthenticated = unauthenticated
    this.#http.on('connection', (socket: Duplex) => unauthenticated.admit(socket))
    this.#http.on('request', (request: IncomingMessage) => unauthenticated.requestReceived(request.socket))
    this.#http.headersTimeout = unauthenticatedLimits.handshakeTimeoutMs
    this.#http.requestTimeout = unauthenticatedLimits.handshakeTimeoutMs * 2
  }

  /** Starts every worker, waits until all are ready, then listens. */
  static async start (options: ClusterOptions): Promise<ClusterPrimary> {
    const primary = new ClusterPrimary(options)
    await new Promise<void>((resolve, reject) => {
      primary.#starting = { resolve, reject }
      for (const slot of primary.#slots) primary.#fork(slot)
    })
    primary.#starting = undefined
    await new Promise<void>((resolve, reject) => {
      primary.#http.once('error', reject)
      primary.#http.listen(options.port, options.host, () => {
        primary.#http.off('error', reject)
        resolve()
      })
    })
    primary.logger.info({ url: primary.url, workers: options.workers, envs: primary.#envIds.length }, 'listening')
    return primary
  }

  get address (): AddressInfo { return this.#http.address() as AddressInfo }

  get url (): string {
    const { address, port, family } = this.address
    return `ws://${family === 'IPv6' ? `[${address}]` : address}:${port}`
  }

  /** Process ids of the workers, by index (undefined while one is being replaced). */
  get workerPids (): Array<number | undefined> { return this.#slots.map((slot) => slot.worker?.process.pid) }

  /** The whole node: sessions and connections summed over the ready workers. */
  async health (): Promise<Health> {
    const ready = this.#readySlots()
    // Draining, the last workers may have exited already: the answer is still 503 "draining".
    if (ready.length === 0 && !this.#draining) throw new Error('no server worker is ready')
    const answers = await Promise.all(ready.map((slot) => this.#query(slot, 'health') as Promise<Health>))
    return {
      draining: this.#draining,
      sessions: answers.reduce((sum, each) => sum + each.sessions, 0),
      connections: answers.reduce((sum, each) => sum + each.connections, 0),
      // A connection may be routed to any worker: each needs a sandbox that can take calls.
      sandboxReady: answers.length > 0 && answers.every((each) => each.sandboxReady),
    }
  }

  /**
   * Drains every worker (each as one server drains: see PROTOCOL.md) and resolves when all have
   * exited: true if every one exited 0. Meanwhile /healthz and upgrades answer 503.
   */
  drain (): Promise<boolean> {
    this.#drained ??= this.#drain()
    return this.#drained
  }

  async #drain (): Promise<boolean> {
    this.#draining = true
    this.logger.info({ workers: this.#slots.filter((slot) => slot.worker !== undefined).length }, 'draining')
    let clean = true
    await Promise.all(this.#slots.map(async (slot) => {
      clearTimeout(slot.restartTimer)
      const worker = slot.worker
      if (worker === undefined) return
      const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)))
      this.#send(worker, { codegym: 'drain' })
      if (await exited !== 0) clean = false
    }))
    this.#http.close()
    this.#http.closeAllConnections()
    this.logger.info({ clean }, 'drained')
    return clean
  }

  #fork (slot: Slot): void {
    // Every worker gets the primary's random snapshot key, used when no key is configured, so that
    // a snapshot made by one worker restores on any other worker of this server.
    const worker = cluster.fork({ CODEGYM_WORKER_INDEX: String(slot.index), [sharedSnapshotKeyVariable]: processSnapshotKeys.shareRandom() })
    slot.worker = worker
    slot.ready = false
    worker.on('message', (message: FromWorker) => this.#onMessage(slot, worker, message))
    worker.on('exit', (code, signal) => this.#onExit(slot, worker, code, signal))
  }

  #onMessage (slot: Slot, worker: Worker, message: FromWorker): void {
    if (slot.worker !== worker || typeof message !== 'object' || message === null) return
    if (message.codegym === 'ready') {
      slot.ready = true
      slot.readyAt = Date.now()
      this.#envIds = message.envIds
      if (this.#draining) this.#send(worker, { codegym: 'drain' })
      if (this.#starting !== undefined && this.#slots.every((each) => each.ready)) this.#starting.resolve()
    } else if (message.codegym === 'answer') {
      const query = this.#queries.get(message.id)
      if (query === undefined) return
      this.#queries.delete(message.id)
      clearTimeout(query.timer)
      query.resolve(message.value)
    }
  }

  #onExit (slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return
    const wasReady = slot.ready
    slot.worker = undefined
    slot.ready = false
    if (this.#draining) return
    if (this.#starting !== undefined) {
      this.#starting.reject(new Error(`server worker ${slot.index} exited (${signal ?? code}) before it was ready; see its log above`))
      this.#starting = undefined
      for (const other of this.#slots) other.worker?.process.kill('SIGKILL')
      return
    }
    if (wasReady && Date.now() - slot.readyAt >= this.#limits.workerStableMs) slot.restartDelayMs = this.#limits.workerRestartDelayMs
    this.logger.error({ worker: slot.index, pid: worker.process.pid, code, signal, restartInMs: slot.restartDelayMs }, 'server worker died; its sessions are lost; replacing it')
    this.#restarts.inc()
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined
      if (!this.#draining) this.#fork(slot)
    }, slot.restartDelayMs)
    slot.restartDelayMs = Math.min(slot.restartDelayMs * 2, this.#limits.maxWorkerRestartDelayMs)
  }

  #readySlots (): Slot[] {
    return this.#slots.filter((slot) => slot.ready && slot.worker?.isConnected() === true)
  }

  #send (worker: Worker, message: ToWorker, socket?: Socket): void {
    if (!worker.isConnected()) {
      socket?.destroy()
      return
    }
    // A worker that died in the meantime: the socket is destroyed, the client sees the connection fail.
    worker.send(message, socket, (error: Error | null) => { if (error !== null) socket?.destroy() })
  }

  #query (slot: Slot, what: WorkerQuery): Promise<unknown> {
    const id = this.#nextQueryId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#queries.delete(id)
        reject(new Error(`server worker ${slot.index} did not answer within ${this.#limits.workerQueryTimeoutMs} ms`))
      }, this.#limits.workerQueryTimeoutMs)
      this.#queries.set(id, { resolve, reject, timer })
      this.#send(slot.worker!, { codegym: 'query', id, what })
    })
  }

  /** Every ready worker's metrics, summed by prom-client's cluster aggregation, and the primary's own. */
  async #metrics (): Promise<{ contentType: string, text: string }> {
    const ready = this.#readySlots()
    const perWorker = await Promise.all(ready.map((slot) => this.#query(slot, 'metrics') as Promise<object>))
    const aggregated = AggregatorRegistry.aggregate([...perWorker, await this.#registry.getMetricsAsJSON()])
    return { contentType: aggregated.contentType, text: await aggregated.metrics() }
  }

  #onUpgrade (request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy())
    const slot = this.#draining ? undefined : this.#pick(request.headers[resumeHeader])
    if (slot === undefined) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    const { method = 'GET', url = '/', headers, httpVersion } = request
    // The worker counts it among its own connections waiting for hello from here on.
    this.#unauthenticated.release(socket)
    const unread = detach(socket as Socket, head)
    this.#send(slot.worker!, { codegym: 'upgrade', request: { method, url, headers, httpVersion }, head: unread.toString('base64') }, socket as Socket)
  }

  /** The worker a resume token names, if it is up; else the next ready worker in turn. */
  #pick (resume: string | string[] | undefined): Slot | undefined {
    const named = typeof resume === 'string' ? workerIndexOf(resume) : undefined
    const slot = named === undefined ? undefined : this.#slots[named]
    if (slot?.ready === true) return slot
    const ready = this.#readySlots()
    if (ready.length === 0) return undefined
    return ready[this.#nextSlot++ % ready.length]
  }
}

/**
 * Stops this process reading a socket it hands to a worker, and returns the bytes it has read past
 * the request (`head` and anything buffered since). Why: both processes hold the descriptor until
 * the worker acknowledges it, and Node keeps reading it here meanwhile and drops what it reads, so
 * a client's first frames were seen lost. Node has no public call that stops a socket's reads (pause()
 * only stops delivery), hence the handle's readStop, as net.Socket's own pause() uses it.
 */
function detach (socket: Socket, head: Buffer): Buffer {
  const chunks = [head]
  // read() may ask the handle to read again; nothing is read before the next turn of the loop, and
  // reading stops below, in this turn.
  for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) chunks.push(chunk)
  const handle = (socket as unknown as { _handle?: { reading?: boolean, readStop?: () => number } })._handle
  if (handle?.readStop !== undefined) {
    handle.reading = false
    handle.readStop()
  }
  return chunks.length === 1 ? head : Buffer.concat(chunks)
}
