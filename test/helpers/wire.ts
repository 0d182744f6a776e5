// A raw WebSocket client for server tests: sends exact frames (bytes or text) and collects what
// comes back, so tests see the wire as a hostile or careless client would. No protocol logic here.
import { pack, unpack } from 'msgpackr'
import WebSocket from 'ws'

export interface WireMessage {
  /** The decoded message, or undefined when the frame could not be decoded. */
  readonly message: Record<string, unknown> | undefined
  readonly isBinary: boolean
  readonly raw: Buffer
}

export interface Closed { code: number, reason: string }

/** Upper bound on any single wait, so a broken server fails a test instead of hanging it. */
export const waitLimitMs = 5000

export class RawClient {
  readonly socket: WebSocket
  readonly closed: Promise<Closed>
  readonly #inbox: WireMessage[] = []
  #waiter: (() => void) | undefined
  #closedWith: Closed | undefined

  private constructor (socket: WebSocket) {
    this.socket = socket
    socket.on('error', () => { /* 'close' follows */ })
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      this.#inbox.push({ message: decode(data, isBinary), isBinary, raw: data })
      this.#wake()
    })
    this.closed = new Promise((resolve) => {
      socket.once('close', (code: number, reason: Buffer) => {
        this.#closedWith = { code, reason: reason.toString('utf8') }
        resolve(this.#closedWith)
        this.#wake()
      })
    })
  }

  static async open (url: string, options: WebSocket.ClientOptions = {}): Promise<RawClient> {
    const socket = new WebSocket(url, { perMessageDeflate: false, ...options })
    const client = new RawClient(socket)
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve())
      socket.once('error', reject)
      socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused with HTTP ${response.statusCode}`)))
    })
    return client
  }

  get isOpen (): boolean { return this.socket.readyState === WebSocket.OPEN }
  get closedWith (): Closed | undefined { return this.#closedWith }

  sendPack (message: unknown): void { this.sendBytes(pack(message), true) }
  sendJson (message: unknown): void { this.sendBytes(JSON.stringify(message), false) }

  sendBytes (frame: Buffer | Uint8Array | string, binary: boolean): void {
    this.socket.send(frame, { binary })
  }

  /** The next message, in arrival order; rejects if the connection closes or nothing comes in time. */
  async next (timeoutMs = waitLimitMs): Promise<WireMessage> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const message = this.#inbox.shift()
      if (message !== undefined) return message
      if (this.#closedWith !== undefined) throw new Error(`connection closed (${this.#closedWith.code} ${this.#closedWith.reason}) while waiting for a message`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no message within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiter = () => { clearTimeout(timer); resolve() }
      })
    }
  }

  /** The next response (events are skipped). */
  async response (timeoutMs = waitLimitMs): Promise<Record<string, unknown>> {
    for (;;) {
      const { message } = await this.next(timeoutMs)
      if (message === undefined) throw new Error('the server sent a frame that does not decode')
      if (!('event' in message)) return message
    }
  }

  /** Sends one request and waits for its response (the only one expected meanwhile). */
  async request (id: number, op: string, params?: Record<string, unknown>, codec: 'msgpack' | 'json' = 'msgpack'): Promise<Record<string, unknown>> {
    const request = params === undefined ? { id, op } : { id, op, params }
    if (codec === 'msgpack') this.sendPack(request)
    else this.sendJson(request)
    const response = await this.response()
    if (response.id !== id) throw new Error(`expected the response to ${id}, got ${JSON.stringify(response)}`)
    return response
  }

  /** Like request, but throws unless the response is a result. */
  async call (id: number, op: string, params?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const response = await this.request(id, op, params)
    if (!('result' in response)) throw new Error(`${op} failed: ${JSON.stringify(response.error)}`)
    return response.result as Record<string, unknown>
  }

  async hello (params: Record<string, unknown> = { versions: [1] }): Promise<Record<string, unknown>> {
    return this.call(0, 'hello', params)
  }

  /** Waits for the connection to close, at most timeoutMs. */
  async waitClosed (timeoutMs = waitLimitMs): Promise<Closed> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`the connection did not close within ${timeoutMs} ms`)), timeoutMs)
    })
    try {
      return await Promise.race([this.closed, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Closes from the client side and waits for the close to complete. */
  async close (): Promise<void> {
    if (this.#closedWith !== undefined) return
    if (this.socket.readyState === WebSocket.CONNECTING || this.socket.readyState === WebSocket.OPEN) this.socket.close(1000)
    await this.waitClosed().catch(() => this.socket.terminate())
  }

  #wake (): void {
    const waiter = this.#waiter
    this.#waiter = undefined
    waiter?.()
  }
}

function decode (data: Buffer, isBinary: boolean): Record<string, unknown> | undefined {
  try {
    const value: unknown = isBinary ? unpack(data) : JSON.parse(data.toString('utf8'))
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}

/** Polls until check() holds; fails after timeoutMs (for counts the server updates asynchronously). */
export async function eventually (check: () => boolean, timeoutMs = waitLimitMs): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return true
}
