// Answers far bigger than their requests (a batch of 1024 envs.list: 15 KB in, 5.75 MB out), asked
// for by clients that never read. The server admits a request only while its connection's unsent
// bytes plus the expected size of the answers in flight fit maxSendBufferBytes, and the server's
// fit maxServerSendBufferBytes (each connection keeping its equal share): the answers are never
// produced, instead of queued after the fact. A client that reads is served all along.
import { fileURLToPath } from 'node:url'
import { pack, unpack } from 'msgpackr'
import { pino } from 'pino'
import t from 'tap'
import { Runtime } from '../../src/env/runtime.ts'
import { CodeGymServer } from '../../src/server/server.ts'
import type { ServerLimits } from '../../src/server/limits.ts'
import type { TestContext } from '../helpers/tap.ts'
import type { Transport, TransportHandlers } from '../../src/contract/transport/transport.ts'
import { clientFrame, eventually, openRawSocket, RawClient } from '../helpers/wire.ts'

// The bundled envs: an envs.list answer of several KB.
const runtime = await Runtime.create({ sandbox: { workers: 1 } })
t.teardown(() => runtime.close())
const mib = 1024 * 1024

async function startServer (t: TestContext, limits: Partial<ServerLimits>): Promise<CodeGymServer> {
  const server = await CodeGymServer.start({ port: 0, runtime, limits, logger: pino({ level: 'silent' }) })
  t.teardown(() => server.close())
  return server
}

async function requestCount (server: CodeGymServer, op: string): Promise<number> {
  const metric = await server.metrics.requests.get()
  return metric.values.find((value) => value.labels.op === op)?.value ?? 0
}

/** Clients that say hello, then send `batches` batches of 1024 envs.list each and never read. */
async function nonReaders (t: TestContext, server: CodeGymServer, clients: number, batches: number): Promise<void> {
  const batch = (id: number): Buffer => clientFrame(pack({ id, op: 'batch', params: { ops: Array.from({ length: 1024 }, () => ({ op: 'envs.list' })) } }), true)
  for (let i = 0; i < clients; i++) {
    const { socket } = await openRawSocket(server.address.port)
    t.teardown(() => socket.destroy())
    socket.write(clientFrame(pack({ id: 0, op: 'hello', params: { versions: [1] } }), true))
    socket.write(Buffer.concat(Array.from({ length: batches }, (_, n) => batch(n + 1))))
  }
}

/** Waits until the server has stopped taking requests: the count no longer moves. */
async function settle (server: CodeGymServer): Promise<number> {
  let handled = -1
  for (let stable = 0; stable < 5;) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    const now = await requestCount(server, 'envs.list')
    stable = now === handled ? stable + 1 : 0
    handled = now
  }
  return handled
}

await t.test('per connection: answers in flight count, so the bound holds from the first batch', async (t) => {
  const maxSendBufferBytes = 8 * mib
  const server = await startServer(t, { maxSendBufferBytes })
  await nonReaders(t, server, 4, 20)
  const handled = await settle(server)
  t.ok(handled <= 4 * 2 * 1024, `the server answered ${handled} of ${4 * 20 * 1024} envs.list, at most two batches per client`)
  t.ok(server.outboundBytes <= 4 * maxSendBufferBytes, `unsent and reserved bytes ${(server.outboundBytes / mib).toFixed(1)} MiB ≤ 4 × maxSendBufferBytes`)
  const reader = await RawClient.open(server.url)
  t.teardown(() => reader.close())
  await reader.hello()
  t.ok('result' in await reader.request(1, 'envs.list'), 'a client that reads is served meanwhile')
  const metrics = await server.metrics.registry.metrics()
  t.match(metrics, /codegym_send_buffer_pauses_total\{bound="connection"\} [1-9]/, 'the pauses are counted')
})

await t.test('a batch whose answers cannot fit the bound is refused before it runs', async (t) => {
  const server = await startServer(t, { maxSendBufferBytes: mib })
  const client = await RawClient.open(server.url)
  t.teardown(() => client.close())
  await client.hello()
  const answer = await client.request(1, 'batch', { ops: Array.from({ length: 1024 }, () => ({ op: 'envs.list' })) })
  t.equal((answer.error as { code: string }).code, 'batch_too_large')
  t.match((answer.error as { message: string }).message, /expected to take \d+ bytes, over maxSendBufferBytes \(1048576\)/)
  t.equal(await requestCount(server, 'envs.list'), 0, 'none of it ran')
})

await t.test('server-wide: clients that do not read hold at most the server bound and their shares', async (t) => {
  const maxServerSendBufferBytes = 12 * mib
  const server = await startServer(t, { maxServerSendBufferBytes })
  await nonReaders(t, server, 6, 5)
  const handled = await settle(server)
  t.ok(server.outboundBytes <= 2 * maxServerSendBufferBytes, `outbound ${(server.outboundBytes / mib).toFixed(1)} MiB ≤ 2 × maxServerSendBufferBytes (handled ${handled} envs.list)`)
  t.ok(handled < 6 * 1024 * 2, 'fewer than two batches per client were run')
  const reader = await RawClient.open(server.url)
  t.teardown(() => reader.close())
  await reader.hello()
  t.ok('result' in await reader.request(1, 'envs.describe', { env: 'codegym/max-subarray-v1' }), 'a client that reads is still served: its share is free')
})

/** A transport whose client never reads: every frame sent stays buffered. */
class NeverDrains implements Transport {
  readonly sent: Array<Uint8Array | string> = []
  handlers: TransportHandlers | undefined
  closedWith: number | undefined
  get bufferedAmount (): number { return this.sent.reduce((sum, frame) => sum + (typeof frame === 'string' ? Buffer.byteLength(frame) : frame.byteLength), 0) }
  send (frame: Uint8Array | string): void { if (this.closedWith === undefined) this.sent.push(frame) }
  close (code?: number): void {
    this.closedWith ??= code
    this.handlers?.close(code ?? 1005, '')
  }

  pause (): void {}
  resume (): void {}
  listen (handlers: TransportHandlers): void { this.handlers = handlers }
  deliver (message: unknown): void { this.handlers!.message(pack(message), true) }
}

await t.test('answers far larger than expected: the connection is closed with 1008 before it buffers past twice its bound', async (t) => {
  const hostileRuntime = await Runtime.create({ envDirs: [fileURLToPath(new URL('../fixtures/envs/hostile/', import.meta.url))], sandbox: { workers: 1 } })
  t.teardown(() => hostileRuntime.close())
  const maxSendBufferBytes = 16 * 1024
  const server = await CodeGymServer.start({ port: 0, runtime: hostileRuntime, limits: { maxSendBufferBytes }, logger: pino({ level: 'silent' }) })
  t.teardown(() => server.close())
  const transport = new NeverDrains()
  server.accept(transport)
  transport.deliver({ id: 0, op: 'hello', params: { versions: [1] } })
  transport.deliver({ id: 1, op: 'reset', params: { env: 'test/hostile-v1' } })
  const answers = (): Array<Record<string, any>> => transport.sent.map((frame) => unpack(frame as Uint8Array) as Record<string, any>)
  t.ok(await eventually(() => answers().some((answer) => answer.id === 1), 20_000), 'reset answered')
  const session = answers().find((answer) => answer.id === 1)!.result.session as string
  // Observations of 60,000 characters, where nothing of this kind has been seen yet (expected 4 KiB).
  for (let id = 2; id < 10; id++) transport.deliver({ id, op: 'step', params: { session, action: { name: 'Misbehave', parameters: { kind: 'return-huge-string', size: 60_000 } } } })
  t.ok(await eventually(() => transport.closedWith !== undefined, 10_000), 'the connection was closed')
  t.equal(transport.closedWith, 1008)
  t.ok(transport.bufferedAmount <= 2 * maxSendBufferBytes + 70_000, `it had buffered ${transport.bufferedAmount} bytes: at most twice the bound and one answer`)
  t.ok(answers().filter((answer) => typeof answer.id === 'number' && answer.id >= 2).length < 8, 'not every step was answered into the buffer')
})
