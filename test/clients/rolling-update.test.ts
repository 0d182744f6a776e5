// A rolling update, end to end, as Kubernetes plays one: codegym-serve processes on loopback
// addresses 127.0.0.2, 127.0.0.3, … sharing one port, behind a name whose addresses change over
// time (the clients' resolver reads them from a file the test rewrites, as a headless Service's DNS
// answer changes). One by one, each server is replaced: a new one starts (maxSurge 1), the name
// stops listing the old one and lists the new one, the old one gets SIGTERM and drains. Meanwhile
// episodes run through the TypeScript and the Python cluster clients, each with snapshots every step
// and with snapshots off, and nobody calls refresh(). Every episode must finish identical to an
// undisturbed in-process run, and every server must drain and exit 0.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { CodeGymCluster } from '../../clients/ts/cluster.ts'
import type { StepResult } from '../../src/schemas/protocol.generated.ts'
import { exampleEnvDirs } from '../helpers/envs.ts'
import { ServeProcess } from '../../tools/serve-process.ts'
import { maxSubarray, referenceRun, scriptedEpisode, type PlayedEpisode } from './ts/cluster-harness.ts'

const python = process.env.PYTHON ?? '/usr/bin/python3'
const pythonClient = fileURLToPath(new URL('../../clients/python/tests/rolling_update_client.py', import.meta.url))

/** Servers at the start; each is replaced in turn, and the first replacement is replaced too. */
const initialServers = 2
const replacements = 3
/** Steps each episode takes between two replacements (a gate holds it until the next phase). */
const stepsPerPhase = 4
const episodesPerClient = 3
const cadences = [1, 0]
/** Upper bound on any one wait of the test, so a broken run fails rather than hangs. */
const waitLimitMs = 60_000

const dir = mkdtempSync(join(tmpdir(), 'codegym-rolling-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const namesFile = join(dir, 'names')
const phaseFile = join(dir, 'phase')
writeFileSync(phaseFile, '0\n')

const episodes = Array.from({ length: episodesPerClient }, (_, index) => scriptedEpisode(index, stepsPerPhase * (replacements + 1) - 1))
const reference = await referenceRun(episodes)

// ---------------------------------------------------------------------------------------- servers

interface Pod { address: string, process: ServeProcess }
const pods: Pod[] = []
t.teardown(() => { for (const pod of pods) pod.process.kill() })
let nextAddress = 2
let port = 0

/** A server on the next free loopback address, on the shared port (the first one picks the port). */
async function startPod (): Promise<Pod> {
  for (let tries = 0; tries < 20; tries++) {
    const address = `127.0.0.${nextAddress++}`
    try {
      const process = await ServeProcess.start(['--host', address, '--port', String(port), '--workers', '1', '--sandbox-workers', '1', '--drain-grace-ms', '30000', '--envs', ...exampleEnvDirs])
      port = new URL(process.url).port === '' ? port : Number(new URL(process.url).port)
      const pod = { address, process }
      pods.push(pod)
      return pod
    } catch (error) {
      // Someone else holds this address and port: take the next address.
      if (!/EADDRINUSE/.test(String(error))) throw error
    }
  }
  throw new Error('no free loopback address for a server')
}

let listed: string[] = []
function publish (addresses: string[]): void {
  listed = addresses
  writeFileSync(namesFile, addresses.join('\n') + '\n')
}
const resolver = async (): Promise<string[]> => listed

const live: Pod[] = []
for (let i = 0; i < initialServers; i++) live.push(await startPod())
publish(live.map((pod) => pod.address))

// ----------------------------------------------------------------------------------------- phases

let phase = 0
const phaseWaiters = new Set<() => void>()
function setPhase (next: number): void {
  phase = next
  writeFileSync(phaseFile, `${next}\n`)
  for (const wake of [...phaseWaiters]) wake()
}

/** How many episodes wait at each gate, over the TypeScript clients; the Python client reports its own. */
const tsWaiting = new Map<number, number>()
const pythonWaiting = new Set<number>()
const progressWaiters = new Set<() => void>()
const progressed = (): void => { for (const wake of [...progressWaiters]) wake() }

async function until (what: string, condition: () => boolean, watchers: Set<() => void>): Promise<void> {
  const deadline = Date.now() + waitLimitMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${waitLimitMs} ms: ${what}`)
    await new Promise<void>((resolve) => {
      const wake = (): void => { clearTimeout(timer); watchers.delete(wake); resolve() }
      const timer = setTimeout(wake, 100)
      watchers.add(wake)
    })
  }
}

async function gate (k: number): Promise<void> {
  if (phase >= k) return
  tsWaiting.set(k, (tsWaiting.get(k) ?? 0) + 1)
  progressed()
  await until(`phase ${k}`, () => phase >= k, phaseWaiters)
}

// ---------------------------------------------------------------------------------------- clients

const moves: Array<{ client: string, from: string, base: string }> = []
const tsClusters = await Promise.all(cadences.map(async (snapshotEverySteps) => {
  const cluster = await CodeGymCluster.connect({
    servers: { dns: 'codegym.rolling.test', port }, resolver, snapshotEverySteps,
    refreshIntervalMs: 200, probeInitialDelayMs: 50, probeMaxDelayMs: 200, drainSettleMs: 500,
  })
  cluster.on('migrated', ({ from, base }) => moves.push({ client: `ts every ${snapshotEverySteps}`, from, base }))
  return { snapshotEverySteps, cluster }
}))
t.teardown(async () => { for (const { cluster } of tsClusters) await cluster.close() })

async function playTs (cluster: CodeGymCluster): Promise<PlayedEpisode[]> {
  const sessions = await Promise.all(episodes.map(({ options }) => cluster.reset(maxSubarray, options)))
  return Promise.all(episodes.map(async ({ actions }, index) => {
    const session = sessions[index]!
    const results: StepResult[] = []
    for (const [n, action] of actions.entries()) {
      await gate(Math.floor(n / stepsPerPhase))
      results.push(await session.step(action))
    }
    await session.close()
    return { observation: session.resetResult.observation, results }
  }))
}

const setup = { names: namesFile, port, phase: phaseFile, steps_per_phase: stepsPerPhase, episodes, cadences }
const child = spawn(python, [pythonClient, JSON.stringify(setup)], { stdio: ['ignore', 'pipe', 'pipe'] })
t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
let pythonStderr = ''
child.stderr.setEncoding('utf8').on('data', (chunk: string) => { pythonStderr += chunk })
const pythonResult = new Promise<{ played: Record<string, PlayedEpisode[]>, moves: Array<{ cadence: number, from: string, base: string }> }>((resolve, reject) => {
  let result: string | undefined
  createInterface({ input: child.stdout }).on('line', (line) => {
    const waiting = /^waiting (\d+)$/.exec(line)
    if (waiting !== null) {
      pythonWaiting.add(Number(waiting[1]))
      progressed()
    } else if (line.startsWith('result ')) {
      result = line.slice('result '.length)
    }
  })
  child.once('exit', (code) => {
    progressed()
    if (code === 0 && result !== undefined) resolve(JSON.parse(result))
    else reject(new Error(`the Python client exited ${code}:\n${pythonStderr}`))
  })
})
pythonResult.catch(() => undefined) // awaited below; a failure meanwhile must not go unhandled

const tsPlayed = Promise.all(tsClusters.map(({ cluster }) => playTs(cluster)))
tsPlayed.catch(() => undefined)

// ----------------------------------------------------------------------------------- the rollout

const drained: Array<{ address: string, exit: { code: number | null, signal: NodeJS.Signals | null } }> = []
for (let k = 1; k <= replacements; k++) {
  // Every episode of every client has taken its steps of this phase and waits: all are live.
  await until(`every episode waits at phase ${k}`, () => (tsWaiting.get(k) ?? 0) === episodesPerClient * cadences.length && (pythonWaiting.has(k) || child.exitCode !== null), progressWaiters)
  if (child.exitCode !== null) break
  const old = live.shift()!
  const fresh = await startPod()
  live.push(fresh)
  // The endpoints drop the terminating pod and add the new one, then the kubelet sends SIGTERM.
  publish(live.map((pod) => pod.address))
  old.process.child.kill('SIGTERM')
  setPhase(k) // the episodes go on while the old server drains
  drained.push({ address: old.address, exit: await old.process.exited })
}

const [tsOutcome, pythonOutcome] = await Promise.all([tsPlayed, pythonResult])
const tally = new Map<string, number>()
for (const { client, base } of [...moves, ...pythonOutcome.moves.map((move) => ({ client: `python every ${move.cadence}`, base: move.base }))]) {
  tally.set(`${client}, from ${base}`, (tally.get(`${client}, from ${base}`) ?? 0) + 1)
}
t.comment(`moves: ${[...tally].map(([what, count]) => `${count} × ${what}`).join('; ')}`)

await t.test('every episode finished identical to an undisturbed run', async (t) => {
  for (const [index, { snapshotEverySteps }] of tsClusters.entries()) {
    t.same(tsOutcome[index], reference, `TypeScript client, snapshots every ${snapshotEverySteps}: observations, rewards and step counts`)
  }
  for (const cadence of cadences) {
    t.same(pythonOutcome.played[String(cadence)], JSON.parse(JSON.stringify(reference)), `Python client, snapshots every ${cadence}: observations, rewards and step counts`)
  }
})

await t.test('every server was replaced, drained and exited 0, with sessions moving off it', async (t) => {
  t.equal(drained.length, replacements, `${replacements} servers replaced`)
  for (const { address, exit } of drained) {
    t.same(exit, { code: 0, signal: null }, `${address} drained and exited 0`)
    const url = `ws://${address}:${port}/`
    const from = [...moves.map((move) => move.from), ...pythonOutcome.moves.map((move) => move.from)]
    t.ok(from.includes(url), `sessions moved off ${address}`)
  }
  // Which base a move used depends on the servers: a snapshot taken on the draining server restores
  // elsewhere only when the servers share a snapshot key; otherwise the move replays from the reset.
  const bases = new Set([...moves.map((move) => move.base), ...pythonOutcome.moves.map((move) => move.base)])
  t.ok([...bases].every((base) => ['drain-snapshot', 'snapshot', 'reset'].includes(base)), `moves rebuilt from: ${[...bases].join(', ')}`)
  for (const { cluster } of tsClusters) {
    t.same(cluster.servers().filter((entry) => entry.state === 'up' && entry.listed).map((entry) => entry.url).sort(), live.map((pod) => `ws://${pod.address}:${port}/`).sort(), 'the clients found the new servers on their own')
  }
})
