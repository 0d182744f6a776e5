// Restore refuses bytes that are not a snapshot this runtime wrote: unsigned, altered or signed
// under a key it does not hold, and (under its own key) anything malformed. That snapshots, restores and
// forks continue exactly like the original is checked for every bundled env by the env checker
// (test/env-check/checker.test.ts, the snapshot check).
import t from 'tap'
import { Runtime } from '../../src/env/runtime.ts'
import { plainPackr, plainUnpackr } from '../../src/contract/plain-data.ts'
import type { Snapshot } from '../../src/schemas/env.generated.ts'
import { SnapshotKeys } from '../../src/env/snapshot-keys.ts'

const key = 'test-snapshot-key-0123456789abcdefghij'
const keys = new SnapshotKeys(key)
const runtime = await Runtime.create({ sandbox: { workers: 2 }, snapshotKeys: keys })
t.teardown(() => runtime.close())

/** The signed body starts after "CGS\x01", the 8-byte key id and the 32-byte MAC. */
const bodyOffset = 4 + 8 + 32
const decode = (bytes: Uint8Array): Snapshot => plainUnpackr.unpack(bytes.subarray(bodyOffset)) as Snapshot
/** Content signed under the runtime's own key: what only a holder of the key can make. */
const signed = (snapshot: unknown): Uint8Array => keys.sign(plainPackr.pack(snapshot))

await t.test('restore refuses what is not a snapshot', async (t) => {
  const envId = runtime.envIds()[0]!
  const { episode } = await runtime.reset(envId, { seed: 1 })
  const bytes = await episode.snapshot()
  const good = decode(bytes)
  const rng = (JSON.parse(good.state) as { r: number[] }).r
  const withState = (state: unknown): Uint8Array => signed({ ...good, state: typeof state === 'string' ? state : JSON.stringify(state) })
  const bad: Array<[string, Uint8Array]> = [
    ['no bytes', new Uint8Array()],
    ['garbage bytes', new Uint8Array([0xc1, 0xff, 0x00, 0x13])],
    ['a text', new TextEncoder().encode('hello, snapshot')],
    ['truncated bytes', bytes.subarray(0, Math.floor(bytes.length / 2))],
    ['one byte short', bytes.subarray(0, bytes.length - 1)],
    ['not an object', signed([1, 2, 3])],
    ['signed bytes that are not MessagePack', keys.sign(new Uint8Array([0xc1]))],
    ['an unknown env', signed({ ...good, envId: 'codegym/no-such-env-v1' })],
    ['a malformed env id', signed({ ...good, envId: '../../etc/passwd' })],
    ['an unknown format', signed({ ...good, format: 2 })],
    ['an extra field', signed({ ...good, extra: true })],
    ['a missing field', signed({ ...good, state: undefined })],
    ['a closed status', signed({ ...good, status: 'closed' })],
    ['a step past maxSteps', signed({ ...good, step: good.maxSteps + 1 })],
    ['a negative step', signed({ ...good, step: -1 })],
    ['a state that is not JSON', withState('{"s":')],
    ['a state without rng words', withState({ s: {} })],
    ['a state with three rng words', withState({ s: {}, r: rng.slice(0, 3) })],
    ['a state with a negative rng word', withState({ s: {}, r: [-1, ...rng.slice(1)] })],
    ['a state with a fractional rng word', withState({ s: {}, r: [0.5, ...rng.slice(1)] })],
    ['a state with an rng word over 32 bits', withState({ s: {}, r: [2 ** 32, ...rng.slice(1)] })],
    ['a state that is an array', withState([1, 2])],
    ['a config the env does not accept', signed({ ...good, config: { unexpected: true } })],
    ['a state over the state limit', withState({ s: 'x'.repeat(runtime.pool.options.maxStateBytes), r: rng })],
  ]
  for (const [what, snapshot] of bad) {
    t.throws(() => runtime.restore(snapshot), { name: 'CodeGymError', code: 'invalid_snapshot' }, what)
  }
  t.equal(runtime.restore(signed(good)).committedState, episode.committedState, 'the untampered snapshot restores')
  t.equal(runtime.restore(bytes).committedState, episode.committedState, 'and so do the bytes as made')
})

await t.test('restore refuses unsigned, altered and foreign snapshots, and says which', async (t) => {
  const envId = runtime.envIds()[0]!
  const { episode } = await runtime.reset(envId, { seed: 2 })
  const bytes = await episode.snapshot()
  const good = decode(bytes)
  const refused = (snapshot: Uint8Array, reason: string, what: string): void => {
    t.throws(() => runtime.restore(snapshot), { name: 'CodeGymError', code: 'invalid_snapshot', data: { reason } }, what)
  }
  refused(plainPackr.pack(good), 'not_signed', 'the content without the signature (the layout of an older server)')
  refused(bytes.subarray(0, bodyOffset - 1), 'not_signed', 'bytes shorter than the header')
  // The forgery: the same header, the content with another truth.
  const forged = Buffer.concat([bytes.subarray(0, bodyOffset), plainPackr.pack({ ...good, truth: 'forged' })])
  refused(forged, 'bad_signature', 'the content altered under the original signature')
  for (const offset of [0, 4, 12, bodyOffset, bytes.length - 1]) {
    const flipped = Buffer.from(bytes)
    flipped[offset]! ^= 0x01
    refused(flipped, offset < 4 ? 'not_signed' : offset < 12 ? 'unknown_key' : 'bad_signature', `one bit flipped at byte ${offset}`)
  }
  const other = new SnapshotKeys('another-servers-key-0123456789abcdefgh')
  refused(other.sign(plainPackr.pack(good)), 'unknown_key', 'signed by another server')
  refused(SnapshotKeys.random().sign(plainPackr.pack(good)), 'unknown_key', 'signed with a random key of another process')
})

await t.test('rotation: snapshots made under an old key restore; new ones are signed with the new key', async (t) => {
  const rotated = await Runtime.create({ sandbox: { workers: 1 }, snapshotKeys: new SnapshotKeys('the-next-snapshot-key-0123456789abcdefgh', [key]) })
  t.teardown(() => rotated.close())
  const envId = runtime.envIds()[0]!
  const { episode } = await runtime.reset(envId, { seed: 3 })
  const before = await episode.snapshot()
  const restored = rotated.restore(before)
  t.equal(restored.committedState, episode.committedState, 'the old key still verifies')
  const after = await restored.snapshot()
  t.throws(() => runtime.restore(after), { code: 'invalid_snapshot', data: { reason: 'unknown_key' } }, 'the new key signs: a server without it refuses the bytes')
  t.equal(rotated.restore(after).committedState, episode.committedState)
})

await t.test('keys that are too short or empty are refused', async (t) => {
  for (const bad of ['', '   ', 'short-key']) t.throws(() => new SnapshotKeys(bad), /snapshot key/, JSON.stringify(bad))
  t.throws(() => new SnapshotKeys(key, ['too-short']), /snapshot key/, 'an old key too')
})
