// A raw WebSocket client for server tests: sends exact frames (bytes or text) and collects what
// comes back, so tests see the wire as a hostile or careless client would. No protocol logic here.
import { randomBytes } from 'node:crypto'
import { connect as connectTcp, type Socket } from 'node:net'
import { pack, Unpackr } from 'msgpackr'
import WebSocket from 'ws'

export interface WireMessage {
  /** The decoded message, or undefined when the frame could not be decoded. */
  readonly message: Record<string, unknown> | undefined
  readonly isBinary: boolean
  readonly raw: Buffer
}

export interface Closed { code: number, reason: string }

/** msgpackr reads MessagePack int 64 as BigInt unless told otherwise: whole numbers past 2^32 (seeds) are int 64 on the wire. */
const wideIntegers = new Unpackr({ mapsAsObjects: true, int64AsType: 'number' })
const unpack = (data: Uint8Array): unknown => wideIntegers.unpack(data)

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

/**
 * A WebSocket opened by hand over a raw TCP socket, for what a `ws` client will not do: many frames
 * in one TCP write, or never reading. Frames from the server are parsed with readServerFrames.
 */
export async function openRawSocket (port: number): Promise<{ socket: Socket, leftover: Buffer }> {
  const socket = connectTcp(port, '127.0.0.1')
  socket.on('error', () => { /* the test sees the close */ })
  socket.write([
    'GET / HTTP/1.1', 'Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13', '', '',
  ].join('\r\n'))
  let received = Buffer.alloc(0)
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk])
      const end = received.indexOf('\r\n\r\n')
      if (end < 0) return
      socket.off('data', onData)
      socket.pause()
      const head = received.subarray(0, end).toString('latin1')
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`))
      else resolve({ socket, leftover: received.subarray(end + 4) })
    }
    socket.on('data', onData)
    socket.once('close', () => reject(new Error('closed during the handshake')))
  })
}

/** One client-to-server frame (masked, as RFC 6455 requires of clients). */
export function clientFrame (payload: Buffer | string, binary: boolean): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload
  const length = data.length
  const header = length < 126 ? Buffer.alloc(2) : length < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10)
  header[0] = 0x80 | (binary ? 0x2 : 0x1)
  if (length < 126) header[1] = 0x80 | length
  else if (length < 65_536) {
    header[1] = 0x80 | 126
    header.writeUInt16BE(length, 2)
  } else {
    header[1] = 0x80 | 127
    header.writeBigUInt64BE(BigInt(length), 2)
  }
  const mask = randomBytes(4)
  const masked = Buffer.alloc(length)
  for (let i = 0; i < length; i++) masked[i] = data[i]! ^ mask[i & 3]!
  return Buffer.concat([header, mask, masked])
}

/** Splits server-to-client bytes (unmasked, unfragmented) into frames; returns the unused rest. */
export function readServerFrames (bytes: Buffer): { frames: Array<{ opcode: number, payload: Buffer }>, rest: Buffer } {
  const frames: Array<{ opcode: number, payload: Buffer }> = []
  let at = 0
  for (;;) {
    if (bytes.length - at < 2) break
    const opcode = bytes[at]! & 0x0f
    let length = bytes[at + 1]! & 0x7f
    let offset = at + 2
    if (length === 126) {
      if (bytes.length - at < 4) break
      length = bytes.readUInt16BE(at + 2)
      offset = at + 4
    } else if (length === 127) {
      if (bytes.length - at < 10) break
      length = Number(bytes.readBigUInt64BE(at + 2))
      offset = at + 10
    }
    if (bytes.length - offset < length) break
    frames.push({ opcode, payload: bytes.subarray(offset, offset + length) })
    at = offset + length
  }
  return { frames, rest: bytes.subarray(at) }
}
