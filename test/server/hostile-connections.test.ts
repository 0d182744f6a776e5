// Connections that never say hello: they have a pool of their own (maxUnauthenticatedConnections,
// the oldest dropped to make room), deadlines of the server's own (handshakeTimeoutMs for the HTTP
// request, helloTimeoutMs for hello), and never take a place among maxConnections, which counts
// connections that said hello. With --workers N the totals hold over all worker processes.
import { connect as connectTcp, type Socket } from 'node:net'
import { pino } from 'pino'
import t from 'tap'
import { Runtime } from '../../src/env/runtime.ts'
import type { ServerLimits } from '../../src/server/limits.ts'
import { CodeGymServer } from '../../src/server/server.ts'
import type { TestContext } from '../helpers/tap.ts'
import { clientFrame, eventually, openRawSocket, RawClient, readServerFrames } from '../helpers/wire.ts'
import { ServeProcess, seriesValue } from '../../tools/serve-process.ts'
import { exampleEnvDirs } from '../helpers/envs.ts'

const runtime = await Runtime.create({ envDirs: exampleEnvDirs, sandbox: { workers: 1 } })
t.teardown(() => runtime.close())

async function startServer (t: TestContext, limits: Partial<ServerLimits>): Promise<CodeGymServer> {
  const server = await CodeGymServer.start({ port: 0, runtime, limits, logger: pino({ level: 'silent' }) })
  t.teardown(() => server.close())
  return server
}

/** Raw TCP connections that send nothing (or only the start of a request). */
async function silentSockets (t: TestContext, port: number, count: number, send = ''): Promise<Socket[]> {
  const sockets = await Promise.all(Array.from({ length: count }, () => new Promise<Socket>((resolve) => {
    const socket = connectTcp(port, '127.0.0.1', () => {
      if (send !== '') socket.write(send)
      resolve(socket)
    })
    socket.on('error', () => {})
  })))
  t.teardown(() => { for (const socket of sockets) socket.destroy() })
  return sockets
}

const isClosed = (socket: Socket): boolean => socket.destroyed || socket.readyState === 'closed' || socket.readableEnded

await t.test('a flood of silent connections locks nobody out', async (t) => {
  const server = await startServer(t, { maxUnauthenticatedConnections: 16, maxConnections: 8 })
  const before = await RawClient.open(server.url)
  t.teardown(() => before.close())
  await before.hello()
  // Far more silent sockets and upgraded-but-silent WebSockets than either limit.
  const silent = await silentSockets(t, server.address.port, 100)
  const upgraded = await Promise.all(Array.from({ length: 30 }, async () => RawClient.open(server.url).catch(() => undefined)))
  t.teardown(() => { for (const client of upgraded) void client?.close() })
  t.ok(await eventually(() => silent.filter(isClosed).length >= 100 - 16), `the oldest silent sockets were dropped (${silent.filter(isClosed).length} of 100)`)
  t.ok('result' in await before.request(1, 'envs.list'), 'a client that said hello before the flood is served')
  const after = await RawClient.open(server.url)
  t.teardown(() => after.close())
  t.type((await after.call(0, 'hello', { versions: [1] })).resumeToken, 'string', 'a new client gets in and says hello during the flood')
  t.ok('result' in await after.request(1, 'envs.list'))
  const metrics = await server.metrics.registry.metrics()
  t.ok((seriesValue(metrics, 'codegym_unauthenticated_dropped_total{reason="pool_full"}') ?? 0) >= 100 - 16, 'the drops are counted')
  t.ok((seriesValue(metrics, 'codegym_unauthenticated_connections') ?? Infinity) <= 16, 'and the pool never holds more than its limit')
})

await t.test('deadlines: an HTTP request that never ends, a WebSocket that never says hello', async (t) => {
  const server = await startServer(t, { handshakeTimeoutMs: 200, helloTimeoutMs: 300 })
  const [slow] = await silentSockets(t, server.address.port, 1, 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: web')
  const silent = await RawClient.open(server.url)
  t.ok(await eventually(() => isClosed(slow!), 3000), 'the half-sent request is dropped after handshakeTimeoutMs')
  t.equal((await silent.closed).code, 4004, 'the WebSocket without hello is closed with 4004')
})

await t.test('maxConnections: a hello past it is answered too_many_connections and closed with 1013', async (t) => {
  const server = await startServer(t, { maxConnections: 1 })
  const first = await RawClient.open(server.url)
  const second = await RawClient.open(server.url)
  t.teardown(() => Promise.all([first.close(), second.close()]))
  await first.hello()
  const refused = await second.request(0, 'hello', { versions: [1] })
  t.equal((refused.error as { code: string }).code, 'too_many_connections')
  t.equal((await second.closed).code, 1013)
  await t.rejects(RawClient.open(server.url), /HTTP 503/, 'while it is full, upgrades are refused')
})

await t.test('with --workers 2 the totals hold over both workers', async (t) => {
  const server = await ServeProcess.start(['--workers', '2', '--sandbox-workers', '1', '--envs', ...exampleEnvDirs, '--max-unauthenticated-connections', '8', '--max-connections', '2'])
  t.teardown(() => server.kill())
  const port = Number(new URL(server.url).port)
  const clients: RawClient[] = []
  t.teardown(() => Promise.all(clients.map((client) => client.close())))
  // Two clients say hello: the total of two is reached whichever workers they landed on.
  for (let i = 0; i < 2; i++) {
    const client = await RawClient.open(server.url)
    clients.push(client)
    await client.hello()
  }
  let refused = 0
  for (let i = 0; i < 4; i++) {
    const client = await RawClient.open(server.url).catch(() => undefined)
    if (client === undefined) {
      refused++
      continue
    }
    clients.push(client)
    const answer = await client.request(0, 'hello', { versions: [1] })
    if ((answer.error as { code?: string } | undefined)?.code === 'too_many_connections') refused++
  }
  t.equal(refused, 4, 'no third client gets in, on either worker')
  const silent = await silentSockets(t, port, 60)
  t.ok(await eventually(() => silent.filter(isClosed).length >= 60 - 8, 10_000), `the primary's pool drops silent sockets past the total (${silent.filter(isClosed).length} of 60 dropped)`)
})

await t.test('close codes of the WebSocket layer, as PROTOCOL.md lists them: 1002 and 1007', async (t) => {
  const server = await startServer(t, {})
  /** The close code the server sends after `bytes`, read off a raw socket. */
  const closeCodeAfter = async (bytes: Buffer): Promise<number | undefined> => {
    const { socket, leftover } = await openRawSocket(server.address.port)
    t.teardown(() => socket.destroy())
    let received = leftover
    socket.on('data', (chunk: Buffer) => { received = Buffer.concat([received, chunk]) })
    socket.resume()
    socket.write(bytes)
    const closed = (): { opcode: number, payload: Buffer } | undefined => readServerFrames(received).frames.find((frame) => frame.opcode === 0x8)
    await eventually(() => closed() !== undefined)
    return closed()?.payload.readUInt16BE(0)
  }
  const unmasked = Buffer.concat([Buffer.from([0x82, 0x01]), Buffer.from([0xc0])])
  t.equal(await closeCodeAfter(unmasked), 1002, 'an unmasked client frame: 1002')
  t.equal(await closeCodeAfter(clientFrame(Buffer.from([0xff, 0xfe, 0x22]), false)), 1007, 'a text frame that is not UTF-8: 1007')
})
