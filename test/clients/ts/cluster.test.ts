// The cluster client against in-process servers: placement, servers leaving rotation, sessions
// moving on drain and on loss at every snapshot cadence, the replay check, and the typed errors.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect as connectTcp, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { CodeGymCluster, type CodeGymClusterOptions } from '../../../clients/ts/cluster.ts'
import { NoServerAvailableError, ReplayMismatchError, SessionClosedError } from '../../../clients/ts/cluster-errors.ts'
import type { CodeGymServer } from '../../../src/server/server.ts'
import { paramsValidators } from '../../../src/contract/protocol/catalogue.ts'
import type { Op } from '../../../src/schemas/protocol.generated.ts'
import type { Validator } from '../../../src/schemas/validate.ts'
import { Runtime } from '../../../src/env/runtime.ts'
import { CodeGymError } from '../../../src/contract/errors.ts'
import { exampleEnvDirs } from '../../helpers/envs.ts'
import { clusterRun, maxSubarray, referenceRun, scriptedAction, scriptedEpisode } from './cluster-harness.ts'
import { startServer } from './harness.ts'

const quickProbes: Partial<CodeGymClusterOptions> = { drainSettleMs: 200, probeInitialDelayMs: 50, probeMaxDelayMs: 200, maxProbes: 3, client: { reconnect: { attempts: 2, initialDelayMs: 20 } } }

async function startServers (count: number, options: Parameters<typeof startServer>[0] = {}): Promise<CodeGymServer[]> {
  return Promise.all(Array.from({ length: count }, () => startServer(options)))
}

/** A server's URL as the cluster names it (WHATWG-normalized). */
const href = (server: CodeGymServer): string => new URL(server.url).href

async function stopAll (servers: CodeGymServer[]): Promise<void> {
  await Promise.all(servers.map((server) => server.close().catch(() => undefined)))
}

// A fault comes at 12 acknowledged steps over all episodes: every episode has steps left then.
const episodes = Array.from({ length: 6 }, (_, index) => scriptedEpisode(index, 16))
const reference = await referenceRun(episodes)

await t.test('least-loaded placement spreads sessions evenly; consistent hashing keeps a key on one server', async (t) => {
  const servers = await startServers(3)
  t.teardown(() => stopAll(servers))
  const cluster = await CodeGymCluster.connect({ servers: servers.map((server) => server.url) })
  const sessions = await Promise.all(Array.from({ length: 6 }, (_, seed) => cluster.reset(maxSubarray, { seed })))
  t.same(cluster.servers().map((server) => server.sessions), [2, 2, 2], 'two sessions on each of three servers')
  t.same(servers.map((server) => server.sessionCount), [2, 2, 2], 'and the servers hold them')
  await Promise.all(sessions.map((session) => session.close()))
  t.same(servers.map((server) => server.sessionCount), [0, 0, 0], 'closing a session frees it on its server')
  await t.rejects(sessions[0]!.step({ name: 'GetLength' }), SessionClosedError)
  await cluster.close()

  const hashed = await CodeGymCluster.connect({ servers: servers.map((server) => server.url), placement: 'consistent-hash' })
  const byKey = new Map<string, string>()
  for (let i = 0; i < 30; i++) {
    const key = `prompt-${i % 10}`
    const session = await hashed.reset(maxSubarray, { seed: i }, { key })
    if (byKey.has(key)) t.equal(session.server, byKey.get(key), `${key} lands on the same server again`)
    byKey.set(key, session.server)
    await session.close()
  }
  t.ok(new Set(byKey.values()).size >= 2, 'ten keys use more than one server')
  await hashed.close()
})

await t.test('a DNS name with one address per server: every address becomes a server', async (t) => {
  // Two servers on one port, on two loopback addresses, as a headless Service's pods would be.
  const first = await startServer({ host: '127.0.0.1' })
  const port = first.address.port
  const second = await startServer({ host: '127.0.0.2', port })
  t.teardown(() => stopAll([first, second]))
  const asked: string[] = []
  const resolver = async (name: string): Promise<string[]> => {
    asked.push(name)
    return ['127.0.0.1', '127.0.0.2']
  }
  const cluster = await CodeGymCluster.connect({ servers: { dns: 'codegym.test.svc', port }, resolver })
  t.same(asked, ['codegym.test.svc'])
  t.same(cluster.servers().map((server) => server.url), [`ws://127.0.0.1:${port}/`, `ws://127.0.0.2:${port}/`])
  const sessions = await Promise.all([1, 2, 3, 4].map((seed) => cluster.reset(maxSubarray, { seed })))
  t.same([first.sessionCount, second.sessionCount], [2, 2], 'sessions on both addresses')
  await Promise.all(sessions.map((session) => session.close()))
  await cluster.refresh()
  t.equal(cluster.servers().length, 2, 'resolving again finds no new server')
  await cluster.close()
})

await t.test('a DNS name is resolved again on its own: new addresses join rotation, gone ones leave, no refresh() call', async (t) => {
  const first = await startServer({ host: '127.0.0.1' })
  const port = first.address.port
  const second = await startServer({ host: '127.0.0.2', port })
  t.teardown(() => stopAll([first, second]))
  let addresses = ['127.0.0.1']
  let resolutions = 0
  const resolver = async (): Promise<string[]> => { resolutions++; return addresses }
  const cluster = await CodeGymCluster.connect({ servers: { dns: 'codegym.test.svc', port }, resolver, refreshIntervalMs: 50, ...quickProbes })
  const firstUrl = `ws://127.0.0.1:${port}/`
  const secondUrl = `ws://127.0.0.2:${port}/`
  const inRotation = (): string[] => cluster.servers().filter((entry) => entry.state === 'up' && entry.listed).map((entry) => entry.url)
  const until = async (what: string, condition: () => boolean): Promise<void> => {
    const deadline = Date.now() + 20_000
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`not within 20 s: ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
  const session = await cluster.reset(maxSubarray, { seed: 1 })
  t.equal(session.server, firstUrl)
  addresses = ['127.0.0.1', '127.0.0.2']
  await until('the new address joins rotation', () => inRotation().includes(secondUrl))
  addresses = ['127.0.0.2']
  await until('the old address leaves rotation', () => !inRotation().includes(firstUrl))
  t.same(inRotation(), [secondUrl], 'only the listed server takes new sessions')
  const next = await cluster.reset(maxSubarray, { seed: 2 })
  t.equal(next.server, secondUrl, 'a new session goes to the listed server')
  t.equal((await session.step({ name: 'GetLength' })).info.step, 1, 'a live session on the unlisted server goes on there until it drains')
  t.equal(session.server, firstUrl)

  // No server in rotation (the name lists an address where nothing listens): a reset waits for the
  // name to list one, resolving it again meanwhile. (A name that fails to resolve keeps the servers known.)
  addresses = ['127.0.0.3']
  await until('no server is in rotation', () => inRotation().length === 0)
  const before = resolutions
  const waiting = cluster.reset(maxSubarray, { seed: 3 })
  await until('the waiting reset resolves the name again', () => resolutions > before)
  addresses = ['127.0.0.2']
  t.equal((await waiting).server, secondUrl, 'the waiting reset lands once the name lists a server')
  await cluster.close()

  const impatient = await CodeGymCluster.connect({ servers: { dns: 'codegym.test.svc', port }, resolver, refreshIntervalMs: 50, noServerWaitMs: 100, ...quickProbes })
  addresses = ['127.0.0.3']
  await until('no server is in rotation', () => impatient.servers().every((entry) => entry.state !== 'up' || !entry.listed))
  await t.rejects(impatient.reset(maxSubarray, { seed: 4 }), NoServerAvailableError, 'past noServerWaitMs: NoServerAvailableError')
  await impatient.close()
})

await t.test('a reset waiting for a server does not starve the event loop: resolutions are spaced by minRefreshGapMs and timers run', async (t) => {
  const server = await startServer({ host: '127.0.0.1' })
  const port = server.address.port
  t.teardown(() => stopAll([server]))
  // Answered from memory, like a caching resolver: a resolution does no I/O of its own.
  let addresses = ['127.0.0.1']
  const resolvedAt: number[] = []
  const resolver = async (): Promise<string[]> => { resolvedAt.push(performance.now()); return addresses }
  const minRefreshGapMs = 20
  const cluster = await CodeGymCluster.connect({ servers: { dns: 'codegym.test.svc', port }, resolver, refreshIntervalMs: 0, minRefreshGapMs, ...quickProbes, maxProbes: 1000 })
  t.teardown(() => cluster.close())
  // Nothing listens on the one listed address: it is down and probed, nothing is in rotation.
  addresses = ['127.0.0.3']
  await cluster.refresh()
  t.same(cluster.servers().filter((entry) => entry.state === 'up' && entry.listed), [], 'no server is in rotation')
  const before = resolvedAt.length
  const waiting = cluster.reset(maxSubarray, { seed: 5 })
  // This poll is a timer: it runs only if the waiting reset leaves the event loop free.
  const deadline = Date.now() + 20_000
  while (resolvedAt.length < before + 5) {
    if (Date.now() > deadline) throw new Error('the waiting reset did not resolve the name again within 20 s')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  addresses = ['127.0.0.1']
  t.equal((await waiting).server, `ws://127.0.0.1:${port}/`, 'the waiting reset lands once the name lists a server again')
  const gaps = resolvedAt.slice(before).map((at, index, all) => index === 0 ? Infinity : at - all[index - 1]!)
  // Timers fire at their delay or later; 1 ms allows for the rounding of their start time.
  t.ok(gaps.every((gap) => gap >= minRefreshGapMs - 1), `resolutions at least ${minRefreshGapMs} ms apart (smallest ${Math.min(...gaps).toFixed(1)} ms)`)
})

await t.test('a server whose connection attempt never completes does not hold up resolving the name again', async (t) => {
  const first = await startServer({ host: '127.0.0.1' })
  const port = first.address.port
  const second = await startServer({ host: '127.0.0.2', port })
  // Accepts TCP connections and never answers the WebSocket upgrade.
  const sockets: Socket[] = []
  const silent = createTcpServer((socket) => { sockets.push(socket) })
  await new Promise<void>((resolve, reject) => { silent.once('error', reject); silent.listen(port, '127.0.0.3', resolve) })
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => silent.close(resolve))
    await stopAll([first, second])
  })
  let addresses = ['127.0.0.1']
  let resolutions = 0
  const resolver = async (): Promise<string[]> => { resolutions++; return addresses }
  // The upgrade's own timeout is far longer than this test waits: only the name's next resolution brings the second server in.
  const cluster = await CodeGymCluster.connect({ servers: { dns: 'codegym.test.svc', port }, resolver, refreshIntervalMs: 50, ...quickProbes, client: { ...quickProbes.client, handshakeTimeoutMs: 600_000 } })
  t.teardown(() => cluster.close())
  const silentUrl = `ws://127.0.0.3:${port}/`
  const secondUrl = `ws://127.0.0.2:${port}/`
  const state = (url: string): string | undefined => cluster.servers().find((entry) => entry.url === url)?.state
  const until = async (what: string, condition: () => boolean): Promise<void> => {
    const deadline = Date.now() + 20_000
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`not within 20 s: ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
  addresses = ['127.0.0.1', '127.0.0.3']
  await until('the silent server is being connected', () => state(silentUrl) === 'connecting' && sockets.length > 0)
  const before = resolutions
  await until('the name is resolved again meanwhile', () => resolutions >= before + 3)
  addresses = ['127.0.0.1', '127.0.0.2', '127.0.0.3']
  await until('the new address joins rotation', () => cluster.servers().some((entry) => entry.url === secondUrl && entry.state === 'up' && entry.listed))
  t.equal(state(silentUrl), 'connecting', 'while the silent server is still being connected')
  addresses = ['127.0.0.2']
  await until('the silent server is dropped once the name no longer lists it', () => state(silentUrl) === 'removed')
  const session = await cluster.reset(maxSubarray, { seed: 6 })
  t.equal(session.server, secondUrl, 'a new session goes to the listed server')
})

await t.test('a drained server leaves rotation and its sessions finish elsewhere with the reference results', async (t) => {
  const servers = await startServers(3, { drainGraceMs: 100 })
  t.teardown(() => stopAll(servers))
  const cluster = await CodeGymCluster.connect({ servers: servers.map((server) => server.url), ...quickProbes })
  const out: string[] = []
  cluster.on('server-out', ({ url, reason }) => out.push(`${reason} ${url}`))
  let migrations = 0
  cluster.on('migrated', () => { migrations++ })
  const drainedUrl = href(servers[1]!)
  let drained: Promise<void> | undefined
  const played = await clusterRun(cluster, episodes, (total) => {
    if (total === 12) drained = servers[1]!.drain()
  })
  await drained
  t.same(played, reference, 'every episode has the reference observations, rewards and step counts')
  t.ok(migrations >= 1, `sessions moved (${migrations})`)
  t.ok(out.includes(`draining ${drainedUrl}`), 'the drained server left rotation')
  t.equal(cluster.servers().find((server) => server.url === drainedUrl)?.sessions, 0, 'no session stays on it')
  await cluster.close()
})

for (const snapshotEverySteps of [1, 4]) {
  await t.test(`a lost server's sessions are rebuilt from their snapshot every ${snapshotEverySteps} step(s) and the replay`, async (t) => {
    const servers = await startServers(3)
    t.teardown(() => stopAll(servers))
    const cluster = await CodeGymCluster.connect({ servers: servers.map((server) => server.url), snapshotEverySteps, ...quickProbes })
    const replayed: number[] = []
    cluster.on('migrated', (event) => replayed.push(event.replayed))
    const played = await clusterRun(cluster, episodes, async (total) => {
      if (total === 12) await servers[0]!.close()
    })
    t.same(played, reference, 'every episode has the reference observations, rewards and step counts')
    t.ok(replayed.length >= 1, `sessions moved (${replayed.length})`)
    const batches = (await servers[1]!.metrics.requests.get()).values.find((entry) => entry.labels.op === 'batch')?.value ?? 0
    t.equal(batches, 0, 'snapshots come with the step results, not in batches')
    if (snapshotEverySteps === 1) t.ok(replayed.every((count) => count === 0), 'with a snapshot every step nothing is replayed')
    else t.ok(replayed.every((count) => count < snapshotEverySteps), `at most ${snapshotEverySteps - 1} actions replayed (${replayed.join(', ')})`)
    await cluster.close()
  })
}

await t.test('a server without the step snapshot option gets the snapshot requests in a batch, and sessions still move', async (t) => {
  // These in-process servers refuse `snapshot` in step and done params, as servers from before the
  // option do (the params schema has no such key).
  const validators = paramsValidators as Map<Op, Validator<unknown>>
  const originals = new Map((['step', 'done'] as const).map((op) => [op, validators.get(op)!]))
  for (const [op, validate] of originals) {
    let lastError = ''
    const older = (params: unknown): boolean => {
      if (typeof params === 'object' && params !== null && 'snapshot' in params) {
        lastError = 'params must NOT have additional properties (snapshot)'
        return false
      }
      const ok = validate(params)
      lastError = validate.lastError
      return ok
    }
    Object.defineProperty(older, 'lastError', { get: () => lastError })
    validators.set(op, older as Validator<unknown>)
  }
  t.teardown(() => { for (const [op, validate] of originals) validators.set(op, validate) })
  const servers = await startServers(3)
  t.teardown(() => stopAll(servers))
  const cluster = await CodeGymCluster.connect({ servers: servers.map((server) => server.url), ...quickProbes })
  let moves = 0
  cluster.on('migrated', () => { moves++ })
  const played = await clusterRun(cluster, episodes, async (total) => {
    if (total === 12) await servers[2]!.close()
  })
  t.same(played, reference, 'every episode has the reference observations, rewards and step counts')
  t.ok(moves >= 1, `sessions moved (${moves})`)
  const batches = (await servers[0]!.metrics.requests.get()).values.find((entry) => entry.labels.op === 'batch')?.value ?? 0
  t.ok(batches > 0, `the snapshots came in batches (${batches} on one server)`)
  await cluster.close()
})

/** A TCP relay to a server whose answers can be held back: the server looks hung to its clients. */
async function freezableRelay (target: CodeGymServer): Promise<{ url: string, freeze: () => void, close: () => Promise<void> }> {
  let frozen = false
  const sockets = new Set<Socket>()
  const relay = createTcpServer((client) => {
    const upstream = connectTcp(target.address.port, '127.0.0.1')
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => socket.destroy())
      socket.on('close', () => { client.destroy(); upstream.destroy() })
    }
    client.pipe(upstream)
    upstream.on('data', (chunk: Buffer) => { if (!frozen) client.write(chunk) })
  })
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve))
  return {
    url: `ws://127.0.0.1:${(relay.address() as AddressInfo).port}`,
    freeze: () => { frozen = true },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => relay.close(resolve))
    },
  }
}

await t.test('a step with no answer in requestTimeoutMs is taken on another server, once', async (t) => {
  const servers = await startServers(2)
  t.teardown(() => stopAll(servers))
  const relay = await freezableRelay(servers[0]!)
  t.teardown(() => relay.close())
  const cluster = await CodeGymCluster.connect({ servers: [relay.url, servers[1]!.url], ...quickProbes, client: { requestTimeoutMs: 2500, reconnect: { attempts: 1 } } })
  const moved: string[] = []
  cluster.on('migrated', ({ from }) => moved.push(from))
  const played = await clusterRun(cluster, episodes.slice(0, 4), (total) => {
    if (total === 8) relay.freeze()
  })
  t.same(played, reference.slice(0, 4), 'every episode has the reference observations, rewards and step counts')
  t.ok(moved.length >= 1 && moved.every((from) => from === new URL(relay.url).href), `the sessions behind the hung relay moved (${moved.length})`)
  await cluster.close()
})

await t.test('with snapshots off, a lost server\'s sessions are replayed from their reset elsewhere', async (t) => {
  const servers = await startServers(3)
  t.teardown(() => stopAll(servers))
  const cluster = await CodeGymCluster.connect({ servers: servers.map((server) => server.url), snapshotEverySteps: 0, ...quickProbes })
  const moves: Array<{ base: string, replayed: number, step: number }> = []
  cluster.on('migrated', ({ base, replayed, step }) => moves.push({ base, replayed, step }))
  const played = await clusterRun(cluster, episodes, async (total) => {
    if (total === 12) await servers[0]!.close()
  })
  t.same(played, reference, 'every episode has the reference observations, rewards and step counts')
  t.ok(moves.length >= 1, `sessions moved (${moves.length})`)
  t.ok(moves.every((move) => move.base === 'reset' && move.replayed === move.step), 'each was rebuilt from its reset, every acknowledged action replayed')
  await cluster.close()
})

for (const drainGraceMs of [30_000, 0]) {
  const how = drainGraceMs > 0 ? 'on a snapshot taken during the drain' : 'with no grace, by a replay from their reset'
  await t.test(`with snapshots off, a drained server's sessions move ${how} (drain grace ${drainGraceMs} ms)`, async (t) => {
    const servers = await startServers(3, { drainGraceMs })
    t.teardown(() => stopAll(servers))
    const cluster = await CodeGymCluster.connect({ servers: servers.map((server) => server.url), snapshotEverySteps: 0, ...quickProbes })
    const moves: Array<{ from: string, base: string, replayed: number }> = []
    cluster.on('migrated', ({ from, base, replayed }) => moves.push({ from, base, replayed }))
    const drainedUrl = href(servers[1]!)
    let drained: Promise<void> | undefined
    const played = await clusterRun(cluster, episodes, (total) => {
      if (total === 12) drained = servers[1]!.drain()
    })
    t.same(played, reference, 'every episode has the reference observations, rewards and step counts')
    t.ok(moves.length >= 1 && moves.every((move) => move.from === drainedUrl), `the drained server's sessions moved (${moves.length})`)
    if (drainGraceMs > 0) t.ok(moves.every((move) => move.base === 'drain-snapshot' && move.replayed === 0), 'each from a snapshot taken on the draining server, nothing replayed')
    else t.ok(moves.every((move) => move.base === 'reset'), `each from its reset (${moves.map((move) => move.base).join(', ')})`)
    // With a 30 s grace the drain still ends at once: no session is left there.
    await drained
    t.equal(servers[1]!.sessionCount, 0, 'the drained server kept no session')
    await cluster.close()
  })
}

await t.test('a server that refuses foreign snapshots (invalid_snapshot): sessions are replayed from their reset', async (t) => {
  // As servers that sign snapshots with a key of their own: a restore elsewhere fails.
  const restore = Runtime.prototype.restore
  Runtime.prototype.restore = function (): never { throw new CodeGymError('invalid_snapshot', 'the snapshot was not made by this server') }
  t.teardown(() => { Runtime.prototype.restore = restore })
  const servers = await startServers(3, { drainGraceMs: 30_000 })
  t.teardown(() => stopAll(servers))
  // One move at a time: the moves off the drained and the closed server queue behind each other.
  const cluster = await CodeGymCluster.connect({ servers: servers.map((server) => server.url), snapshotEverySteps: 2, maxConcurrentMoves: 1, ...quickProbes })
  const bases: string[] = []
  cluster.on('migrated', ({ base }) => bases.push(base))
  let drained: Promise<void> | undefined
  const played = await clusterRun(cluster, episodes, async (total) => {
    if (total === 12) drained = servers[1]!.drain()
    if (total === 40) await servers[2]!.close()
  })
  await drained
  t.same(played, reference, 'every episode has the reference observations, rewards and step counts')
  t.ok(bases.length >= 2, `sessions moved (${bases.length})`)
  t.ok(bases.every((base) => base === 'reset'), 'every move fell back to the reset and a replay')
  await cluster.close()
})

await t.test('a replay that differs from the acknowledged results fails loudly with ReplayMismatchError', async (t) => {
  // A second server whose copy of the env answers GetLength differently: same id, other code.
  const dir = mkdtempSync(join(tmpdir(), 'codegym-cluster-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const changed = join(dir, 'max-subarray')
  cpSync(exampleEnvDirs[0]!, changed, { recursive: true })
  const source = readFileSync(join(changed, 'env.js'), 'utf8')
  const patched = source.replace('return state.values.length', 'return state.values.length + 1')
  t.not(patched, source, 'the copy is patched')
  writeFileSync(join(changed, 'env.js'), patched)
  const original = await startServer()
  const other = await startServer({ envDirs: [changed] })
  t.teardown(() => stopAll([original, other]))
  const cluster = await CodeGymCluster.connect({ servers: [original.url], snapshotEverySteps: 100, ...quickProbes })
  const session = await cluster.reset(maxSubarray, { seed: 9 })
  for (let n = 0; n < 3; n++) await session.step(scriptedAction(0, n))
  await cluster.close()

  const two = await CodeGymCluster.connect({ servers: [original.url, other.url], snapshotEverySteps: 100, ...quickProbes })
  const moving = await two.reset(maxSubarray, { seed: 9 }, {})
  if (moving.server !== href(original)) {
    await moving.close()
    t.fail('least-loaded with equal loads starts at the first server')
    return
  }
  for (let n = 0; n < 3; n++) await moving.step(scriptedAction(0, n))
  await original.close()
  const error = await moving.step(scriptedAction(0, 3)).catch((caught: unknown) => caught)
  t.type(error, ReplayMismatchError)
  t.equal((error as ReplayMismatchError).atStep, 1, 'the first replayed GetLength differs')
  t.ok(moving.isLost, 'the session is not continued')
  await two.close()
})

await t.test('typed errors for servers that cannot be used and for bad options', async (t) => {
  const server = await startServer()
  const url = server.url
  await server.close()
  const error = await CodeGymCluster.connect({ servers: [url], ...quickProbes }).catch((caught: unknown) => caught)
  t.type(error, NoServerAvailableError)
  t.ok((error as NoServerAvailableError).causes.get(new URL(url).href)?.startsWith('unreachable'), 'says why each server is out')
  await t.rejects(CodeGymCluster.connect({ servers: [] }), { name: 'ServerListError' })
  await t.rejects(CodeGymCluster.connect({ servers: ['http://127.0.0.1:1'] }), { name: 'ServerListError' })
  await t.rejects(CodeGymCluster.connect({ servers: [url], snapshotEverySteps: -1 }), RangeError)
  await t.rejects(CodeGymCluster.connect({ servers: [url], placement: 'random' as never }), RangeError)
})

await t.test('a server that comes back on its address is probed back into rotation', async (t) => {
  const first = await startServer()
  const port = first.address.port
  const firstUrl = href(first)
  const steady = await startServer()
  t.teardown(() => stopAll([steady]))
  // Probes keep coming for 200 × 200 ms: a server restarting on a busy machine has time to listen.
  // One reconnect try only, so the connections give up before the new server listens (a resume
  // there would find no sessions and keep the server in rotation without a probe).
  const cluster = await CodeGymCluster.connect({ servers: [first.url, steady.url], ...quickProbes, maxProbes: 200, client: { reconnect: { attempts: 1 } } })
  const back = new Promise<string>((resolve, reject) => {
    cluster.once('server-in', ({ url }) => resolve(url))
    cluster.once('server-removed', ({ url }) => reject(new Error(`${url} was removed: every probe failed`)))
  })
  await first.close()
  const again = await startServer({ port })
  t.teardown(() => stopAll([again]))
  t.equal(await back, firstUrl, 'the server is in rotation again')
  t.equal(cluster.servers().find((entry) => entry.url === firstUrl)?.state, 'up')
  await cluster.close()
})
