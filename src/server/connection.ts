// One client connection: awaiting_hello → open → closed. Every frame is checked at the edge
// (size, codec, envelope) before any work is done for it; nothing a client sends can throw past here.
import { codecOf, decodeFrame, encodeFrame, FrameDecodeError, type Codec } from '../contract/protocol/codec.ts'
import { validateRequest } from '../contract/protocol/catalogue.ts'
import { closeCodes, supportedVersions } from '../contract/protocol/constants.ts'
import type { Transport } from '../contract/transport/transport.ts'
import type { HelloParams, HelloResult, Limits, RequestId } from '../schemas/protocol.generated.ts'
import { dispatch, validateParams, type ServerState } from './handlers.ts'
import { errorResponse, ProtocolError } from './protocol-error.ts'
import type { TokenSet } from './auth.ts'
import { reserveFor, type Reservation, type ResponseSizes, type SendLedger } from './send-budget.ts'
import type { Request } from '../schemas/protocol.generated.ts'
import { summarize, type Session } from './sessions.ts'

/** How often a paused connection checks whether its send buffer has drained. */
const backpressurePollMs = 5
/**
 * Unsent bytes past which a connection is closed (1008): twice maxSendBufferBytes. Admission keeps
 * a connection within maxSendBufferBytes by the expected sizes of its answers; only answers far
 * larger than any seen before of their kind can get here.
 */
const hardSendBufferFactor = 2

export interface ConnectionHost {
  readonly state: ServerState
  readonly serverInfo: { name: string, version: string }
  readonly limits: Limits
  /** The tokens hello must carry one of (none required when the set is empty). */
  readonly tokens: TokenSet
  /** Takes ownership of a client key for this connection; returns the connection it took it from. */
  claimClient: (clientKey: string, connection: Connection) => Connection | undefined
  isKnownClient: (clientKey: string) => boolean
  /** A fresh client key (the resume token). */
  newClientKey: () => string
  /** Why a resume token is not known here. */
  unknownResumeMessage: (clientKey: string) => string
  /**
   * Called when hello has passed every other check: counts the connection among maxConnections
   * (throws too_many_connections when they are all taken) and takes it out of the pool of
   * connections that have not said hello.
   */
  authenticate: (connection: Connection) => void
  onClosed: (connection: Connection) => void
  /** Outbound bytes of the whole server, and the expected size of each kind of response. */
  readonly sendLedger: SendLedger
  readonly responseSizes: ResponseSizes
  /** Connections that share the server's outbound bound. */
  connectionCount: () => number
}

export class Connection {
  readonly #transport: Transport
  readonly #host: ConnectionHost
  #status: 'awaiting_hello' | 'open' | 'closed' = 'awaiting_hello'
  #clientKey: string | undefined
  /** Unasked messages go out in the codec the client said hello in. */
  #eventCodec: Codec = 'msgpack'
  /** Request ids in flight, and how many operations they hold (a batch holds one per operation). */
  readonly #inFlight = new Map<RequestId, number>()
  #pendingOperations = 0
  /** Bytes the answers to requests in flight are expected to take (see send-budget.ts). */
  #reserved = 0
  /** Requests read while the outbound bound was reached: admitted in order once there is room. */
  readonly #held: Array<{ message: Request, codec: Codec }> = []
  #helloTimer: NodeJS.Timeout | undefined
  #backpressureTimer: NodeJS.Timeout | undefined
  /** Set by a draining server: no new requests are read, the ones in flight finish. */
  #readingStopped = false

  constructor (transport: Transport, host: ConnectionHost) {
    this.#transport = transport
    this.#host = host
    this.#helloTimer = setTimeout(() => this.close(closeCodes.helloTimeout, 'no hello in time'), host.limits.helloTimeoutMs)
    this.#helloTimer.unref()
    transport.listen({
      message: (frame, isBinary) => this.#onFrame(frame, isBinary),
      close: () => this.#onTransportClosed(),
    })
  }

  get clientKey (): string | undefined { return this.#clientKey }
  get pendingOperations (): number { return this.#pendingOperations }
  get isOpen (): boolean { return this.#status !== 'closed' }

  /** Sends an unasked message (an Event) to a client that has said hello. */
  sendEvent (event: object): void {
    if (this.#status === 'open') this.#send(event, this.#eventCodec)
  }

  stopReading (): void {
    this.#readingStopped = true
    this.#transport.pause()
  }

  close (code: number, reason: string): void {
    if (this.#status === 'closed') return
    // The client's reply to the close frame must be read for the closing handshake to finish;
    // frames read after reading stopped are dropped by #onFrame.
    if (this.#readingStopped) this.#transport.resume()
    this.#transport.close(code, reason)
    this.#onTransportClosed()
  }

  #onTransportClosed (): void {
    if (this.#status === 'closed') return
    this.#status = 'closed'
    this.#held.length = 0
    clearTimeout(this.#helloTimer)
    clearInterval(this.#backpressureTimer)
    this.#host.onClosed(this)
  }

  #onFrame (frame: Uint8Array, isBinary: boolean): void {
    // Frames already read off the socket when reading stopped are left unanswered, as if unsent.
    if (this.#readingStopped || this.#status === 'closed') return
    const codec = codecOf(isBinary)
    if (frame.byteLength > this.#host.limits.maxFrameBytes) {
      this.#sendError(null, codec, new ProtocolError('frame_too_large', `the frame is ${frame.byteLength} bytes, over the limit of ${this.#host.limits.maxFrameBytes}`))
      this.close(closeCodes.messageTooBig, 'frame too large')
      return
    }
    let message: unknown
    try {
      message = decodeFrame(frame, codec, this.#host.limits)
    } catch (error) {
      if (!(error instanceof FrameDecodeError)) throw error
      this.#sendError(null, codec, new ProtocolError(error.code, error.message))
      return
    }
    if (!validateRequest(message)) {
      this.#sendError(readableId(message), codec, new ProtocolError('invalid_request', validateRequest.lastError))
      return
    }
    if (this.#held.length > 0) {
      // Requests are admitted in the order they were read: this one waits behind those held.
      this.#held.push({ message, codec })
      return
    }
    this.#onRequest(message, codec)
  }

  /** fromHeld: the request was held already; if it must wait again, it keeps its place at the front. */
  #onRequest (message: Request, codec: Codec, fromHeld = false): void {
    const { id, op, params = {} } = message
    if (this.#status === 'awaiting_hello') {
      if (op === 'hello') this.#hello(id, params, codec)
      else this.#sendError(id, codec, new ProtocolError('hello_required', 'the first request on a connection must be hello'))
      return
    }
    if (this.#inFlight.has(id)) {
      this.#sendError(id, codec, new ProtocolError('duplicate_request_id', `request ${id} is still in flight on this connection`))
      return
    }
    const cost = op === 'batch' && Array.isArray(params.ops) ? Math.max(1, params.ops.length) : 1
    if (this.#pendingOperations + cost > this.#host.limits.maxPendingRequests) {
      this.#sendError(id, codec, new ProtocolError('too_many_pending', `the connection has ${this.#pendingOperations} operations in flight; the limit is ${this.#host.limits.maxPendingRequests}`))
      return
    }
    const reservation = reserveFor(op, params, this.#clientKey!, this.#host.state, this.#host.responseSizes)
    const { maxSendBufferBytes } = this.#host.limits
    if (op === 'batch' && reservation.bytes > maxSendBufferBytes) {
      this.#sendError(id, codec, new ProtocolError('batch_too_large', `the answers to this batch are expected to take ${reservation.bytes} bytes, over maxSendBufferBytes (${maxSendBufferBytes}); split it`))
      return
    }
    if (!this.#fits(reservation.bytes)) {
      if (fromHeld) this.#held.unshift({ message, codec })
      else this.#held.push({ message, codec })
      this.#waitForRoom()
      return
    }
    this.#inFlight.set(id, cost)
    this.#pendingOperations += cost
    this.#reserve(reservation.bytes)
    void this.#run(id, op, params, codec, reservation)
  }

  async #run (id: RequestId, op: string, params: unknown, codec: Codec, reservation: Reservation): Promise<void> {
    const context = { owner: this.#clientKey!, codec, server: this.#host.state }
    let sent = 0
    try {
      const result = await dispatch(op, params, context)
      this.#reserve(-reservation.bytes)
      sent = this.#send({ id, result }, codec)
    } catch (error) {
      this.#reserve(-reservation.bytes)
      sent = this.#sendError(id, codec, error, op)
    } finally {
      this.#pendingOperations -= this.#inFlight.get(id) ?? 0
      this.#inFlight.delete(id)
    }
    if (sent > 0) reservation.recordSent(sent)
  }

  #reserve (bytes: number): void {
    this.#reserved += bytes
    this.#host.sendLedger.add(bytes)
  }

  /**
   * Whether a request whose answer is expected to take `bytes` may be admitted now. A connection
   * with nothing outstanding may take one request whatever its size (else an answer bigger than
   * the bound could never be asked for). Once the server's bound is reached, each connection may
   * still use its equal share of it, so that clients that do not read cannot stall the others;
   * the server's total thus stays under twice maxServerSendBufferBytes.
   */
  #fits (bytes: number): boolean {
    const own = this.#transport.bufferedAmount + this.#reserved
    const { maxSendBufferBytes, maxServerSendBufferBytes } = this.#host.limits
    if (own > 0 && own + bytes > maxSendBufferBytes) {
      this.#pausedBy ??= 'connection'
      return false
    }
    if (this.#host.sendLedger.total + bytes <= maxServerSendBufferBytes) return true
    if (own + bytes <= maxServerSendBufferBytes / Math.max(1, this.#host.connectionCount())) return true
    this.#pausedBy ??= 'server'
    return false
  }

  /** Which bound paused this connection, for the metric. */
  #pausedBy: 'connection' | 'server' | undefined

  /** Stops reading until the held requests fit and the send buffer is down to half its bound. */
  #waitForRoom (): void {
    this.#transport.pause()
    if (this.#backpressureTimer !== undefined) return
    this.#host.state.metrics.sendPauses.inc({ bound: this.#pausedBy ?? 'connection' })
    this.#backpressureTimer = setInterval(() => this.#releaseHeld(), backpressurePollMs)
  }

  #releaseHeld (): void {
    if (this.#status === 'closed') return
    // A draining server answers nothing read after it stopped reading; held requests count as such.
    if (this.#readingStopped) this.#held.length = 0
    while (this.#held.length > 0) {
      this.#pausedBy = undefined
      const { message, codec } = this.#held.shift()!
      this.#onRequest(message, codec, true)
      // It still does not fit: it is back at the front; wait for the next round.
      if (this.#held[0]?.message === message) return
    }
    if (this.#transport.bufferedAmount > this.#host.limits.maxSendBufferBytes / 2) return
    clearInterval(this.#backpressureTimer)
    this.#backpressureTimer = undefined
    this.#pausedBy = undefined
    if (!this.#readingStopped) this.#transport.resume()
  }

  #hello (id: RequestId, params: unknown, codec: Codec): void {
    try {
      const { result, resumed } = this.#acceptHello(params, codec)
      if (resumed === undefined) {
        this.#send({ id, result }, codec)
        return
      }
      // Why wait: requests the lost connection sent may still be running (a step's count is raised
      // before its result is recorded). Each session is summarized at its place in the session's
      // request chain, after every request received before this hello and before any after it, so
      // its step count and lastResult describe the same step and a client can tell whether a step
      // whose answer it lost was taken.
      void Promise.all(resumed.map((session) => session.tail.then(() => ({ session, summary: summarize(session) }))))
        .then((summaries) => {
          const live = new Set(this.#host.state.sessions.ownedBy(result.resumeToken))
          result.resumed = summaries.filter(({ session }) => live.has(session)).map(({ summary }) => summary)
          this.#send({ id, result }, codec)
        })
    } catch (error) {
      this.#sendError(id, codec, error, 'hello')
      if (error instanceof ProtocolError && error.code === 'unsupported_version') this.close(closeCodes.unsupportedVersion, 'unsupported protocol version')
      if (error instanceof ProtocolError && error.code === 'unauthorized') this.close(closeCodes.unauthorized, 'unauthorized')
      if (error instanceof ProtocolError && error.code === 'too_many_connections') this.close(closeCodes.tryAgainLater, 'too many connections')
    }
  }

  /** Checks a hello and opens the connection; with resume, also the sessions to summarize. */
  #acceptHello (params: unknown, codec: Codec): { result: HelloResult, resumed: Session[] | undefined } {
    validateParams<'hello'>('hello', params)
    const hello: HelloParams = params
    const version = [...supportedVersions].reverse().find((v) => hello.versions.includes(v))
    if (version === undefined) {
      throw new ProtocolError('unsupported_version', `this server speaks protocol versions ${supportedVersions.join(', ')}`, { versions: [...supportedVersions] })
    }
    if (this.#host.tokens.required && !this.#host.tokens.accepts(hello.token)) {
      throw new ProtocolError('unauthorized', hello.token === undefined ? 'this server requires a token' : 'the token is wrong')
    }
    if (hello.resume !== undefined && !this.#host.isKnownClient(hello.resume)) {
      throw new ProtocolError('invalid_resume_token', this.#host.unknownResumeMessage(hello.resume))
    }
    this.#host.authenticate(this)
    const clientKey = hello.resume ?? this.#host.newClientKey()
    const previous = this.#host.claimClient(clientKey, this)
    previous?.close(closeCodes.resumedElsewhere, 'the client resumed on another connection')
    this.#clientKey = clientKey
    this.#eventCodec = codec
    this.#status = 'open'
    clearTimeout(this.#helloTimer)
    const result: HelloResult = {
      version,
      server: this.#host.serverInfo,
      resumeToken: clientKey,
      limits: this.#host.limits,
    }
    return { result, resumed: hello.resume === undefined ? undefined : this.#host.state.sessions.ownedBy(clientKey) }
  }

  /** Returns the bytes sent. */
  #sendError (id: RequestId | null, codec: Codec, error: unknown, op = 'request'): number {
    return this.#send({ id, error: errorResponse(error, op, this.#host.state) }, codec)
  }

  /** Returns the bytes sent (0 on a closed connection). */
  #send (message: object, codec: Codec): number {
    if (this.#status === 'closed') return 0
    const { maxSendBufferBytes } = this.#host.limits
    // What is still unsent from before this answer: past the hard bound the client is not reading.
    if (this.#transport.bufferedAmount > hardSendBufferFactor * maxSendBufferBytes) {
      this.close(closeCodes.policyViolation, 'the client does not read its responses')
      return 0
    }
    const frame = encodeFrame(message, codec)
    const bytes = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.byteLength
    const ledger = this.#host.sendLedger
    ledger.add(bytes)
    this.#transport.send(frame, () => ledger.remove(bytes))
    if (this.#backpressureTimer === undefined && this.#transport.bufferedAmount > maxSendBufferBytes) {
      // The client is not reading: stop reading it too, until what it has been sent drains.
      this.#pausedBy = 'connection'
      this.#waitForRoom()
    }
    return bytes
  }
}

function readableId (message: unknown): RequestId | null {
  if (message === null || typeof message !== 'object' || !('id' in message)) return null
  const { id } = message
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : null
}
