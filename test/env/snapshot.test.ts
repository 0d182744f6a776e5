// Snapshots, restores and forks continue exactly like the original, for every bundled env;
// restore refuses bytes that are not a snapshot this runtime wrote.
import t from 'tap'
import { Runtime } from '../../src/env/runtime.ts'
import { plainPackr, plainUnpackr } from '../../src/plain-data.ts'
import type { Snapshot } from '../../src/schemas/env.generated.ts'
import { oraclePolicy, playRecorded } from '../helpers/policies.ts'

const runtime = await Runtime.create({ sandbox: { workers: 2 } })
t.teardown(() => runtime.close())

const decode = (bytes: Uint8Array): Snapshot => plainUnpackr.unpack(bytes) as Snapshot

for (const envId of runtime.envIds()) {
  const spec = runtime.spec(envId)
  await t.test(envId, async (t) => {
    const oracle = oraclePolicy(spec)
    t.teardown(() => oracle.dispose())
    const options = { seed: 4242, difficulty: spec.manifest.difficulties.at(-1) }
    const { episode: reference, ...reset } = await runtime.reset(envId, options)
    const { actions } = await playRecorded(reference, reset, oracle)
    t.ok(actions.length >= 4, 'the oracle took several actions')

    await t.test('mid-episode: restore and fork continue like the original', async (t) => {
      const { episode: original } = await runtime.reset(envId, options)
      const half = Math.floor(actions.length / 2)
      for (const action of actions.slice(0, half)) await original.step(action)
      const bytes = await original.snapshot()
      const restored = runtime.restore(bytes)
      const forked = await original.fork()
      for (const copy of [restored, forked]) {
        t.equal(copy.committedState, original.committedState)
        t.equal(copy.stepCount, half)
        t.equal(copy.status, 'running')
        t.equal(copy.envId, envId)
        t.equal(copy.seed, original.seed)
        t.equal(copy.difficulty, original.difficulty)
        t.equal(copy.maxSteps, original.maxSteps)
      }
      t.same(await restored.observe(), await original.observe())
      for (const action of actions.slice(half)) {
        const [a, b, c] = await Promise.all([original.step(action), restored.step(action), forked.step(action)])
        t.same(b, a, 'the restored episode answers like the original')
        t.same(c, a, 'the fork answers like the original')
        t.equal(restored.committedState, original.committedState)
        t.equal(forked.committedState, original.committedState)
      }
      t.equal(original.status, 'terminated')
      t.equal(restored.status, 'terminated')
      t.equal(forked.status, 'terminated')
      t.same(decode(await restored.snapshot()), decode(await original.snapshot()))
    })

    await t.test('copies are independent', async (t) => {
      const { episode: original } = await runtime.reset(envId, options)
      await original.step(actions[0])
      const forked = await original.fork()
      const restored = runtime.restore(await original.snapshot())
      const before = original.committedState
      await forked.step(actions.at(-1))
      for (const action of actions.slice(1, 4)) await restored.step(action)
      t.equal(original.committedState, before, 'the original did not move')
      t.equal(original.stepCount, 1)
      t.equal(original.status, 'running')
      forked.close()
      t.equal(original.status, 'running', 'closing a fork leaves the original open')
    })

    await t.test('an ended episode restores as ended', async (t) => {
      for (const end of ['terminated', 'truncated'] as const) {
        const { episode } = await runtime.reset(envId, end === 'truncated' ? { ...options, maxSteps: 2 } : options)
        if (end === 'terminated') await episode.step(actions.at(-1))
        else for (const action of actions.slice(0, 2)) await episode.step(action)
        t.equal(episode.status, end)
        const restored = runtime.restore(await episode.snapshot())
        t.equal(restored.status, end)
        t.equal(restored.stepCount, episode.stepCount)
        await t.rejects(restored.step(actions[0]), { code: 'episode_ended' })
        t.same(await restored.observe(), await episode.observe())
        const forked = await episode.fork()
        t.equal(forked.status, end)
      }
    })
  })
}

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
  ]
  for (const [what, snapshot] of bad) {
    t.throws(() => runtime.restore(snapshot), { name: 'CodeGymError', code: 'invalid_snapshot' }, what)
  }
  t.equal(runtime.restore(plainPackr.pack(good)).committedState, episode.committedState, 'the untampered snapshot restores')
})
