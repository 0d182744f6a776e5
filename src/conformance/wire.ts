// One WebSocket connection of the conformance kit: frames out exactly as asked, every frame in
// decoded strictly and kept, with deadlines on every wait. It knows the framing of the protocol
// (codecs, requests, responses, events) and nothing of its meaning.
import { connect as connectTcp, type NetConnectOpts, type Socket } from 'node:net'
import { connect as connectTls } from 'node:tls'
import WebSocket from 'ws'
import { decodeStrict, encodeStrict, MsgpackFormatError, type WholeFloat } from './msgpack.ts'

export type Codec = 'msgpack' | 'json'

/** One frame the server sent. */
export interface Received {
  readonly codec: Codec
  /** The decoded map; undefined when the frame could not be decoded (see decodeError). */
  readonly message: Record<string, unknown> | undefined
  readonly decodeError: string | undefined
  readonly wholeFloats: readonly WholeFloat[]
  /** The frame as sent: bytes (binary) or text. */
  readonly raw: Buffer | string
}

/** What ws passes to createConnection: net options plus the URL's host. */
type ConnectOptions = NetConnectOpts & { host?: string, socketPath?: string, port?: number }

export interface Closed { readonly code: number, readonly reason: string }

/** A response as the client reads it. */
export interface Answer {
  readonly received: Received
  readonly id: unknown
  readonly result: Record<string, unknown> | undefined
  readonly error: { code: string, message: string, data?: unknown } | undefined
}

export class ConformanceFailure extends Error {
  override readonly name = 'ConformanceFailure'
}

export interface OpenOptions {
  readonly headers?: Record<string, string>
  /** Offer permessage-deflate in the upgrade (the server must decline it). */
  readonly offerCompression?: boolean
  readonly timeoutMs: number
}

export class WireConnection {
  readonly socket: WebSocket
  readonly closed: Promise<Closed>
  /** Every frame received, in order. */
  readonly received: Received[] = []
  readonly #timeoutMs: number
  #tcp: Socket | undefined
  readonly #waiters = new Set<() => void>()
  /** Frames a wait has already returned: each frame answers one wait. */
  readonly #taken = new WeakSet<Received>()
  #closedWith: Closed | undefined
  #nextId = 1

  private constructor (url: string, options: OpenOptions) {
    this.#timeoutMs = options.timeoutMs
    this.socket = new WebSocket(url, {
      perMessageDeflate: options.offerCompression === true,
      headers: options.headers,
      maxPayload: 0,
      // Keeps the TCP socket, so that several frames can leave in one write (see sendTogether).
      createConnection: ((connectOptions: ConnectOptions) => {
        this.#tcp = url.startsWith('wss:')
          ? connectTls({ ...connectOptions, servername: connectOptions.host })
          : connectTcp({ ...connectOptions, path: connectOptions.socketPath } as NetConnectOpts)
        return this.#tcp
      }) as typeof connectTcp,
    })
    this.socket.on('error', () => { /* 'close' follows */ })
    this.socket.on('message', (data: Buffer, isBinary: boolean) => {
      this.received.push(decodeReceived(data, isBinary))
      this.#wake()
    })
    this.closed = new Promise((resolve) => {
      this.socket.once('close', (code: number, reason: Buffer) => {
        this.#closedWith = { code, reason: reason.toString('utf8') }
        resolve(this.#closedWith)
        this.#wake()
      })
    })
  }

  static async open (url: string, options: OpenOptions): Promise<WireConnection> {
    const connection = new WireConnection(url, options)
    await withDeadline(new Promise<void>((resolve, reject) => {
      connection.socket.once('open', () => resolve())
      connection.socket.once('error', reject)
      connection.socket.once('unexpected-response', (_request, response) => reject(new ConformanceFailure(`the WebSocket upgrade was answered HTTP ${response.statusCode}`)))
    }), options.timeoutMs, 'the WebSocket upgrade')
    return connection
  }

  get closedWith (): Closed | undefined { return this.#closedWith }
  get isOpen (): boolean { return this.socket.readyState === WebSocket.OPEN }

  /** A request id not used before on this connection. */
  newId (): number { return this.#nextId++ }

  send (message: unknown, codec: Codec): void {
    this.sendFrame(codec === 'msgpack' ? encodeStrict(message) : JSON.stringify(message), codec === 'msgpack')
  }

  sendFrame (frame: Buffer | string, binary: boolean): void {
    if (!this.isOpen) throw new ConformanceFailure(`the connection is closed (${this.#closedWith?.code ?? 'closing'}); cannot send`)
    this.socket.send(frame, { binary })
  }

  /**
   * Sends frames in one TCP write, so that the server reads them together: what one request does
   * before the next is read cannot depend on timing then.
   */
  sendTogether (frames: ReadonlyArray<{ message: unknown, codec: Codec }>): void {
    this.#tcp?.cork()
    try {
      for (const { message, codec } of frames) this.send(message, codec)
    } finally {
      this.#tcp?.uncork()
    }
  }

  /** Sends a request; its response comes from answer(id). */
  request (op: string, params: unknown, codec: Codec, id = this.newId()): number {
    this.send(params === undefined ? { id, op } : { id, op, params }, codec)
    return id
  }

  /** Sends a request and waits for its response. */
  async call (op: string, params: unknown, codec: Codec): Promise<Answer> {
    return this.answer(this.request(op, params, codec))
  }

  /** The next response with this id not read yet (events and other ids are left for others). */
  async answer (id: unknown, what = `the response to request ${String(id)}`): Promise<Answer> {
    const received = await this.next((frame) => frame.message !== undefined && 'id' in frame.message && frame.message.id === id, what)
    return toAnswer(received)
  }

  /** The first frame (from the start) matching, that no earlier next() took. */
  async next (matches: (frame: Received) => boolean, what: string, timeoutMs = this.#timeoutMs): Promise<Received> {
    return withDeadline(new Promise<Received>((resolve, reject) => {
      const check = (): void => {
        const found = this.received.find((frame) => !this.#taken.has(frame) && matches(frame))
        if (found !== undefined) {
          this.#taken.add(found)
          this.#waiters.delete(check)
          resolve(found)
        } else if (this.#closedWith !== undefined) {
          this.#waiters.delete(check)
          reject(new ConformanceFailure(`the connection closed with ${this.#closedWith.code} before ${what}`))
        }
      }
      this.#waiters.add(check)
      check()
    }), timeoutMs, what)
  }

  /** Waits for the close; fails when it does not come in time. */
  async waitClosed (what: string, timeoutMs = this.#timeoutMs): Promise<Closed> {
    return withDeadline(this.closed, timeoutMs, what)
  }

  /** Frames received and not taken by any wait. */
  untaken (): Received[] {
    return this.received.filter((frame) => !this.#taken.has(frame))
  }

  /** Closes cleanly (1000) and waits a bounded time for the close to finish. */
  async close (): Promise<void> {
    if (this.#closedWith !== undefined) return
    this.socket.close(1000)
    await withDeadline(this.closed, this.#timeoutMs, 'the close handshake').catch(() => this.socket.terminate())
  }

  /** Drops the TCP connection without a close frame, as a network failure would. */
  async drop (): Promise<void> {
    this.socket.terminate()
    await this.closed
  }

  #wake (): void {
    for (const waiter of [...this.#waiters]) waiter()
  }
}

function decodeReceived (data: Buffer, isBinary: boolean): Received {
  if (isBinary) {
    try {
      const { value, wholeFloats } = decodeStrict(data)
      return { codec: 'msgpack', message: isMap(value) ? value : undefined, decodeError: isMap(value) ? undefined : 'the message is not a map', wholeFloats, raw: data }
    } catch (error) {
      return { codec: 'msgpack', message: undefined, decodeError: error instanceof MsgpackFormatError ? error.message : String(error), wholeFloats: [], raw: data }
    }
  }
  const text = data.toString('utf8')
  try {
    const value: unknown = JSON.parse(text)
    return { codec: 'json', message: isMap(value) ? value : undefined, decodeError: isMap(value) ? undefined : 'the message is not a map', wholeFloats: [], raw: text }
  } catch (error) {
    return { codec: 'json', message: undefined, decodeError: (error as Error).message, wholeFloats: [], raw: text }
  }
}

function isMap (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array)
}

function toAnswer (received: Received): Answer {
  const message = received.message!
  const result = isMap(message.result) ? message.result : undefined
  const error = isMap(message.error) ? message.error as unknown as Answer['error'] : undefined
  return { received, id: message.id, result, error }
}

export async function withDeadline<T> (promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new ConformanceFailure(`no ${what} within ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    return await Promise.race([promise, deadline])
  } finally {
    clearTimeout(timer)
  }
}
