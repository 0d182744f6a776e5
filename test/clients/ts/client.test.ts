// Every op through the client, over a loopback WebSocket and the in-memory pair, in both codecs;
// typed errors; request timeouts.
import t from 'tap'
import { CodeGymClient, CodeGymRequestError, ConnectionClosedError, RequestTimeoutError, type Codec } from '../../../clients/ts/index.ts'
import { createMemoryTransportPair } from '../../../src/contract/transport/memory.ts'
import type { Transport } from '../../../src/contract/transport/transport.ts'
import { maxSubarray, startServer, transportsTo, validBrackets, type Via } from './harness.ts'

const server = await startServer()
t.teardown(() => server.close())

for (const via of ['websocket', 'memory'] as Via[]) {
  for (const codec of ['msgpack', 'json'] as Codec[]) {
    await t.test(`every op over ${via} with ${codec}`, async (t) => {
      const client = await CodeGymClient.connect(transportsTo(server, via).factory, { codec, clientName: 'client-test' })
      t.teardown(() => client.close())
      t.equal(client.helloResult.version, 1)
      t.type(client.helloResult.resumeToken, 'string')
      t.ok(client.helloResult.limits.maxFrameBytes > 0)

      const { envs } = await client.listEnvs()
      t.same(envs.map((env) => env.id).sort(), [maxSubarray, validBrackets])
      const described = await client.describeEnv(maxSubarray)
      t.equal(described.id, maxSubarray)
      t.ok(described.tools.some((tool) => tool.name === 'GetLength'))

      const reset = await client.reset(maxSubarray, { seed: 7 })
      t.equal(reset.info.step, 0)
      t.equal(client.stepOf(reset.session), 0)
      const { session } = reset

      // Pipelined: three requests in flight at once on one session, answered in order.
      const [length, first, observed] = await Promise.all([
        client.step(session, { name: 'GetLength', parameters: {} }),
        client.step(session, { name: 'GetElement', parameters: { index: 0 } }),
        client.observe(session),
      ])
      t.equal(length.info.step, 1)
      t.equal(first.info.step, 2)
      t.equal(first.info.rolledBack, false)
      t.type(length.observation, 'number')
      t.not(observed.observation, undefined)
      t.equal(client.stepOf(session), 2)

      const snap = await client.snapshot(session)
      t.ok(snap.snapshot instanceof Uint8Array, 'snapshot bytes in both codecs')
      t.equal(snap.step, 2)
      const restored = await client.restore(snap.snapshot)
      t.equal(restored.step, 2)
      t.equal(restored.env, maxSubarray)
      const forked = await client.fork(session)
      t.equal(forked.step, 2)
      t.equal(client.stepOf(forked.session), 2)

      // The three copies go on identically.
      const next = { name: 'GetElement', parameters: { index: 1 } }
      const [a, b, c] = await Promise.all([session, restored.session, forked.session].map((s) => client.step(s, next)))
      t.same(b, a)
      t.same(c, a)

      const batch = await client.batch([
        { op: 'observe', params: { session } },
        { op: 'step', params: { session, action: { name: 'GetLength', parameters: {} } } },
        { op: 'envs.describe', params: { env: 'nope/nothing-v1' } },
      ])
      t.equal(batch.results.length, 3)
      t.ok('result' in batch.results[0]!)
      t.ok('result' in batch.results[1]!)
      t.equal(client.stepOf(session), 4, 'a step in a batch is tracked')
      const failed = batch.results[2]!
      t.ok('error' in failed && failed.error.code === 'unknown_env')

      const done = await client.done(session, 12345)
      t.equal(done.terminated, true)
      t.equal(done.info.step, 5)
      t.ok(done.reward === 0 || done.reward === 1)

      const generic = await client.request('envs.describe', { env: validBrackets })
      t.equal(generic.id, validBrackets)

      for (const s of [session, restored.session, forked.session]) t.same(await client.closeSession(s), { closed: true })
      t.equal(client.stepOf(session), undefined)
    })
  }
}

await t.test('typed errors', async (t) => {
  const client = await CodeGymClient.connect(transportsTo(server, 'memory').factory)
  t.teardown(() => client.close())
  const refused = async (promise: Promise<unknown>, code: string, message: string): Promise<void> => {
    const error = await promise.then(() => undefined, (error: unknown) => error)
    t.ok(error instanceof CodeGymRequestError, `${message}: a CodeGymRequestError`)
    if (error instanceof CodeGymRequestError) t.equal(error.code, code, message)
  }
  await refused(client.observe('s-none'), 'unknown_session', 'unknown session')
  await refused(client.step('s-none', { name: 'GetLength' }), 'unknown_session', 'step on unknown session')
  // Params that the schema refuses: a session that is not a string.
  await refused(client.request('observe', { session: 42 as unknown as string }), 'invalid_params', 'invalid params')
  await refused(client.describeEnv('nope/nothing-v1'), 'unknown_env', 'unknown env')
  await refused(client.reset(maxSubarray, { difficulty: 'impossible' }), 'invalid_reset_options', 'invalid reset options')

  const { session } = await client.reset(maxSubarray, { seed: 1 })
  await client.done(session, 0)
  await refused(client.step(session, { name: 'GetLength' }), 'episode_ended', 'a step after Done')

  const { session: other } = await client.reset(maxSubarray, { seed: 1 })
  const mismatch = await client.step(other, { name: 'GetLength' }, { expectStep: 3 }).catch((error: unknown) => error)
  t.ok(mismatch instanceof CodeGymRequestError && mismatch.code === 'step_mismatch')
  if (mismatch instanceof CodeGymRequestError) t.same(mismatch.data, { step: 0 })
  t.equal(client.stepOf(other), 0)
  const step = await client.step(other, { name: 'GetLength' })
  t.equal(step.info.step, 1, 'the client still sends the right expectStep after a mismatch')
})

/** A transport that swallows everything it is asked to send: the server never answers. */
function blackHole (): Transport {
  const [client] = createMemoryTransportPair()
  return {
    get bufferedAmount () { return 0 },
    listen: (handlers) => client.listen(handlers),
    send: () => {},
    close: (code, reason) => client.close(code, reason),
    pause: () => client.pause(),
    resume: () => client.resume(),
  }
}

await t.test('request timeout rejects with a typed error and frees the id', async (t) => {
  const [clientSide, serverSide] = createMemoryTransportPair()
  server.accept(serverSide)
  let silent = false
  const gated: Transport = {
    get bufferedAmount () { return 0 },
    listen: (handlers) => clientSide.listen(handlers),
    send: (frame) => { if (!silent) clientSide.send(frame) },
    close: (code, reason) => clientSide.close(code, reason),
    pause: () => clientSide.pause(),
    resume: () => clientSide.resume(),
  }
  const client = await CodeGymClient.connect(gated, { requestTimeoutMs: 50 })
  t.teardown(() => client.close())
  silent = true
  const error = await client.listEnvs().catch((error: unknown) => error)
  t.ok(error instanceof RequestTimeoutError, 'a RequestTimeoutError')
  t.equal(client.pendingRequests, 0, 'the id is freed')
  silent = false
  const { envs } = await client.listEnvs()
  t.equal(envs.length, 2, 'the connection still works')
})

await t.test('a connect with no answer to hello times out', async (t) => {
  const error = await CodeGymClient.connect(blackHole(), { requestTimeoutMs: 30 }).catch((error: unknown) => error)
  t.ok(error instanceof RequestTimeoutError)
})

await t.test('without reconnect, a drop fails requests in flight', async (t) => {
  const [clientSide, serverSide] = createMemoryTransportPair()
  server.accept(serverSide)
  const client = await CodeGymClient.connect(clientSide)
  const closed = new Promise((resolve) => client.once('close', resolve))
  const inFlight = client.listEnvs()
  clientSide.close()
  const error = await inFlight.catch((error: unknown) => error)
  t.ok(error instanceof ConnectionClosedError)
  await closed
  const after = await client.listEnvs().catch((error: unknown) => error)
  t.ok(after instanceof ConnectionClosedError, 'a closed client refuses new requests')
})

await t.test('a wrong token is refused', async (t) => {
  const guarded = await startServer({ token: 'secret-token-for-tests' })
  t.teardown(() => guarded.close())
  const error = await CodeGymClient.connect(guarded.url, { token: 'wrong' }).catch((error: unknown) => error)
  t.ok(error instanceof CodeGymRequestError && error.code === 'unauthorized')
  const client = await CodeGymClient.connect(guarded.url, { token: 'secret-token-for-tests' })
  t.teardown(() => client.close())
  t.equal((await client.listEnvs()).envs.length, 2)
})

await t.test('server events reach the event hook', async (t) => {
  const draining = await startServer({ drainGraceMs: 50 })
  const client = await CodeGymClient.connect(draining.url, { reconnect: false })
  t.teardown(() => client.close())
  const event = new Promise((resolve) => client.once('event', resolve))
  const drained = draining.drain()
  t.same(await event, { event: 'draining', data: { deadlineMs: 50 } })
  await drained
})
