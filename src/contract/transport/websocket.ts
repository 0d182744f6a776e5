// Transport over a `ws` WebSocket (server side, or a Node client).
import type { WebSocket } from 'ws'
import type { Transport, TransportHandlers } from './transport.ts'

export class WebSocketTransport implements Transport {
  readonly #socket: WebSocket
  #corked = false

  constructor (socket: WebSocket) {
    this.#socket = socket
    // Without an 'error' listener, one bad frame would end the process.
    socket.on('error', () => { /* 'close' follows and reports it */ })
  }

  get bufferedAmount (): number { return this.#socket.bufferedAmount }

  listen (handlers: TransportHandlers): void {
    this.#socket.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      handlers.message(toBytes(data), isBinary)
    })
    this.#socket.on('close', (code: number, reason: Buffer) => handlers.close(code, reason.toString('utf8')))
  }

  send (frame: Uint8Array | string, written?: () => void): void {
    if (this.#socket.readyState !== this.#socket.OPEN) {
      written?.()
      return
    }
    this.#cork()
    // ws calls back once the frame is written to the socket, or with an error when it never will be.
    this.#socket.send(frame, { binary: typeof frame !== 'string' }, written === undefined ? undefined : () => written())
  }

  // Answers finished in one turn of the event loop (a batch of sandbox results) leave in one
  // write: without corking, each frame is its own syscall.
  #cork (): void {
    if (this.#corked) return
    const stream = (this.#socket as unknown as { _socket?: { cork?: () => void, uncork?: () => void } })._socket
    if (typeof stream?.cork !== 'function' || typeof stream.uncork !== 'function') return
    this.#corked = true
    stream.cork()
    process.nextTick(() => {
      this.#corked = false
      stream.uncork!()
    })
  }

  close (code?: number, reason?: string): void {
    this.#socket.close(code, reason)
  }

  pause (): void { this.#socket.pause() }
  resume (): void { this.#socket.resume() }
}

function toBytes (data: Buffer | ArrayBuffer | Buffer[]): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data
}
