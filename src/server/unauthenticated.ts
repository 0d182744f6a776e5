// Connections that have not yet completed hello: a TCP socket sending its HTTP request, an upgraded
// WebSocket waiting for hello. Anyone can open them, so they get a pool of their own: at most
// maxUnauthenticatedConnections at once, the oldest dropped to make room for a new one, and none
// kept past its deadline. Why drop the oldest instead of refusing the newest: a flood of idle sockets
// would otherwise lock every new client out for as long as it lasts; this way a client is only
// dropped if the pool turns over completely while it says hello (maxUnauthenticatedConnections new
// sockets within its handshake round trips), and reconnecting gets it a fresh place.
import type { Duplex } from 'node:stream'

export interface UnauthenticatedLimits {
  maxUnauthenticatedConnections: number
  /** Time a socket has to finish its HTTP request headers (and so the upgrade). */
  handshakeTimeoutMs: number
}

interface Entry {
  /** Set until the socket has sent a complete HTTP request. */
  handshakeTimer: NodeJS.Timeout | undefined
}

export class UnauthenticatedSockets {
  readonly #limits: UnauthenticatedLimits
  /** Oldest first: a Map keeps insertion order. */
  readonly #sockets = new Map<Duplex, Entry>()
  readonly #onDropped: (reason: 'pool_full' | 'handshake_timeout') => void
  #dropped = 0

  constructor (limits: UnauthenticatedLimits, onDropped: (reason: 'pool_full' | 'handshake_timeout') => void = () => {}) {
    this.#limits = limits
    this.#onDropped = onDropped
  }

  get size (): number { return this.#sockets.size }
  /** Sockets dropped so far (pool full or handshake too slow). */
  get dropped (): number { return this.#dropped }

  /** A new socket; handshakeDone: it has already sent its request (handed over upgraded). */
  admit (socket: Duplex, handshakeDone = false): void {
    if (this.#sockets.has(socket)) return
    const entry: Entry = { handshakeTimer: undefined }
    if (!handshakeDone) {
      entry.handshakeTimer = setTimeout(() => this.#drop(socket, 'handshake_timeout'), this.#limits.handshakeTimeoutMs)
      entry.handshakeTimer.unref()
    }
    this.#sockets.set(socket, entry)
    socket.once('close', () => this.release(socket))
    while (this.#sockets.size > this.#limits.maxUnauthenticatedConnections) {
      const oldest = this.#sockets.keys().next().value!
      this.#drop(oldest, 'pool_full')
    }
  }

  /** The socket has sent a complete HTTP request: the handshake deadline no longer applies. */
  requestReceived (socket: Duplex): void {
    const entry = this.#sockets.get(socket)
    if (entry === undefined) return
    clearTimeout(entry.handshakeTimer)
    entry.handshakeTimer = undefined
  }

  /** The socket completed hello, closed, or left this process: it no longer counts. */
  release (socket: Duplex): void {
    const entry = this.#sockets.get(socket)
    if (entry === undefined) return
    clearTimeout(entry.handshakeTimer)
    this.#sockets.delete(socket)
  }

  #drop (socket: Duplex, reason: 'pool_full' | 'handshake_timeout'): void {
    this.release(socket)
    this.#dropped++
    this.#onDropped(reason)
    socket.destroy()
  }
}
