// The sandbox channel's framing: frames come out whole and in order however the bytes are cut.
import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import t from 'tap'
import { readFrames, writeFrame } from '../../src/sandbox/channel.ts'

/** The bytes writeFrame puts on a socket for these frames. */
function bytesOf (frames: unknown[][]): Buffer {
  const written: Buffer[] = []
  const sink = { write: (chunk: Buffer) => { written.push(chunk); return true } } as unknown as Socket
  for (const fields of frames) writeFrame(sink, fields)
  return Buffer.concat(written)
}

function readAll (chunks: Buffer[]): unknown[][] {
  const socket = new EventEmitter()
  const read: unknown[][] = []
  readFrames(socket as unknown as Socket, (fields) => read.push(fields))
  for (const chunk of chunks) socket.emit('data', chunk)
  return read
}

const frames: unknown[][] = [[0, 1, 'codegym/x', 'tool', '{"s":1}', '{}', false], [2, 7, true, 'é'.repeat(300)], [1], [0, 'x'.repeat(200_000)]]

await t.test('frames in one chunk, and cut at every byte', async (t) => {
  const bytes = bytesOf(frames)
  t.same(readAll([bytes]), frames, 'all in one chunk')
  const small = bytesOf(frames.slice(0, 3))
  for (let cut = 1; cut < small.byteLength; cut++) {
    t.same(readAll([small.subarray(0, cut), small.subarray(cut)]), frames.slice(0, 3), `cut at byte ${cut}`)
  }
})

await t.test('a large frame in many small chunks', async (t) => {
  const bytes = bytesOf(frames)
  const chunks: Buffer[] = []
  for (let at = 0; at < bytes.byteLength; at += 1000) chunks.push(bytes.subarray(at, at + 1000))
  t.same(readAll(chunks), frames)
  const single = [...bytes].map((byte) => Buffer.from([byte]))
  t.same(readAll(single.slice(0, 2000)), frames.slice(0, 3), 'byte by byte: the whole frames so far, nothing of the one cut short')
})
