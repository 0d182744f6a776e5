// The TypeScript client of codegym-serve: typed, pipelined requests over one connection, with
// reconnect + resume that never applies a step twice. Message shapes come from the schema's
// generated `Operations` table; frames use the same codec module as the server.
import { EventEmitter } from 'node:events'
import { WebSocket } from 'ws'
import { codecOf, decodeFrame, encodeFrame, type Codec, closeCodes, resumeHeader, type BatchOperation, type BatchOutcome, type ErrorObject, type Event as ServerEvent, type HelloParams, type HelloResult, type Op, type Operations, type RequestId, type ResetOptions, type SessionId, type SessionSummary, type StepResult, type Transport, WebSocketTransport } from '../../src/contract/index.ts'
import { CodeGymRequestError, ConnectionClosedError, RequestTimeoutError } from './errors.ts'
import { setTimeout as sleep } from 'node:timers/promises'

export type { Codec }
export type OpParams<O extends Op> = Operations[O]['params']
export type OpResult<O extends Op> = Operations[O]['result']

/** Protocol versions this client speaks. */
export const clientVersions = [1]

/** One operation of a batch, typed by the Operations table. */
export type BatchRequest = { [O in Exclude<Op, 'hello' | 'batch'>]: { op: O, params: OpParams<O> } }[Exclude<Op, 'hello' | 'batch'>]

/**
 * Makes a new connection; called once per connect and once per reconnect attempt, with the resume
 * token on reconnects (a URL's connection sends it in the upgrade request, for `--workers N` servers).
 */
export type TransportFactory = (resumeToken?: string) => Transport | Promise<Transport>

/**
 * How the client reconnects after a drop (any close but the final ones: see finalCloseCodes). It
 * tries at once, then after capped exponential backoff with jitter, and gives up once
 * `giveUpAfterMs` has passed since the drop: by default the server's `resumeTtlMs` from hello, after
 * which the server has closed the client's sessions anyway.
 */
export interface ReconnectPolicy {
  /** Most connection attempts after a drop. Default: no limit but giveUpAfterMs. */
  attempts?: number
  /** Backoff before the second attempt (the first is immediate); doubles each time. Default 100. */
  initialDelayMs?: number
  /** Longest backoff. Default 5000. */
  maxDelayMs?: number
  /** Each wait is drawn uniformly from [backoff × (1 − jitter), backoff], so clients dropped together do not retry together. Default 0.5. */
  jitter?: number
  /** Give up this long after the drop. Default: the server's advertised resumeTtlMs. */
  giveUpAfterMs?: number
}

export interface CodeGymClientOptions {
  /** 'msgpack' (binary frames, the default) or 'json' (text frames). */
  codec?: Codec
  /** The server's token, when it requires one. */
  token?: string
  /** Default time a request waits for its answer; 0 waits forever. Default 60000. */
  requestTimeoutMs?: number
  /** Sent in hello as `client`, for the server's logs. */
  clientName?: string
  /** false: a drop fails every request in flight. Default on, except for a single given Transport. */
  reconnect?: ReconnectPolicy | false
  /** For URLs: the WebSocket opening handshake's timeout. Default 10000. */
  handshakeTimeoutMs?: number
}

export interface RequestOptions {
  /** Overrides the client's requestTimeoutMs for this request. */
  timeoutMs?: number
}

export interface StepOptions extends RequestOptions {
  /** Default: the step count the client tracks for the session. */
  expectStep?: number
}

export interface CodeGymClientEvents {
  /** An unasked server message, e.g. `{ event: 'draining', data: { deadlineMs } }`. */
  event: [ServerEvent]
  /** The connection dropped; the client is reconnecting. */
  disconnect: [{ code: number, reason: string }]
  /** Reconnected and resumed; `resumed` is what the server holds for this client. */
  reconnect: [{ resumed: SessionSummary[] }]
  /** The client is closed for good (close() or no reconnect left). */
  close: [{ code: number, reason: string }]
  /** An error the server could not tie to a request (parse_error on a frame, …). */
  'protocol-error': [ErrorObject]
}

const defaultRequestTimeoutMs = 60_000
type ResolvedReconnectPolicy = Required<Omit<ReconnectPolicy, 'giveUpAfterMs'>> & Pick<ReconnectPolicy, 'giveUpAfterMs'>
const defaultReconnect: ResolvedReconnectPolicy = { attempts: Number.POSITIVE_INFINITY, initialDelayMs: 100, maxDelayMs: 5000, jitter: 0.5 }
/**
 * Closes after which reconnecting cannot help (PROTOCOL.md, "Reconnect policy"): a wrong token, no
 * common version, or the client resumed on another connection. Every other close is reconnected.
 */
export const finalCloseCodes: ReadonlySet<number> = new Set([closeCodes.unauthorized, closeCodes.unsupportedVersion, closeCodes.resumedElsewhere])

/** The wait before reconnect attempt `attempt` (2, 3, …): capped exponential backoff with jitter. */
export function reconnectDelayMs (policy: Pick<ResolvedReconnectPolicy, 'initialDelayMs' | 'maxDelayMs' | 'jitter'>, attempt: number, random: () => number = Math.random): number {
  const backoffMs = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 2))
  return backoffMs * (1 - policy.jitter * random())
}

function checkReconnectPolicy (policy: ResolvedReconnectPolicy): ResolvedReconnectPolicy {
  const { attempts, initialDelayMs, maxDelayMs, jitter, giveUpAfterMs } = policy
  if (!(attempts >= 1) || (Number.isFinite(attempts) && !Number.isInteger(attempts))) throw new RangeError(`reconnect.attempts must be a whole number ≥ 1, not ${attempts}`)
  for (const [name, value] of [['initialDelayMs', initialDelayMs], ['maxDelayMs', maxDelayMs], ['giveUpAfterMs', giveUpAfterMs ?? 0]] as const) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`reconnect.${name} must be a number ≥ 0, not ${value}`)
  }
  if (!(jitter >= 0 && jitter <= 1)) throw new RangeError(`reconnect.jitter must be within 0…1, not ${jitter}`)
  return policy
}
/** Ops whose repetition changes nothing: sent again after a reconnect. */
const idempotentOps: ReadonlySet<string> = new Set(['envs.list', 'envs.describe', 'observe', 'snapshot'])

interface Pending {
  readonly id: RequestId
  readonly op: string
  readonly params: Record<string, unknown>
  readonly resolve: (result: unknown) => void
  readonly reject: (error: Error) => void
  timer: NodeJS.Timeout | undefined
  /** Written to a connection (which may since have dropped). */
  sent: boolean
  /** Sessions whose in-flight step count this request raised. */
  readonly stepSessions: string[]
}

/** What the client knows of one of its sessions. */
interface TrackedSession {
  /** Steps the server has taken, as of the last answer or resume. */
  step: number
  /** Steps sent (or queued to send) and not yet answered. */
  inFlight: number
}

type Frame = { id?: unknown, result?: unknown, error?: ErrorObject, event?: unknown }

export class CodeGymClient extends EventEmitter<CodeGymClientEvents> {
  readonly #factory: TransportFactory
  readonly #codec: Codec
  readonly #options: CodeGymClientOptions
  readonly #reconnect: ResolvedReconnectPolicy | false
  readonly #pending = new Map<RequestId, Pending>()
  readonly #sessions = new Map<SessionId, TrackedSession>()
  /** Steps that timed out: their late answers still tell the step count. */
  readonly #abandonedSteps = new Map<RequestId, SessionId>()
  #transport: Transport | undefined
  #state: 'connecting' | 'open' | 'reconnecting' | 'closed' = 'connecting'
  #nextId = 1
  #hello: HelloResult | undefined

  private constructor (factory: TransportFactory, reconnect: ResolvedReconnectPolicy | false, options: CodeGymClientOptions) {
    super()
    this.#factory = factory
    this.#reconnect = reconnect
    this.#options = options
    this.#codec = options.codec ?? 'msgpack'
  }

  /**
   * Connects and says hello. `target` is a ws:// URL, a Transport (no reconnect: there is no way to
   * make another), or a factory of transports (reconnects by calling it again).
   */
  static async connect (target: string | Transport | TransportFactory, options: CodeGymClientOptions = {}): Promise<CodeGymClient> {
    let factory: TransportFactory
    let canReconnect = true
    if (typeof target === 'string') {
      factory = (resumeToken) => connectWebSocket(target, { handshakeTimeoutMs: options.handshakeTimeoutMs, resumeToken })
    } else if (typeof target === 'function') {
      factory = target
    } else {
      let used = false
      factory = () => {
        if (used) throw new Error('a single Transport cannot be reconnected: pass a factory')
        used = true
        return target
      }
      canReconnect = false
    }
    const reconnect = options.reconnect === false || !canReconnect ? false : checkReconnectPolicy({ ...defaultReconnect, ...options.reconnect })
    const client = new CodeGymClient(factory, reconnect, options)
    try {
      await client.#handshake(await factory(), false)
    } catch (error) {
      client.#finish(1006, 'connect failed')
      throw error
    }
    client.#state = 'open'
    return client
  }

  /** The hello result of the current connection: protocol version, limits, resume token. */
  get helloResult (): HelloResult {
    return this.#hello!
  }

  get isOpen (): boolean { return this.#state === 'open' }

  /** Requests sent or queued and not yet answered. */
  get pendingRequests (): number { return this.#pending.size }

  /** The step count the client knows for a session, or undefined when it does not track it. */
  stepOf (session: SessionId): number | undefined {
    return this.#sessions.get(session)?.step
  }

  /** Any op, typed by the schema's Operations table. Steps on tracked sessions get expectStep. */
  request<O extends Op> (op: O, params: OpParams<O>, options: RequestOptions = {}): Promise<OpResult<O>> {
    return this.#request(op, params as unknown as Record<string, unknown>, options) as Promise<OpResult<O>>
  }

  listEnvs (options?: RequestOptions): Promise<OpResult<'envs.list'>> {
    return this.request('envs.list', {}, options)
  }

  describeEnv (env: string, options?: RequestOptions): Promise<OpResult<'envs.describe'>> {
    return this.request('envs.describe', { env }, options)
  }

  /** Starts an episode: in a new session, or in place of `session`'s current one. */
  reset (env: string, resetOptions?: ResetOptions, session?: SessionId, options?: RequestOptions): Promise<OpResult<'reset'>> {
    const params: OpParams<'reset'> = { env }
    if (resetOptions !== undefined) params.options = resetOptions
    if (session !== undefined) params.session = session
    return this.request('reset', params, options)
  }

  step (session: SessionId, action: OpParams<'step'>['action'], options: StepOptions = {}): Promise<StepResult> {
    const params: OpParams<'step'> = { session, action }
    if (options.expectStep !== undefined) params.expectStep = options.expectStep
    return this.request('step', params, options)
  }

  observe (session: SessionId, options?: RequestOptions): Promise<OpResult<'observe'>> {
    return this.request('observe', { session }, options)
  }

  /** Submits the answer (the Done tool); ends the episode. */
  done (session: SessionId, answer: unknown, options: StepOptions = {}): Promise<StepResult> {
    const params: OpParams<'done'> = { session, answer }
    if (options.expectStep !== undefined) params.expectStep = options.expectStep
    return this.request('done', params, options)
  }

  /** Closes one session (the `close` op); close() closes the client. */
  closeSession (session: SessionId, options?: RequestOptions): Promise<OpResult<'close'>> {
    return this.request('close', { session }, options)
  }

  /** The snapshot as bytes, whichever codec carried it. */
  async snapshot (session: SessionId, options?: RequestOptions): Promise<{ snapshot: Uint8Array, step: number }> {
    const { snapshot, step } = await this.request('snapshot', { session }, options)
    return { snapshot: typeof snapshot === 'string' ? new Uint8Array(Buffer.from(snapshot, 'base64')) : snapshot, step }
  }

  /** A new session from snapshot bytes (or their base64 text). */
  restore (snapshot: Uint8Array | string, options?: RequestOptions): Promise<SessionSummary> {
    const wire = this.#codec === 'json' && typeof snapshot !== 'string' ? Buffer.from(snapshot).toString('base64') : snapshot
    return this.request('restore', { snapshot: wire }, options)
  }

  fork (session: SessionId, options?: RequestOptions): Promise<SessionSummary> {
    return this.request('fork', { session }, options)
  }

  /** Many operations in one frame; one outcome per operation, in order. */
  batch (ops: BatchRequest[], options?: RequestOptions): Promise<{ results: BatchOutcome[] }> {
    // Typed params are interfaces, which the wire's open JsonObject cannot name.
    return this.request('batch', { ops: ops as unknown as BatchOperation[] }, options)
  }

  /** Closes the connection; requests still in flight fail with ConnectionClosedError. */
  async close (): Promise<void> {
    this.#finish(closeCodes.normal, 'client closed')
  }

  #request (op: string, params: Record<string, unknown>, options: RequestOptions): Promise<unknown> {
    if (this.#state === 'closed') return Promise.reject(new ConnectionClosedError('the client is closed', { op, applied: false }))
    const stepSessions: string[] = []
    const prepared = this.#withExpectedSteps(op, params, stepSessions)
    return new Promise((resolve, reject) => {
      const id = this.#nextId++
      const pending: Pending = { id, op, params: prepared, resolve, reject, timer: undefined, sent: false, stepSessions }
      const timeoutMs = options.timeoutMs ?? this.#options.requestTimeoutMs ?? defaultRequestTimeoutMs
      if (timeoutMs > 0) pending.timer = setTimeout(() => this.#timeOut(pending, timeoutMs), timeoutMs)
      this.#pending.set(id, pending)
      if (this.#state === 'open') this.#write(pending)
    })
  }

  /**
   * Adds expectStep to steps and dones on tracked sessions, counting the steps already in flight
   * before them (the server runs one session's operations in order), so that a step sent again
   * after a drop is refused rather than applied twice.
   */
  #withExpectedSteps (op: string, params: Record<string, unknown>, stepSessions: string[]): Record<string, unknown> {
    if (op === 'batch' && Array.isArray(params.ops)) {
      return { ...params, ops: (params.ops as Array<{ op: string, params?: Record<string, unknown> }>).map((operation) => ({ ...operation, params: this.#withExpectedSteps(operation.op, operation.params ?? {}, stepSessions) })) }
    }
    if ((op !== 'step' && op !== 'done') || typeof params.session !== 'string') return params
    const tracked = this.#sessions.get(params.session)
    if (tracked === undefined) return params
    const expectStep = typeof params.expectStep === 'number' ? params.expectStep : tracked.step + tracked.inFlight
    tracked.inFlight++
    stepSessions.push(params.session)
    return { ...params, expectStep }
  }

  #write (pending: Pending): void {
    pending.sent = true
    this.#transport?.send(encodeFrame({ id: pending.id, op: pending.op, params: pending.params }, this.#codec))
  }

  #timeOut (pending: Pending, timeoutMs: number): void {
    if (!this.#pending.has(pending.id)) return
    if (pending.sent && (pending.op === 'step' || pending.op === 'done')) this.#abandonedSteps.set(pending.id, pending.params.session as string)
    this.#settle(pending, { error: new RequestTimeoutError(pending.op, timeoutMs) })
  }

  /** Answers a request exactly once: frees its id, stops its timer, updates what the client tracks. */
  #settle (pending: Pending, outcome: { result: unknown } | { error: Error }): void {
    if (!this.#pending.delete(pending.id)) return
    clearTimeout(pending.timer)
    for (const session of pending.stepSessions) {
      const tracked = this.#sessions.get(session)
      if (tracked !== undefined) tracked.inFlight = Math.max(0, tracked.inFlight - 1)
    }
    if ('result' in outcome) {
      this.#track(pending.op, pending.params, { result: outcome.result })
      pending.resolve(outcome.result)
    } else {
      if (outcome.error instanceof CodeGymRequestError) {
        this.#track(pending.op, pending.params, { error: { code: outcome.error.code, message: outcome.error.message, data: outcome.error.data } })
      }
      pending.reject(outcome.error)
    }
  }

  /** What an answer tells about the client's sessions and their step counts. */
  #track (op: string, params: Record<string, unknown>, outcome: { result: unknown } | { error: ErrorObject }): void {
    const session = typeof params.session === 'string' ? params.session : undefined
    if ('error' in outcome) {
      const { code, data } = outcome.error
      if (session === undefined) return
      if (code === 'unknown_session') this.#sessions.delete(session)
      const step = (data as { step?: unknown } | undefined)?.step
      const tracked = this.#sessions.get(session)
      if (code === 'step_mismatch' && tracked !== undefined && typeof step === 'number') tracked.step = step
      return
    }
    const result = outcome.result as Record<string, unknown>
    switch (op) {
      case 'reset':
        this.#sessions.set(result.session as string, { step: 0, inFlight: this.#sessions.get(result.session as string)?.inFlight ?? 0 })
        break
      case 'restore': case 'fork':
        this.#sessions.set(result.session as string, { step: result.step as number, inFlight: 0 })
        break
      case 'step': case 'done': {
        const tracked = session === undefined ? undefined : this.#sessions.get(session)
        if (tracked !== undefined) tracked.step = (result as unknown as StepResult).info.step
        break
      }
      case 'close':
        if (session !== undefined) this.#sessions.delete(session)
        break
      case 'batch': {
        const ops = params.ops as Array<{ op: string, params?: Record<string, unknown> }>
        const results = (result as { results: BatchOutcome[] }).results
        ops.forEach((operation, index) => {
          const outcome = results[index]
          if (outcome !== undefined) this.#track(operation.op, operation.params ?? {}, outcome)
        })
        break
      }
    }
  }

  #attach (transport: Transport): void {
    this.#transport = transport
    transport.listen({
      message: (frame, isBinary) => { if (this.#transport === transport) this.#onFrame(frame, isBinary) },
      close: (code, reason) => { if (this.#transport === transport) this.#onTransportClosed(code, reason) },
    })
  }

  /** Says hello on a new transport; with resume, takes the client's sessions back. */
  async #handshake (transport: Transport, resume: boolean): Promise<HelloResult> {
    this.#attach(transport)
    const hello = (params: HelloParams): Promise<HelloResult> => new Promise((resolve, reject) => {
      const id = this.#nextId++
      const pending: Pending = { id, op: 'hello', params: params as unknown as Record<string, unknown>, resolve: resolve as (result: unknown) => void, reject, timer: undefined, sent: false, stepSessions: [] }
      const timeoutMs = this.#options.requestTimeoutMs ?? defaultRequestTimeoutMs
      if (timeoutMs > 0) pending.timer = setTimeout(() => this.#timeOut(pending, timeoutMs), timeoutMs)
      this.#pending.set(id, pending)
      this.#write(pending)
    })
    const params: HelloParams = { versions: clientVersions }
    if (this.#options.token !== undefined) params.token = this.#options.token
    if (this.#options.clientName !== undefined) params.client = this.#options.clientName
    let result: HelloResult
    if (resume && this.#hello !== undefined) {
      try {
        result = await hello({ ...params, resume: this.#hello.resumeToken })
      } catch (error) {
        // The server forgot this client (its resume time ran out): start afresh, with no sessions.
        if (!(error instanceof CodeGymRequestError) || error.code !== 'invalid_resume_token') throw error
        result = { ...await hello(params), resumed: [] }
      }
    } else {
      result = await hello(params)
    }
    this.#hello = result
    return result
  }

  #onFrame (frame: Uint8Array, isBinary: boolean): void {
    let message: Frame
    try {
      message = decodeFrame(frame, codecOf(isBinary)) as Frame
    } catch {
      return // Not ours to answer: the server never sends such a frame.
    }
    if (message === null || typeof message !== 'object') return
    if (typeof message.event === 'string') {
      this.emit('event', message as ServerEvent)
      return
    }
    if (typeof message.id !== 'number') {
      if (message.error !== undefined) this.emit('protocol-error', message.error)
      return
    }
    const pending = this.#pending.get(message.id)
    if (pending === undefined) {
      this.#onLateAnswer(message.id, message)
      return
    }
    if (message.error !== undefined) {
      const { code, message: text, data } = message.error
      this.#settle(pending, { error: new CodeGymRequestError(pending.op, code, text, data) })
    } else {
      this.#settle(pending, { result: message.result })
    }
  }

  /** A step that timed out may still have been taken: its late answer keeps the count right. */
  #onLateAnswer (id: RequestId, message: Frame): void {
    const session = this.#abandonedSteps.get(id)
    if (session === undefined) return
    this.#abandonedSteps.delete(id)
    const tracked = this.#sessions.get(session)
    if (tracked === undefined) return
    if (message.error !== undefined) {
      this.#track('step', { session }, { error: message.error })
    } else {
      tracked.step = Math.max(tracked.step, (message.result as StepResult).info.step)
    }
  }

  #onTransportClosed (code: number, reason: string): void {
    this.#transport = undefined
    this.#abandonedSteps.clear()
    const lost = new ConnectionClosedError(`the connection closed (${code}${reason === '' ? '' : ` ${reason}`})`, { op: 'hello', closeCode: code })
    for (const pending of this.#pending.values()) if (pending.op === 'hello') this.#settle(pending, { error: lost })
    if (this.#state !== 'open') return // connecting: the handshake fails; reconnecting: the loop goes on
    if (this.#reconnect === false || finalCloseCodes.has(code)) {
      this.#finish(code, reason)
      return
    }
    this.#state = 'reconnecting'
    this.emit('disconnect', { code, reason })
    void this.#reconnectLoop(this.#reconnect, code, reason)
  }

  async #reconnectLoop (policy: ResolvedReconnectPolicy, code: number, reason: string): Promise<void> {
    const droppedAt = performance.now()
    // Past the server's resumeTtlMs its sessions are gone: a later resume could not get them back.
    const giveUpAfterMs = policy.giveUpAfterMs ?? this.#hello?.limits.resumeTtlMs ?? 0
    for (let attempt = 1; attempt <= policy.attempts; attempt++) {
      if (attempt > 1) {
        const leftMs = droppedAt + giveUpAfterMs - performance.now()
        if (leftMs <= 0) break
        // The last try comes at the end of the window, not after it.
        await sleep(Math.min(leftMs, reconnectDelayMs(policy, attempt)))
      }
      if (this.#state !== 'reconnecting') return
      let transport: Transport | undefined
      try {
        transport = await this.#factory(this.#hello?.resumeToken)
        if (this.#state !== 'reconnecting') {
          transport.close(closeCodes.normal, 'client closed')
          return
        }
        const hello = await this.#handshake(transport, true)
        if (this.#transport !== transport) continue // dropped again right after hello
        this.#state = 'open'
        const resumed = hello.resumed ?? []
        this.#resume(resumed)
        this.emit('reconnect', { resumed })
        return
      } catch {
        if (transport !== undefined && this.#transport === transport) {
          this.#transport = undefined
          transport.close(closeCodes.normal, 'hello failed')
        }
      }
    }
    if (this.#state === 'reconnecting') this.#finish(code, reason)
  }

  /**
   * After a resume: each request that was written to the lost connection is answered from what the
   * server reports, sent again where that is safe, or failed; then every unsent request goes out in
   * the order it was made.
   */
  #resume (resumed: SessionSummary[]): void {
    const summaries = new Map(resumed.map((summary) => [summary.session, summary]))
    for (const [session, tracked] of this.#sessions) {
      const summary = summaries.get(session)
      if (summary === undefined) this.#sessions.delete(session)
      else tracked.step = summary.step
    }
    for (const summary of resumed) {
      if (!this.#sessions.has(summary.session)) this.#sessions.set(summary.session, { step: summary.step, inFlight: 0 })
    }
    for (const pending of [...this.#pending.values()]) {
      if (!pending.sent) continue
      const decision = this.#afterDrop(pending, summaries)
      if (decision === 'resend') pending.sent = false
      else this.#settle(pending, decision)
    }
    // Steps whose answers were lost may have raised the count: later steps were counted from it.
    for (const pending of this.#pending.values()) if (!pending.sent) this.#write(pending)
  }

  #afterDrop (pending: Pending, summaries: ReadonlyMap<string, SessionSummary>): 'resend' | { result: unknown } | { error: Error } {
    const { op, params } = pending
    if (idempotentOps.has(op)) return 'resend'
    const session = typeof params.session === 'string' ? params.session : undefined
    const summary = session === undefined ? undefined : summaries.get(session)
    if (op === 'close' && session !== undefined) return summary === undefined ? { result: { closed: true } } : 'resend'
    if ((op === 'step' || op === 'done') && typeof params.expectStep === 'number') {
      const expectStep = params.expectStep
      // Gone, or not taken yet: sending it again is safe, since expectStep refuses a repeat.
      if (summary === undefined || summary.step <= expectStep) return 'resend'
      if (summary.step === expectStep + 1 && summary.lastResult?.info.step === expectStep + 1) return { result: summary.lastResult }
      return { error: new ConnectionClosedError('the connection dropped after the step was taken and its result is lost (later steps were taken too)', { op, applied: true }) }
    }
    return { error: new ConnectionClosedError('the connection dropped before the answer came; the request may or may not have been applied', { op }) }
  }

  /** Closed for good: every request still waiting fails. */
  #finish (code: number, reason: string): void {
    if (this.#state === 'closed') return
    this.#state = 'closed'
    const transport = this.#transport
    this.#transport = undefined
    transport?.close(closeCodes.normal, reason)
    for (const pending of [...this.#pending.values()]) {
      this.#settle(pending, { error: new ConnectionClosedError(`the connection closed (${code}${reason === '' ? '' : ` ${reason}`})`, { op: pending.op, applied: pending.sent ? undefined : false, closeCode: code }) })
    }
    this.emit('close', { code, reason })
  }
}

export interface WebSocketConnectOptions {
  handshakeTimeoutMs?: number | undefined
  /** Largest frame the client reads. Default: ws's own (100 MiB). */
  maxPayloadBytes?: number | undefined
  /** Sent in the upgrade request's codegym-resume header, so a multi-process server routes a resume to its sessions. */
  resumeToken?: string | undefined
}

/** Opens a WebSocket to a codegym-serve URL and wraps it as a Transport. */
export function connectWebSocket (url: string, options: WebSocketConnectOptions = {}): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, {
      perMessageDeflate: false,
      handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
      ...(options.maxPayloadBytes === undefined ? {} : { maxPayload: options.maxPayloadBytes }),
      ...(options.resumeToken === undefined ? {} : { headers: { [resumeHeader]: options.resumeToken } }),
    })
    const onError = (error: Error): void => {
      socket.off('open', onOpen)
      reject(error)
    }
    const onOpen = (): void => {
      socket.off('error', onError)
      resolve(new WebSocketTransport(socket))
    }
    socket.once('error', onError)
    socket.once('open', onOpen)
  })
}
