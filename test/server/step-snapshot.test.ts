// step and done with `snapshot: true`: the result carries the snapshot taken right after the
// action, byte for byte what the snapshot op returns there, in either codec; without the option
// nothing changes; a resume's lastResult never carries it.
import t from 'tap'
import { CodeGymClient, type Codec } from '../../clients/ts/index.ts'
import { maxSubarray, startServer } from '../clients/ts/harness.ts'
import { RawClient } from '../helpers/wire.ts'

const server = await startServer()
t.teardown(() => server.close())

const bytesOf = (snapshot: Uint8Array | string | undefined): Uint8Array | undefined =>
  typeof snapshot === 'string' ? new Uint8Array(Buffer.from(snapshot, 'base64')) : snapshot === undefined ? undefined : new Uint8Array(snapshot)

for (const codec of ['msgpack', 'json'] as Codec[]) {
  await t.test(`step and done with snapshot: true (${codec})`, async (t) => {
    const client = await CodeGymClient.connect(server.url, { codec })
    t.teardown(() => client.close())
    const { session } = await client.reset(maxSubarray, { task: 'mixed-small' })
    const plain = await client.request('step', { session, action: { name: 'GetLength' } })
    t.notOk('snapshot' in plain, 'no snapshot unless asked')
    t.notOk('snapshot' in await client.request('step', { session, action: { name: 'GetLength' }, snapshot: false }), 'nor with snapshot: false')

    const stepped = await client.request('step', { session, action: { name: 'GetElement', parameters: { index: 3 } }, snapshot: true })
    t.equal(stepped.observation, 4)
    t.equal(stepped.info.step, 3)
    t.type(stepped.snapshot, codec === 'json' ? 'string' : Uint8Array, 'bin in MessagePack, base64 in JSON')
    const { snapshot: separately, step } = await client.snapshot(session)
    t.equal(step, 3)
    t.same(bytesOf(stepped.snapshot), separately, 'the same bytes as the snapshot op right after the step')

    // The snapshot restores the episode right after the step.
    const restored = await client.restore(bytesOf(stepped.snapshot)!)
    t.equal(restored.step, 3)
    const next = await client.step(restored.session, { name: 'GetElement', parameters: { index: 4 } })
    t.equal(next.info.step, 4)
    t.equal(next.observation, -1)

    const done = await client.request('done', { session, answer: 6, snapshot: true })
    t.equal(done.reward, 1)
    const ended = await client.restore(bytesOf(done.snapshot)!)
    t.equal(ended.status, 'terminated', 'a snapshot after Done restores the ended episode')

    await t.rejects(client.request('step', { session: restored.session, action: { name: 'GetLength' }, snapshot: 'yes' as unknown as boolean }),
      { name: 'CodeGymRequestError', code: 'invalid_params' }, 'a snapshot option that is not a boolean is refused')
  })
}

await t.test("a resume's lastResult is the plain step result", async (t) => {
  const first = await RawClient.open(server.url)
  const hello = await first.hello()
  const { session } = await first.call(1, 'reset', { env: maxSubarray, options: { task: 'mixed-small' } })
  const stepped = await first.call(2, 'step', { session, action: { name: 'GetLength' }, snapshot: true })
  t.ok('snapshot' in stepped, 'the step answer carried the snapshot')
  await first.close()
  const again = await RawClient.open(server.url)
  t.teardown(() => again.close())
  const resumed = await again.hello({ versions: [1], resume: hello.resumeToken })
  const [summary] = resumed.resumed as Array<{ session: string, step: number, lastResult: Record<string, unknown> }>
  t.equal(summary?.session, session)
  t.equal(summary?.step, 1)
  const plain = { ...stepped }
  delete plain.snapshot
  t.same(summary?.lastResult, plain, 'lastResult is the step result without the snapshot')
})
