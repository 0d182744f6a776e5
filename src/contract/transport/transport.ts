// A message transport: what the server's connections and the client need from a WebSocket.
// The WebSocket adapter and the in-memory pair (for tests) both implement it.

export interface TransportHandlers {
  message: (frame: Uint8Array, isBinary: boolean) => void
  close: (code: number, reason: string) => void
}

export interface Transport {
  /** written: called once the frame has left this process's buffers (or was dropped on a closed transport). */
  send: (frame: Uint8Array | string, written?: () => void) => void
  close: (code?: number, reason?: string) => void
  /** Bytes accepted by send() and not yet written out. */
  readonly bufferedAmount: number
  /** Stop delivering incoming frames until resume(); they wait in the transport (or the kernel). */
  pause: () => void
  resume: () => void
  /** Handlers are set once, before the first frame can arrive. */
  listen: (handlers: TransportHandlers) => void
}
