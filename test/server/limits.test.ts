// Every limit of the protocol at its bound: what the server answers there, and that it goes on
// serving everyone else. Each test starts a server with small limits over one shared runtime.
import { fileURLToPath } from 'node:url'
import { pack, Unpackr } from 'msgpackr'
import { pino } from 'pino'
import t from 'tap'
import { Runtime } from '../../src/env/runtime.ts'
import type { ServerLimits } from '../../src/server/limits.ts'
import { CodeGymServer } from '../../src/server/server.ts'
import type { TestContext } from '../helpers/tap.ts'
import { clientFrame, eventually, openRawSocket, RawClient, readServerFrames } from '../helpers/wire.ts'

/** msgpackr reads MessagePack int 64 as BigInt unless told otherwise: whole numbers past 2^32 (seeds) are int 64 on the wire. */
const wideIntegers = new Unpackr({ mapsAsObjects: true, int64AsType: 'number' })
const unpack = (data: Uint8Array): unknown => wideIntegers.unpack(data)

const runtime = await Runtime.create({
  envDirs: [fileURLToPath(new URL('../../envs/', import.meta.url)), fileURLToPath(new URL('../fixtures/envs/hostile/', import.meta.url))],
  sandbox: { workers: 1, callTimeoutMs: 200 },
})
t.teardown(() => runtime.close())

const env = 'codegym/max-subarray-v1'

async function startServer (t: TestContext, limits: Partial<ServerLimits>): Promise<CodeGymServer> {
  const server = await CodeGymServer.start({ port: 0, runtime, limits, logger: pino({ level: 'silent' }) })
  const clients: RawClient[] = []
  t.teardown(async () => {
    await Promise.all(clients.map((client) => client.close()))
    await server.close()
  })
  Object.defineProperty(server, 'track', { value: (client: RawClient) => clients.push(client) })
  return server
}

async function connect (server: CodeGymServer, hello: Record<string, unknown> | false = { versions: [1] }): Promise<RawClient> {
  const client = await RawClient.open(server.url)
  ;(server as unknown as { track: (client: RawClient) => void }).track(client)
  if (hello !== false) await client.hello(hello)
  return client
}

function errorCode (response: Record<string, unknown>): string | undefined {
  return (response.error as { code?: string } | undefined)?.code
}

async function requestCount (server: CodeGymServer, op: string): Promise<number> {
  return (await server.metrics.requests.get()).values.find((value) => value.labels.op === op)?.value ?? 0
}

await t.test('too_many_sessions: per connection, then for the whole server', async (t) => {
  const server = await startServer(t, { maxSessionsPerConnection: 2, maxSessions: 3, resumeTtlMs: 0 })
  const a = await connect(server)
  const b = await connect(server)
  const first = await a.call(1, 'reset', { env })
  await a.call(2, 'reset', { env })
  t.equal(errorCode(await a.request(3, 'reset', { env })), 'too_many_sessions', 'a third session on one connection')
  t.equal(errorCode(await a.request(4, 'fork', { session: first.session as string })), 'too_many_sessions', 'a fork counts too')
  const snapshot = (await a.call(5, 'snapshot', { session: first.session as string })).snapshot as Uint8Array
  t.equal(errorCode(await a.request(6, 'restore', { snapshot })), 'too_many_sessions', 'a restore counts too')
  await b.call(1, 'reset', { env })
  t.equal(errorCode(await b.request(2, 'reset', { env })), 'too_many_sessions', 'the server holds maxSessions')
  t.equal(server.sessionCount, 3)
  await a.call(7, 'close', { session: first.session as string })
  t.ok('result' in await b.request(3, 'reset', { env }), 'a closed session makes room')
  t.ok('result' in await a.request(8, 'envs.list'), 'the connection that hit the limit still works')
})

await t.test('too_many_pending: a burst over maxPendingRequests in one TCP write', async (t) => {
  const maxPendingRequests = 8
  const server = await startServer(t, { maxPendingRequests })
  const { socket, leftover } = await openRawSocket(server.address.port)
  t.teardown(() => socket.destroy())
  let bytes = leftover
  const responses: Array<Record<string, unknown>> = []
  socket.on('data', (chunk: Buffer) => {
    const { frames, rest } = readServerFrames(Buffer.concat([bytes, chunk]))
    bytes = rest
    for (const frame of frames) responses.push(unpack(frame.payload) as Record<string, unknown>)
  })
  socket.resume()
  const send = (...messages: object[]): void => { socket.write(Buffer.concat(messages.map((message) => clientFrame(pack(message), true)))) }
  send({ id: 0, op: 'hello', params: { versions: [1] } }, { id: 1, op: 'reset', params: { env: 'test/hostile-v1' } })
  t.ok(await eventually(() => responses.length === 2), 'hello and reset answered')
  const session = (responses[1]!.result as { session: string }).session
  // The first step loops until callTimeoutMs; the others wait behind it on the same session, so
  // all of them are in flight together however the server reads the burst.
  const burst: Array<{ id: number, op: string, params: object }> = [{ id: 10, op: 'step', params: { session, action: { name: 'Misbehave', parameters: { kind: 'loop' } } } }]
  for (let id = 11; id < 30; id++) burst.push({ id, op: 'step', params: { session, action: { name: 'Bump', parameters: {} } } })
  send(...burst)
  t.ok(await eventually(() => responses.length === 2 + burst.length), 'every request of the burst is answered')
  const refused = responses.slice(2).filter((response) => errorCode(response) === 'too_many_pending').map((response) => response.id)
  const taken = responses.slice(2).filter((response) => 'result' in response).map((response) => response.id)
  t.equal(taken.length, maxPendingRequests, `maxPendingRequests (${maxPendingRequests}) were run`)
  t.same(refused, burst.slice(maxPendingRequests).map((request) => request.id), 'the rest were refused with too_many_pending, in order')
  send({ id: 40, op: 'step', params: { session, action: { name: 'Bump' } } })
  t.ok(await eventually(() => responses.length === 3 + burst.length), 'the next request is answered')
  t.ok('result' in responses.at(-1)!, 'and run, once the burst is done')
})

await t.test('hello timeout closes the connection with 4004', async (t) => {
  const server = await startServer(t, { helloTimeoutMs: 150 })
  const silent = await connect(server, false)
  const closed = await silent.waitClosed()
  t.equal(closed.code, 4004)
  t.ok(await eventually(() => server.connectionCount === 0), 'the connection is gone')
  const polite = await connect(server)
  // A silent connection opened after the polite one times out later than the polite one's hello
  // timer would have: once it is closed, that timer has had its chance to fire.
  const later = await connect(server, false)
  t.equal((await later.waitClosed()).code, 4004, 'a later silent connection is timed out too')
  t.ok('result' in await polite.request(1, 'envs.list'), 'a connection that said hello is not timed out')
})

await t.test('maxConnections refuses the upgrade with 503', async (t) => {
  const server = await startServer(t, { maxConnections: 2 })
  const a = await connect(server)
  const waiting = await connect(server, false)
  t.type((await waiting.call(0, 'hello', { versions: [1] })).resumeToken, 'string', 'a connection that has not said hello took no place: it may still say it')
  await t.rejects(RawClient.open(server.url), /upgrade refused with HTTP 503/, 'the third connection is refused')
  await a.close()
  t.ok(await eventually(() => server.connectionCount === 1), 'one connection closed')
  const c = await connect(server)
  t.ok('result' in await c.request(1, 'envs.list'), 'there is room again')
})

await t.test('a client that never reads does not make the server buffer without bound', async (t) => {
  const maxSendBufferBytes = 64 * 1024
  const server = await startServer(t, { maxSendBufferBytes, maxPendingRequests: 100_000 })
  const { socket, leftover } = await openRawSocket(server.address.port)
  t.teardown(() => socket.destroy())
  socket.write(clientFrame(pack({ id: 0, op: 'hello', params: { versions: [1] } }), true))
  // Responses of a few KB each, far more of them than socket buffers hold.
  const requests = 20_000
  const frame = (id: number): Buffer => clientFrame(pack({ id, op: 'envs.describe', params: { env } }), true)
  for (let start = 1; start <= requests; start += 1000) {
    socket.write(Buffer.concat(Array.from({ length: Math.min(1000, requests + 1 - start) }, (_, i) => frame(start + i))))
  }
  // Wait until the server has stopped taking requests: the count no longer moves.
  let handled = -1
  for (let stable = 0; stable < 5;) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    const now = await requestCount(server, 'envs.describe')
    stable = now === handled ? stable + 1 : 0
    handled = now
  }
  t.ok(handled < requests, `the server stopped reading after ${handled} of ${requests} requests`)
  const other = await connect(server)
  t.ok('result' in await other.request(1, 'envs.describe', { env }), 'another client is served meanwhile')
  t.equal(await requestCount(server, 'envs.describe'), handled + 1, 'and the stalled one still is not read')

  // Once the client reads, the server catches up: every request is answered, none lost.
  let bytes = leftover
  let answered = 0
  socket.on('data', (chunk: Buffer) => {
    const { frames, rest } = readServerFrames(Buffer.concat([bytes, chunk]))
    bytes = rest
    answered += frames.length
  })
  socket.resume()
  t.ok(await eventually(() => answered === requests + 1, 20_000), `all ${requests} answered once the client reads (${answered})`)
})

await t.test('an idle session is closed after sessionIdleTtlMs', async (t) => {
  const server = await startServer(t, { sessionIdleTtlMs: 200 })
  const client = await connect(server)
  const idle = (await client.call(1, 'reset', { env })).session as string
  t.ok(await eventually(() => server.sessionCount === 0, 3000), 'the sweeper closed it')
  t.equal(errorCode(await client.request(2, 'step', { session: idle, action: { name: 'GetLength' } })), 'unknown_session')
  t.ok(client.isOpen, 'the connection stays open')
})

await t.test('a resume token moves the sessions to a new connection; the old one closes with 4003', async (t) => {
  const server = await startServer(t, { resumeTtlMs: 5000 })
  const first = await connect(server, false)
  const hello = await first.hello()
  const token = hello.resumeToken as string
  const session = (await first.call(1, 'reset', { env, options: { task: 'mixed-small' } })).session as string
  const stepped = await first.call(2, 'step', { session, action: { name: 'GetElement', parameters: { index: 3 } } })

  const second = await connect(server, false)
  const resumed = await second.hello({ versions: [1], resume: token })
  t.equal(resumed.resumeToken, token, 'the same token')
  t.match(resumed.resumed, [{ session, env, step: 1, status: 'running', lastResult: stepped }], 'the session, with its last result')
  t.equal((await first.waitClosed()).code, 4003, 'the old connection is closed with 4003')
  const next = await second.call(1, 'step', { session, action: { name: 'GetLength' }, expectStep: 1 })
  t.match(next, { observation: 9, info: { step: 2 } }, 'the new connection plays on')

  // A lost connection: its sessions wait for resumeTtlMs.
  second.socket.terminate()
  await second.waitClosed()
  const third = await connect(server, false)
  const again = await third.hello({ versions: [1], resume: token })
  t.match(again.resumed, [{ session, step: 2 }], 'resumed after the connection was lost')
})

await t.test('an expired or unknown resume token gives invalid_resume_token', async (t) => {
  const server = await startServer(t, { resumeTtlMs: 100 })
  const first = await connect(server, false)
  const token = (await first.hello()).resumeToken as string
  await first.call(1, 'reset', { env })
  await first.close()
  t.ok(await eventually(() => server.sessionCount === 0, 3000), 'the sessions expire with the token')
  const late = await connect(server, false)
  const refused = await late.request(1, 'hello', { versions: [1], resume: token })
  t.equal(errorCode(refused), 'invalid_resume_token', 'expired')
  const unknown = await late.request(2, 'hello', { versions: [1], resume: 'x'.repeat(24) })
  t.equal(errorCode(unknown), 'invalid_resume_token', 'unknown')
  t.ok('result' in await late.request(3, 'hello', { versions: [1] }), 'a plain hello still works on that connection')
})

await t.test('a reset still running when its connection closes leaves no session behind', async (t) => {
  const server = await startServer(t, { resumeTtlMs: 0 })
  const client = await connect(server)
  const session = (await client.call(1, 'reset', { env })).session as string
  for (let id = 10; id < 15; id++) client.sendPack({ id, op: 'reset', params: { env } })
  client.sendPack({ id: 20, op: 'fork', params: { session } })
  client.socket.terminate()
  t.ok(await eventually(() => server.connectionCount === 0), 'the connection is gone')
  // The resets that were read finish in the sandbox after the close: wait until it is idle.
  t.ok(await eventually(() => {
    const { queuedCalls, callsInFlight } = runtime.pool.stats()
    return queuedCalls === 0 && callsInFlight === 0
  }), 'the sandbox finished the resets')
  t.equal(server.sessionCount, 0, 'no session outlives its client')
})
