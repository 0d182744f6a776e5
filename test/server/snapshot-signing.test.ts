// Forging a reward through restore: a snapshot's content (the hidden answer among it) is readable,
// but the bytes carry an HMAC-SHA256 under the server's key, so edited bytes, bytes signed with
// another key and unsigned bytes are all refused with invalid_snapshot and a reason. Servers that
// share a key (--snapshot-key-file) restore each other's snapshots; without one, the worker
// processes of one server share its random key and nobody else holds it.
import { pack, unpack } from 'msgpackr'
import t from 'tap'
import { SnapshotKeys } from '../../src/env/snapshot-keys.ts'
import { startServer } from '../clients/ts/harness.ts'
import { RawClient } from '../helpers/wire.ts'
import { ServeProcess } from '../../tools/serve-process.ts'
import { exampleEnvDirs } from '../helpers/envs.ts'

const env = 'codegym/max-subarray-v1'
/** The signed content starts after "CGS\x01", the 8-byte key id and the 32-byte MAC. */
const bodyOffset = 44

async function session (url: string): Promise<{ client: RawClient, session: string, resumeToken: string }> {
  const client = await RawClient.open(url)
  const { resumeToken } = await client.hello() as { resumeToken: string }
  const { session } = await client.call(1, 'reset', { env, options: { task: 'mixed-small' } }) as { session: string }
  return { client, session, resumeToken }
}

const errorOf = (answer: Record<string, unknown>): { code?: string, message?: string, data?: { reason?: string } } => (answer.error ?? {}) as never

await t.test('a snapshot with the answer changed does not restore, so it cannot pay a wrong answer', async (t) => {
  const server = await startServer()
  t.teardown(() => server.close())
  const { client, session: original } = await session(server.url)
  t.teardown(() => client.close())
  const { snapshot } = await client.call(2, 'snapshot', { session: original }) as { snapshot: Uint8Array }
  const content = unpack(snapshot.subarray(bodyOffset)) as { truth: unknown }
  t.equal(content.truth, 6, 'the content is readable (it must not be shown to the agent)')
  const forged = Buffer.concat([snapshot.subarray(0, bodyOffset), pack({ ...content, truth: 7 })])
  const refused = await client.request(3, 'restore', { snapshot: forged })
  t.equal(errorOf(refused).code, 'invalid_snapshot')
  t.equal(errorOf(refused).data?.reason, 'bad_signature')
  t.match(errorOf(refused).message, /altered/)
  const unsigned = await client.request(4, 'restore', { snapshot: pack({ ...content, truth: 7 }) })
  t.equal(errorOf(unsigned).data?.reason, 'not_signed', 'the content alone, unsigned, is refused too')
  const base64 = await client.request(5, 'restore', { snapshot: forged.toString('base64') }, 'json')
  t.equal(errorOf(base64).data?.reason, 'bad_signature', 'and in JSON')
  const wrong = await client.call(6, 'done', { session: original, answer: 7 }) as { reward: number }
  t.equal(wrong.reward, 0, 'the wrong answer still earns 0')
})

await t.test('servers with a shared key move sessions; with different keys they refuse each other\'s', async (t) => {
  const shared = new SnapshotKeys('a-key-both-servers-share-0123456789abcdef')
  const [a, b, other] = await Promise.all([startServer({ snapshotKeys: shared }), startServer({ snapshotKeys: shared }), startServer({ snapshotKeys: new SnapshotKeys('a-key-of-another-server-0123456789abcdef') })])
  t.teardown(() => Promise.all([a.close(), b.close(), other.close()]))
  const { client, session: original } = await session(a.url)
  t.teardown(() => client.close())
  const { snapshot } = await client.call(2, 'snapshot', { session: original }) as { snapshot: Uint8Array }
  const onB = await RawClient.open(b.url)
  const onOther = await RawClient.open(other.url)
  t.teardown(() => Promise.all([onB.close(), onOther.close()]))
  await onB.hello()
  await onOther.hello()
  t.match(await onB.call(1, 'restore', { snapshot }), { env, step: 0, status: 'running' }, 'the server with the same key restores it')
  const refused = await onOther.request(1, 'restore', { snapshot })
  t.equal(errorOf(refused).data?.reason, 'unknown_key', 'a server with another key refuses it')
  t.match(errorOf(refused).message, /signed with a key this server does not hold/)
})

await t.test('without a key: the workers of one server share its random key, another server refuses its snapshots', async (t) => {
  const [server, another] = await Promise.all([
    ServeProcess.start(['--workers', '2', '--sandbox-workers', '1', '--envs', ...exampleEnvDirs]),
    ServeProcess.start(['--workers', '1', '--envs', ...exampleEnvDirs]),
  ])
  t.teardown(() => { server.kill(); another.kill() })
  const first = await session(server.url)
  // New connections go to the workers in turn: the next one lands on the other worker.
  const second = await RawClient.open(server.url)
  const elsewhere = await RawClient.open(another.url)
  t.teardown(() => Promise.all([first.client.close(), second.close(), elsewhere.close()]))
  const { resumeToken } = await second.hello() as { resumeToken: string }
  const workerOf = (token: string): string => token.split('.')[0]!
  t.not(workerOf(resumeToken), workerOf(first.resumeToken), 'the two connections are on different workers')
  const { snapshot } = await first.client.call(2, 'snapshot', { session: first.session }) as { snapshot: Uint8Array }
  t.match(await second.call(1, 'restore', { snapshot }), { env, status: 'running' }, 'the other worker restores it')
  await elsewhere.hello()
  t.equal(errorOf(await elsewhere.request(1, 'restore', { snapshot })).data?.reason, 'unknown_key', 'another server refuses it')
})
