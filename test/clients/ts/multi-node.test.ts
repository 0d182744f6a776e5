// Three codegym-serve processes on loopback and two cluster clients running episodes across them
// (one snapshotting every step, one every third step, so moves both restore and replay). Mid-run
// one server is killed with SIGKILL and another drained with SIGTERM: every episode must finish
// with exactly the observations, rewards and step counts of an in-process run without faults.
import type { ChildProcess } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { CodeGymCluster, type CodeGymClusterOptions } from '../../../clients/ts/cluster.ts'
import { startCodegymServer } from '../../../bench/load/run.ts'
import { exampleEnvDirs } from '../../helpers/envs.ts'
import { clusterRun, referenceRun, scriptedEpisode, type PlayedEpisode } from './cluster-harness.ts'

const serverCount = 3
const episodesPerClient = 12
const stepsPerEpisode = 20
/** Acknowledged steps (over both clients) after which a server is killed, then one drained. */
const killAtStep = 120
const drainAtStep = 260
/** How long the clients may take to notice a killed server before the test fails. */
const noticeLimitMs = 20_000

/** The servers share a snapshot key: each would otherwise sign with its own and refuse the others' snapshots. */
const sharedSnapshotKey = ['--snapshot-key', 'multi-node-tests-shared-snapshot-key-0123456789']

interface LocalServer { url: string, process: ChildProcess, exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }> }

const servers: LocalServer[] = await Promise.all(Array.from({ length: serverCount }, async () => {
  const started = await startCodegymServer(['--workers', '1', '--envs', ...exampleEnvDirs, ...sharedSnapshotKey])
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    started.process.once('exit', (code, signal) => resolve({ code, signal }))
  })
  return { url: new URL(started.url).href, process: started.process, exited }
}))
t.teardown(() => { for (const server of servers) if (server.process.exitCode === null && server.process.signalCode === null) server.process.kill('SIGKILL') })

const options: Partial<CodeGymClusterOptions> = { probeInitialDelayMs: 100, probeMaxDelayMs: 400, maxProbes: 4, drainSettleMs: 500, client: { reconnect: { attempts: 2, initialDelayMs: 50 } } }
const every1 = await CodeGymCluster.connect({ servers: servers.map((server) => server.url), ...options, snapshotEverySteps: 1 })
const every3 = await CodeGymCluster.connect({ servers: servers.map((server) => server.url), ...options, snapshotEverySteps: 3 })
t.teardown(async () => { await every1.close(); await every3.close() })

const events: string[] = []
const replayed: number[] = []
for (const [name, cluster] of [['every1', every1], ['every3', every3]] as const) {
  cluster.on('server-out', ({ url, reason }) => events.push(`${name} out ${reason} ${url}`))
  cluster.on('migrated', (event) => { replayed.push(event.replayed); events.push(`${name} moved ${event.from} -> ${event.to} at ${event.step}, replayed ${event.replayed}`) })
}

const episodes = Array.from({ length: episodesPerClient * 2 }, (_, index) => scriptedEpisode(index, stepsPerEpisode))
const reference = await referenceRun(episodes)

/** The server in rotation holding the most live sessions of both clients: a fault there hits the most episodes. */
function busiestServer (): LocalServer {
  const load = new Map<string, number>()
  for (const cluster of [every1, every3]) {
    for (const entry of cluster.servers()) if (entry.state === 'up') load.set(entry.url, (load.get(entry.url) ?? 0) + entry.sessions)
  }
  const [url] = [...load].sort((a, b) => b[1] - a[1])[0]!
  return servers.find((server) => server.url === url)!
}

let total = 0
let killed: LocalServer | undefined
let drained: LocalServer | undefined
const noticed = (server: LocalServer): boolean =>
  [every1, every3].every((cluster) => cluster.servers().some((entry) => entry.url === server.url && entry.state !== 'up'))
const afterStep = async (): Promise<void> => {
  total++
  if (killed === undefined && total >= killAtStep) {
    killed = busiestServer()
    killed.process.kill('SIGKILL')
  }
  // Every episode waits here until both clients took the killed server out of rotation, so the
  // drain below hits another server while episodes still have steps to take.
  if (killed !== undefined && !noticed(killed)) {
    const deadline = Date.now() + noticeLimitMs
    while (!noticed(killed)) {
      if (Date.now() > deadline) throw new Error(`the clients did not notice the killed server within ${noticeLimitMs} ms`)
      await sleep(10)
    }
  }
  if (drained === undefined && total >= drainAtStep) {
    drained = busiestServer()
    drained.process.kill('SIGTERM')
  }
}

const [played1, played3] = await Promise.all([
  clusterRun(every1, episodes.slice(0, episodesPerClient), afterStep),
  clusterRun(every3, episodes.slice(episodesPerClient), afterStep),
])
const played: PlayedEpisode[] = [...played1, ...played3]
t.comment(events.join('\n'))

t.ok(killed !== undefined && drained !== undefined && killed !== drained, 'one server was killed and another drained mid-run')
t.equal(played.length, reference.length, 'every episode finished')
for (const [index, episode] of played.entries()) {
  t.same(episode, reference[index], `episode ${index}: the reference observations, rewards and step counts`)
}
t.same(played.map((episode) => episode.results.length), reference.map(() => stepsPerEpisode + 1), 'each episode took every action once')
t.ok(events.some((line) => line.includes(`out lost ${killed!.url}`)), 'the killed server left rotation as lost')
t.ok(events.some((line) => line.includes(`out draining ${drained!.url}`)), 'the drained server left rotation on its draining event')
t.ok(events.some((line) => line.includes(`moved ${killed!.url}`)), 'sessions moved off the killed server')
t.ok(events.some((line) => line.includes(`moved ${drained!.url}`)), 'sessions moved off the drained server')
t.ok(replayed.some((count) => count > 0), 'some moves replayed acknowledged actions (snapshots every third step)')
t.same(await killed!.exited, { code: null, signal: 'SIGKILL' }, 'the killed server died by SIGKILL')
t.same(await drained!.exited, { code: 0, signal: null }, 'the drained server exited 0 after its drain')
const survivor = servers.find((server) => server !== killed && server !== drained)!
for (const cluster of [every1, every3]) {
  t.same(cluster.servers().filter((entry) => entry.state === 'up').map((entry) => entry.url), [survivor.url], 'only the third server is in rotation')
}
