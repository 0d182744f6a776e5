// Two connected in-memory transports: the server and the client run in one process with no sockets.
// Frames are delivered asynchronously and in order, as a socket would.
import { closeCodes } from '../protocol/constants.ts'
import type { Transport, TransportHandlers } from './transport.ts'

class MemoryEndpoint implements Transport {
  peer: MemoryEndpoint | undefined
  #handlers: TransportHandlers | undefined
  #inbox: Array<[Uint8Array, boolean]> = []
  #paused = false
  #closed = false
  #delivering = false

  get bufferedAmount (): number { return 0 }

  listen (handlers: TransportHandlers): void {
    this.#handlers = handlers
    this.#schedule()
  }

  send (frame: Uint8Array | string, written?: () => void): void {
    // Delivered at once: nothing stays buffered here.
    written?.()
    if (this.#closed) return
    const isBinary = typeof frame !== 'string'
    // Copy, as a socket would: the sender may reuse its buffer.
    const bytes = isBinary ? Uint8Array.from(frame) : Buffer.from(frame, 'utf8')
    this.peer?.receive(bytes, isBinary)
  }

  receive (bytes: Uint8Array, isBinary: boolean): void {
    this.#inbox.push([bytes, isBinary])
    this.#schedule()
  }

  pause (): void { this.#paused = true }

  resume (): void {
    this.#paused = false
    this.#schedule()
  }

  close (code: number = closeCodes.normal, reason = ''): void {
    if (this.#closed) return
    this.#closed = true
    setImmediate(() => this.#handlers?.close(code, reason))
    this.peer?.close(code, reason)
  }

  #schedule (): void {
    if (this.#delivering) return
    this.#delivering = true
    setImmediate(() => {
      this.#delivering = false
      while (!this.#paused && !this.#closed && this.#handlers !== undefined && this.#inbox.length > 0) {
        const [bytes, isBinary] = this.#inbox.shift()!
        this.#handlers.message(bytes, isBinary)
      }
    })
  }
}

/** [client side, server side] */
export function createMemoryTransportPair (): [Transport, Transport] {
  const client = new MemoryEndpoint()
  const server = new MemoryEndpoint()
  client.peer = server
  server.peer = client
  return [client, server]
}
