// Frames that cost more to decode than they weigh: a frame's values, nesting and string bytes are
// counted on its bytes before anything is built (frame_over_budget, the connection stays open), so
// a flood of such frames leaves the server's memory where it was. The same pass refuses map keys
// that are not strings and a "__proto__" key, without decoding anything twice.
import { pack } from 'msgpackr'
import t from 'tap'
import { decodeFrame } from '../../src/contract/protocol/codec.ts'
import { plainUnpackr } from '../../src/contract/plain-data.ts'
import { defaultServerLimits } from '../../src/server/limits.ts'
import { ServeProcess, seriesValue } from '../../tools/serve-process.ts'
import { RawClient } from '../helpers/wire.ts'
import { exampleEnvDirs } from '../helpers/envs.ts'

const mib = 1024 * 1024
const budget = defaultServerLimits

/** A MessagePack request whose params hold `count` empty maps: one byte each. */
function emptyMapsFrame (count: number): Buffer {
  const header = pack({ id: 1, op: 'envs.list', params: { x: null } })
  // Replace the trailing nil with an array32 of empty maps.
  const array = Buffer.alloc(5 + count, 0x80)
  array[0] = 0xdd
  array.writeUInt32BE(count, 1)
  return Buffer.concat([header.subarray(0, header.length - 1), array])
}

function jsonEmptyMapsFrame (count: number): string {
  return `{"id":1,"op":"envs.list","params":{"x":[${Array(count).fill('{}').join(',')}]}}`
}

await t.test('the budget is counted before decoding, in both codecs', async (t) => {
  const calls = { count: 0 }
  const unpack = plainUnpackr.unpack.bind(plainUnpackr)
  plainUnpackr.unpack = ((...args: Parameters<typeof unpack>) => { calls.count++; return unpack(...args) }) as typeof unpack
  t.teardown(() => { plainUnpackr.unpack = unpack })
  const refused = (frame: Uint8Array, codec: 'msgpack' | 'json', code: string, message: RegExp, what: string): void => {
    const before = calls.count
    t.throws(() => decodeFrame(frame, codec, budget), { name: 'Error', code, message }, what)
    t.equal(calls.count, before, `${what}: nothing was decoded`)
  }
  refused(emptyMapsFrame(mib - 64), 'msgpack', 'frame_over_budget', /maxFrameElements = 131072/, 'a million empty maps (MessagePack)')
  refused(Buffer.from(jsonEmptyMapsFrame(300_000)), 'json', 'frame_over_budget', /maxFrameElements = 131072/, '300,000 empty maps (JSON)')
  const small = { ...budget, maxFrameStringBytes: 50 }
  t.throws(() => decodeFrame(Buffer.from(JSON.stringify({ s: 'a'.repeat(100) })), 'json', small), { code: 'frame_over_budget', message: /maxFrameStringBytes = 50/ }, 'JSON strings over maxFrameStringBytes')
  t.throws(() => decodeFrame(pack({ s: 'a'.repeat(100) }), 'msgpack', small), { code: 'frame_over_budget', message: /maxFrameStringBytes = 50/ }, 'MessagePack strings over maxFrameStringBytes')
  t.same(decodeFrame(pack({ s: 'a'.repeat(40) }), 'msgpack', small), { s: 'a'.repeat(40) }, 'strings within it decode')
  const deep = (levels: number): unknown => levels === 0 ? 1 : [deep(levels - 1)]
  t.ok(decodeFrame(pack(deep(64)), 'msgpack', budget), '64 levels decode')
  refused(pack(deep(65)), 'msgpack', 'parse_error', /nests deeper than 64/, '65 levels of MessagePack')
  refused(Buffer.from(JSON.stringify(deep(65))), 'json', 'parse_error', /nests deeper than 64/, '65 levels of JSON')
  refused(Buffer.from([0x81, 0x01, 0x01]), 'msgpack', 'parse_error', /map keys must be strings/, 'an integer map key (msgpackr would turn it into "1")')
  refused(Buffer.from([0x81, 0x91, 0x01, 0x01]), 'msgpack', 'parse_error', /map keys must be strings/, 'an array as a map key')
  refused(Buffer.concat([Buffer.from([0x81, 0xa9]), Buffer.from('__proto__'), Buffer.from([0x01])]), 'msgpack', 'parse_error', /"__proto__"/, 'a "__proto__" key')
  refused(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0]), 'msgpack', 'parse_error', /promises 4294967295 entries/, 'an array header that promises more than the frame holds')
  refused(Buffer.from([0xd6, 0xff, 0, 0, 0, 0]), 'msgpack', 'parse_error', /extension type 255/, 'a timestamp extension')
  const before = calls.count
  t.same(decodeFrame(pack({ note: '__proto__' }), 'msgpack', budget), { note: '__proto__' }, '"__proto__" as a value is just a string')
  t.equal(calls.count, before + 1, 'decoded once, not twice')
})

await t.test('a flood of costly frames: refused, the connection kept, the server\'s memory back near its baseline', async (t) => {
  const server = await ServeProcess.start(['--workers', '1', '--sandbox-workers', '1', '--envs', ...exampleEnvDirs])
  t.teardown(() => server.kill())
  const rss = async (): Promise<number> => seriesValue(await (await fetch(`${server.httpBase}/metrics`)).text(), 'process_resident_memory_bytes') ?? NaN
  const client = await RawClient.open(server.url)
  t.teardown(() => client.close())
  await client.hello()
  const frame = emptyMapsFrame(mib - 64)
  const json = jsonEmptyMapsFrame(340_000)
  // The baseline is taken after the server has read frames of the same size that cost nothing to
  // decode (one long string each): receiving 1 MiB frames grows the heap and the allocator's arenas
  // whatever they hold, and that is not the attack's doing.
  const benign = pack({ id: 1, op: 'envs.list', params: { x: 'x'.repeat(mib - 100) } })
  const benignJson = JSON.stringify({ id: 1, op: 'envs.list', params: { x: 'x'.repeat(mib - 100) } })
  for (let round = 0; round < 20; round++) {
    client.sendBytes(benign, true)
    client.sendBytes(benignJson, false)
    await client.next()
    await client.next()
  }
  const baseline = await rss()
  let peak = baseline
  for (let round = 0; round < 20; round++) {
    client.sendBytes(frame, true)
    client.sendBytes(json, false)
    for (let answer = 0; answer < 2; answer++) {
      const { message } = await client.next()
      t.equal((message?.error as { code: string } | undefined)?.code, 'frame_over_budget', `round ${round + 1}: frame_over_budget`)
    }
    peak = Math.max(peak, await rss())
  }
  t.ok(client.isOpen, 'the connection stays open')
  t.ok('result' in await client.request(2, 'envs.list'), 'and is served')
  let after = await rss()
  for (let tries = 0; tries < 50 && after - baseline >= 64 * mib; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    after = await rss()
  }
  t.ok(after - baseline < 64 * mib, `server RSS within 64 MiB of its baseline after 40 MiB of such frames (baseline ${(baseline / mib).toFixed(0)} MiB, peak ${(peak / mib).toFixed(0)} MiB, after ${(after / mib).toFixed(0)} MiB)`)
})
