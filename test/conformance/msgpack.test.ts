// The conformance kit's own MessagePack: strict where the server's codec is lenient, so that a
// server's encoding mistakes show.
import { Packr, pack } from 'msgpackr'
import t from 'tap'
import { decodeStrict, encodeStrict, MsgpackFormatError } from '../../src/conformance/msgpack.ts'
import { plainPackr } from '../../src/contract/plain-data.ts'

const samples: unknown[] = [
  null, true, false, 0, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1,
  -1, -32, -33, -128, -129, -32_768, -32_769, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 53 - 1),
  0.5, -1.25, 1e300, '', 'x'.repeat(31), 'x'.repeat(32), 'x'.repeat(300), 'é✓',
  [], Array.from({ length: 20 }, (_, index) => index), {}, { a: { b: [1, 'two', null] } },
  Object.fromEntries(Array.from({ length: 20 }, (_, index) => [`k${index}`, index])),
  new Uint8Array([1, 2, 3]),
]

await t.test('encodeStrict and msgpackr agree on every value', async (t) => {
  for (const value of samples) {
    t.same(new Packr({ useRecords: false, int64AsType: 'number' }).unpack(encodeStrict(value)), value, `msgpackr reads encodeStrict(${JSON.stringify(value)?.slice(0, 40)})`)
    t.same(decodeStrict(encodeStrict(value)).value, value, `decodeStrict round trip of ${JSON.stringify(value)?.slice(0, 40)}`)
  }
})

await t.test('encodeStrict writes whole numbers as integers, in the smallest format', async (t) => {
  t.equal(encodeStrict(2 ** 40).toString('hex'), 'cf0000010000000000')
  t.equal(encodeStrict(-(2 ** 40)).toString('hex'), 'd3ffffff0000000000')
  t.equal(encodeStrict(200).toString('hex'), 'ccc8')
  t.equal(encodeStrict(1.5).toString('hex'), 'cb3ff8000000000000')
})

await t.test('decodeStrict reports whole numbers sent as floats, with where they were', async (t) => {
  const decoded = decodeStrict(pack({ id: 2 ** 40, info: { seed: 2 ** 33, ratio: 0.5 }, list: [1, 2 ** 35] }))
  t.same(decoded.wholeFloats.map((float) => float.path).sort(), ['/id', '/info/seed', '/list/1'])
  t.same(decodeStrict(plainPackr.pack({ id: 2 ** 40, info: { seed: 2 ** 53 - 1, ratio: 0.5 } })).wholeFloats, [], 'the server\'s encoder sends integers')
})

await t.test('decodeStrict refuses what is not plain MessagePack data', async (t) => {
  const refused: Array<[string, string]> = [
    ['c1', 'the reserved byte'],
    ['d6ff00000000', 'a timestamp extension'],
    ['81c0c0', 'a nil map key'],
    ['82a161c0a161c0', 'a key twice'],
    ['a2c328', 'invalid UTF-8'],
    ['92c0', 'a truncated array'],
    ['c0c0', 'bytes after the value'],
    ['cf0020000000000000', 'an integer beyond 2^53'],
    ['cb7ff8000000000000', 'NaN'],
  ]
  for (const [hex, what] of refused) t.throws(() => decodeStrict(Buffer.from(hex, 'hex')), MsgpackFormatError, what)
})
