// The shared codec (server and TypeScript client): whole numbers are MessagePack integers at every
// size, so that a strictly typed peer reads an integer where the protocol has one.
import t from 'tap'
import { decodeStrict } from '../../src/conformance/msgpack.ts'
import { decodeFrame, encodeFrame } from '../../src/contract/protocol/codec.ts'

await t.test('encodeFrame writes whole numbers past 32 bits as integers, and floats as floats', async (t) => {
  const message = { id: 2 ** 53 - 1, result: { info: { seed: 2 ** 40, step: 3 }, low: -(2 ** 40), ratio: 0.25, list: [2 ** 32, -(2 ** 31) - 1] } }
  const frame = encodeFrame(message, 'msgpack') as Buffer
  const decoded = decodeStrict(frame)
  t.same(decoded.wholeFloats, [], 'no whole number as a float')
  t.same(decoded.value, message, 'the strict decoder reads the same values')
  t.same(decodeFrame(frame, 'msgpack'), message, 'and so does the shared decoder')
  t.ok(frame.includes(Buffer.from('cb3fd0000000000000', 'hex')), '0.25 stays a float64')
})

await t.test('encodeFrame leaves the message it was given unchanged', async (t) => {
  const message = { seed: 2 ** 40, nested: [{ id: 2 ** 35 }], bytes: new Uint8Array([1, 2]) }
  encodeFrame(message, 'msgpack')
  t.same(message, { seed: 2 ** 40, nested: [{ id: 2 ** 35 }], bytes: new Uint8Array([1, 2]) })
  t.equal(typeof message.seed, 'number')
})
