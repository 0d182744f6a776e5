// Restore refuses bytes that are not a snapshot this runtime wrote. That snapshots, restores and
// forks continue exactly like the original is checked for every bundled env by the env checker
// (test/env-check/checker.test.ts, the snapshot check).
import t from 'tap'
import { Runtime } from '../../src/env/runtime.ts'
import { plainPackr, plainUnpackr } from '../../src/plain-data.ts'
import type { Snapshot } from '../../src/schemas/env.generated.ts'

const runtime = await Runtime.create({ sandbox: { workers: 2 } })
t.teardown(() => runtime.close())

const decode = (bytes: Uint8Array): Snapshot => plainUnpackr.unpack(bytes) as Snapshot

await t.test('restore refuses what is not a snapshot', async (t) => {
  const envId = runtime.envIds()[0]!
  const { episode } = await runtime.reset(envId, { seed: 1 })
  const bytes = await episode.snapshot()
  const good = decode(bytes)
  const rng = (JSON.parse(good.state) as { r: number[] }).r
  const withState = (state: unknown): Uint8Array => plainPackr.pack({ ...good, state: typeof state === 'string' ? state : JSON.stringify(state) })
  const bad: Array<[string, Uint8Array]> = [
    ['no bytes', new Uint8Array()],
    ['garbage bytes', new Uint8Array([0xc1, 0xff, 0x00, 0x13])],
    ['a text', new TextEncoder().encode('hello, snapshot')],
    ['truncated bytes', bytes.subarray(0, Math.floor(bytes.length / 2))],
    ['one byte short', bytes.subarray(0, bytes.length - 1)],
    ['not an object', plainPackr.pack([1, 2, 3])],
    ['an unknown env', plainPackr.pack({ ...good, envId: 'codegym/no-such-env-v1' })],
    ['a malformed env id', plainPackr.pack({ ...good, envId: '../../etc/passwd' })],
    ['an unknown format', plainPackr.pack({ ...good, format: 2 })],
    ['an extra field', plainPackr.pack({ ...good, extra: true })],
    ['a missing field', plainPackr.pack({ ...good, state: undefined })],
    ['a closed status', plainPackr.pack({ ...good, status: 'closed' })],
    ['a step past maxSteps', plainPackr.pack({ ...good, step: good.maxSteps + 1 })],
    ['a negative step', plainPackr.pack({ ...good, step: -1 })],
    ['a state that is not JSON', withState('{"s":')],
    ['a state without rng words', withState({ s: {} })],
    ['a state with three rng words', withState({ s: {}, r: rng.slice(0, 3) })],
    ['a state with a negative rng word', withState({ s: {}, r: [-1, ...rng.slice(1)] })],
    ['a state with a fractional rng word', withState({ s: {}, r: [0.5, ...rng.slice(1)] })],
    ['a state with an rng word over 32 bits', withState({ s: {}, r: [2 ** 32, ...rng.slice(1)] })],
    ['a state that is an array', withState([1, 2])],
    ['a config the env does not accept', plainPackr.pack({ ...good, config: { unexpected: true } })],
    ['a state over the state limit', withState({ s: 'x'.repeat(runtime.pool.options.maxStateBytes), r: rng })],
  ]
  for (const [what, snapshot] of bad) {
    t.throws(() => runtime.restore(snapshot), { name: 'CodeGymError', code: 'invalid_snapshot' }, what)
  }
  t.equal(runtime.restore(plainPackr.pack(good)).committedState, episode.committedState, 'the untampered snapshot restores')
})
