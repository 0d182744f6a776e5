// MessagePack interop: msgpack-lite (another implementation of the same format) talks to the server
// over a raw WebSocket, and frames of the client's codec (msgpackr) read the same in msgpack-lite.
import msgpack from 'msgpack-lite'
import t from 'tap'
import { WebSocket } from 'ws'
import { CodeGymClient } from '../../../clients/ts/index.ts'
import { decodeFrame, encodeFrame } from '../../../src/contract/protocol/codec.ts'
import type { StepResult } from '../../../src/schemas/protocol.generated.ts'
import { maxSubarray, startServer } from './harness.ts'

const server = await startServer()
t.teardown(() => server.close())

const seed = 99
const actions = [
  { name: 'GetLength', parameters: {} },
  { name: 'GetElement', parameters: { index: 0 } },
  { name: 'GetElement', parameters: { index: -1 } },
  { name: 'UpdateBest', parameters: { best: -3, candidate: 2.5 } },
]

type Answer = { id: number, result?: Record<string, unknown>, error?: { code: string } }

/** A raw WebSocket peer that encodes and decodes with msgpack-lite only. */
async function litePeer (): Promise<{ request: (op: string, params?: object) => Promise<Answer>, close: () => void }> {
  const ws = new WebSocket(server.url)
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  const waiting = new Map<number, (answer: Answer) => void>()
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) throw new Error('the server answered a binary frame with text')
    const answer = msgpack.decode(data) as Answer
    waiting.get(answer.id)?.(answer)
    waiting.delete(answer.id)
  })
  let nextId = 1
  return {
    request: (op, params) => new Promise((resolve) => {
      const id = nextId++
      waiting.set(id, resolve)
      ws.send(msgpack.encode(params === undefined ? { id, op } : { id, op, params }), { binary: true })
    }),
    close: () => ws.close(),
  }
}

await t.test('msgpack-lite requests are accepted and the answers decode in msgpack-lite', async (t) => {
  const peer = await litePeer()
  t.teardown(() => peer.close())
  const hello = await peer.request('hello', { versions: [1], client: 'msgpack-lite' })
  t.type(hello.result?.resumeToken, 'string')
  const listed = await peer.request('envs.list')
  t.equal((listed.result?.envs as unknown[]).length, 2)

  const reset = await peer.request('reset', { env: maxSubarray, options: { seed } })
  const session = reset.result?.session as string
  const liteSteps: unknown[] = []
  for (const action of actions) liteSteps.push((await peer.request('step', { session, action })).result)

  const snapshot = await peer.request('snapshot', { session })
  const bytes = snapshot.result?.snapshot
  t.ok(Buffer.isBuffer(bytes), 'snapshot bytes arrive as MessagePack bin')
  const restored = await peer.request('restore', { snapshot: bytes })
  t.equal(restored.result?.step, actions.length, 'bin written by msgpack-lite restores')
  const restoredSession = restored.result?.session as string
  const [original, copy] = await Promise.all([session, restoredSession].map((s) => peer.request('done', { session: s, answer: 7 })))
  t.same(copy?.result, original?.result)

  const unknown = await peer.request('observe', { session: 'nope' })
  t.equal(unknown.error?.code, 'unknown_session')

  // The same run through the client (msgpackr) gives the same results.
  const client = await CodeGymClient.connect(server.url)
  t.teardown(() => client.close())
  const { session: clientSession } = await client.reset(maxSubarray, { seed })
  const clientSteps: StepResult[] = []
  for (const action of actions) clientSteps.push(await client.step(clientSession, action))
  t.same(liteSteps, clientSteps)
})

await t.test('frames encoded by msgpackr decode in msgpack-lite, and the reverse', async (t) => {
  const messages = [
    { id: 1, op: 'step', params: { session: 's1', action: { name: 'GetElement', parameters: { index: 3 } }, expectStep: 2 } },
    { id: 2, result: { observation: [1, -2, 3.5, 'x', null, true, { deep: { er: [] } }], reward: 0, terminated: false, truncated: false, info: { step: 1, maxSteps: 256, rolledBack: false } } },
    { id: 3, error: { code: 'step_mismatch', message: 'no', data: { step: 4 } } },
    { id: 4, result: { snapshot: Buffer.from([0, 1, 2, 255]), step: 9 } },
    { id: 2 ** 40, op: 'observe', params: { session: 'é — ✓' } },
  ]
  for (const message of messages) {
    const packed = encodeFrame(message, 'msgpack')
    t.same(msgpack.decode(packed as Buffer), message, `msgpackr → msgpack-lite: ${JSON.stringify(Object.keys(message))}`)
    t.same(decodeFrame(msgpack.encode(message), 'msgpack'), message, `msgpack-lite → msgpackr: ${JSON.stringify(Object.keys(message))}`)
  }
})
