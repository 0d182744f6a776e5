// The channel between the sandbox pool and a sandbox process: length-prefixed MessagePack frames
// over one socket pair (the child's fd 4), each frame a flat array of fields. A frame carries a
// whole batch (every call the host gathered in one turn, every answer the process has ready), so
// one write and one decode serve dozens of calls. Node's IPC channel did the same work with a V8
// serializer and per-message framing in JavaScript: a fifth of the host's main thread went to it.
import type { Socket } from 'node:net'
import { Packr, Unpackr } from 'msgpackr'

/** The descriptor of the channel in the sandbox process (after stdin, stdout, stderr and Node's IPC). */
export const channelFd = 4

/** Bytes of a frame's length prefix (uint32, little-endian). */
const lengthPrefixBytes = 4

const options = { useRecords: false, moreTypes: false, structuredClone: false, mapsAsObjects: true } as const
const packr = new Packr(options)
const unpackr = new Unpackr(options)

/** Writes one frame: the fields of a batch, in order. */
export function writeFrame (socket: Socket, fields: readonly unknown[]): void {
  const payload = packr.pack(fields)
  const frame = Buffer.allocUnsafe(lengthPrefixBytes + payload.byteLength)
  frame.writeUInt32LE(payload.byteLength, 0)
  payload.copy(frame, lengthPrefixBytes)
  socket.write(frame)
}

/**
 * Calls onFrame with the fields of each whole frame read from the socket, in order. Bytes that end
 * in the middle of a frame wait for the rest; they are joined once the frame is whole, not at every
 * chunk (a frame of large states arrives in many chunks).
 */
export function readFrames (socket: Socket, onFrame: (fields: unknown[]) => void): void {
  let chunks: Buffer[] = []
  let buffered = 0
  /** Bytes of the frame being read (prefix included), once its prefix is in. */
  let needed = 0
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk)
    buffered += chunk.byteLength
    if (needed === 0 && buffered >= lengthPrefixBytes) needed = lengthPrefixBytes + prefixOf(chunks).readUInt32LE(0)
    if (needed === 0 || buffered < needed) return
    const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, buffered)
    let offset = 0
    while (data.byteLength - offset >= lengthPrefixBytes) {
      const end = offset + lengthPrefixBytes + data.readUInt32LE(offset)
      if (end > data.byteLength) break
      onFrame(unpackr.unpack(data.subarray(offset + lengthPrefixBytes, end)) as unknown[])
      offset = end
    }
    chunks = offset < data.byteLength ? [data.subarray(offset)] : []
    buffered = data.byteLength - offset
    needed = buffered >= lengthPrefixBytes ? lengthPrefixBytes + data.readUInt32LE(offset) : 0
  })
}

/** The first bytes buffered, joined only when the prefix itself spans chunks. */
function prefixOf (chunks: readonly Buffer[]): Buffer {
  return chunks[0]!.byteLength >= lengthPrefixBytes ? chunks[0]! : Buffer.concat(chunks).subarray(0, lengthPrefixBytes)
}
