// Cluster benchmark: the cluster client (clients/ts/cluster.ts) over local codegym-serve processes.
//   - throughput: steps/s through one server and through three, alternating rounds, median of each
//   - snapshots: steps/s with a snapshot taken with every step and with snapshots off, on the three
//     servers, alternating rounds, median of each; the cost ratio (target ≤ 1.3×)
//   - held: idle sessions created and held on one server and on three, with the servers' RSS
// Every step's observation is checked. Writes result.json and summary.md to --out-dir and prints
// the JSON on stdout. See bench/README.md, "bench/cluster.ts".
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { CodeGymCluster } from '../clients/ts/cluster.ts'
import type { ClusterSession } from '../clients/ts/cluster.ts'
import { processTreeUsage } from './load/processes.ts'
import { gitCommit, startCodegymServer, stop } from './load/run.ts'

const env = 'codegym/max-subarray-v1'
/** The bench's task: every GetElement answer is known in advance. */
const task = { id: 'mixed-small', values: [-2, 1, -3, 4, -1, 2, 1, -5, 4] }
/** Episodes start over before T_max, so no step is refused as the episode ended. */
const stepsPerEpisode = 4000

interface Settings {
  quick: boolean
  /** Concurrent sessions stepping, one request in flight each. */
  sessions: number
  warmupMs: number
  measureMs: number
  /** Alternating rounds of each pair of configurations; each reports its median round. */
  rounds: number
  /** Idle sessions held in the held phase. */
  heldSessions: number
  outDir: string | undefined
  command: string
}

function settingsFrom (argv: string[]): Settings {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      sessions: { type: 'string' },
      'measure-ms': { type: 'string' },
      rounds: { type: 'string' },
      'held-sessions': { type: 'string' },
      'out-dir': { type: 'string' },
    },
  })
  const quick = values.quick ?? false
  const number = (text: string | undefined, fallback: number, name: string): number => {
    if (text === undefined) return fallback
    const parsed = Number(text)
    if (!Number.isInteger(parsed) || parsed < 1) throw new RangeError(`--${name} must be a positive integer, not ${text}`)
    return parsed
  }
  return {
    quick,
    sessions: number(values.sessions, quick ? 32 : 256, 'sessions'),
    warmupMs: quick ? 300 : 2000,
    measureMs: number(values['measure-ms'], quick ? 700 : 8000, 'measure-ms'),
    rounds: number(values.rounds, quick ? 1 : 3, 'rounds'),
    heldSessions: number(values['held-sessions'], quick ? 600 : 30_000, 'held-sessions'),
    outDir: values['out-dir'],
    command: `node bench/cluster.ts ${argv.join(' ')}`.trim(),
  }
}

class WrongAnswer extends Error {}

function modifiedFiles (): string[] | null {
  try {
    return execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).split('\n').filter((line) => line.trim() !== '').map((line) => line.slice(3))
  } catch {
    return null
  }
}

interface Round {
  stepsPerSecond: number
  steps: number
  seconds: number
  migrations: number
  /** CPU time per step in the window: the servers with their sandbox processes, and this process (the client). */
  cpuMicrosPerStep: { servers: number, client: number }
}

let checked = 0

/** `sessions` episodes stepping GetElement in a closed loop; counts the steps inside the window. */
async function drive (cluster: CodeGymCluster, settings: Settings, serverPids: readonly number[]): Promise<Round> {
  let counting = false
  let stopping = false
  let steps = 0
  let migrations = 0
  const onMigrated = (): void => { migrations++ }
  cluster.on('migrated', onMigrated)
  const worker = async (index: number): Promise<void> => {
    let session: ClusterSession = await cluster.reset(env, { task: task.id, maxSteps: 4096 })
    for (let n = 0; !stopping; n++) {
      if (n === stepsPerEpisode) {
        await session.close()
        session = await cluster.reset(env, { task: task.id, maxSteps: 4096 })
        n = 0
      }
      const element = (n + index) % task.values.length
      const result = await session.step({ name: 'GetElement', parameters: { index: element } })
      if (result.observation !== task.values[element] || result.info.rolledBack) throw new WrongAnswer(`GetElement ${element} answered ${JSON.stringify(result.observation)}`)
      checked++
      if (counting) steps++
    }
    await session.close()
  }
  const workers = Array.from({ length: settings.sessions }, (_, index) => worker(index))
  const failed = Promise.all(workers).then(() => undefined)
  await Promise.race([sleep(settings.warmupMs), failed])
  const serverCpu = (): number => serverPids.reduce((sum, pid) => sum + processTreeUsage(pid).cpuSeconds, 0)
  const clientCpu = (): number => { const { user, system } = process.cpuUsage(); return (user + system) / 1e6 }
  const cpuBefore = { servers: serverCpu(), client: clientCpu() }
  counting = true
  const started = performance.now()
  await Promise.race([sleep(settings.measureMs), failed])
  counting = false
  const seconds = (performance.now() - started) / 1000
  const perStep = (cpuSeconds: number): number => Math.round(cpuSeconds / Math.max(1, steps) * 1e6 * 10) / 10
  const cpuMicrosPerStep = { servers: perStep(serverCpu() - cpuBefore.servers), client: perStep(clientCpu() - cpuBefore.client) }
  stopping = true
  await failed
  cluster.off('migrated', onMigrated)
  return { stepsPerSecond: Math.round(steps / seconds), steps, seconds: Number(seconds.toFixed(3)), migrations, cpuMicrosPerStep }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** The median over rounds of numerator[i] / denominator[i] (rounds i ran back to back). */
function pairedRatio (numerator: Round[], denominator: Round[]): number {
  const ratios = numerator.map((round, i) => round.stepsPerSecond / denominator[i]!.stepsPerSecond).sort((a, b) => a - b)
  const middle = ratios.length / 2
  const median = ratios.length % 2 === 1 ? ratios[Math.floor(middle)]! : (ratios[middle - 1]! + ratios[middle]!) / 2
  return Number(median.toFixed(3))
}

/** The round with the median rate (the lower middle one for an even count). */
function median (rounds: Round[]): Round {
  return [...rounds].sort((a, b) => a.stepsPerSecond - b.stepsPerSecond)[Math.floor((rounds.length - 1) / 2)]!
}

/** Rounds of configurations a and b, alternating, each on a fresh cluster client. */
async function alternate (settings: Settings, serverPids: readonly number[], a: () => Promise<CodeGymCluster>, b: () => Promise<CodeGymCluster>): Promise<{ a: Round[], b: Round[] }> {
  const rounds = { a: [] as Round[], b: [] as Round[] }
  for (let round = 0; round < settings.rounds; round++) {
    for (const [name, make] of [['a', a], ['b', b]] as const) {
      const cluster = await make()
      try {
        rounds[name].push(await drive(cluster, settings, serverPids))
      } finally {
        await cluster.close()
      }
    }
  }
  return rounds
}

interface Started { url: string, pid: number, stop: () => Promise<void> }

async function startServers (count: number): Promise<Started[]> {
  return Promise.all(Array.from({ length: count }, async () => {
    const { url, process: child } = await startCodegymServer(['--workers', '1'])
    return { url, pid: child.pid!, stop: () => stop(child) }
  }))
}

const rssOf = (servers: readonly Started[]): number => servers.reduce((sum, server) => sum + processTreeUsage(server.pid).rssBytes, 0)

/** `count` idle sessions held through one cluster client, with the servers' RSS before and after. */
async function hold (servers: readonly Started[], count: number): Promise<Record<string, unknown>> {
  const cluster = await CodeGymCluster.connect({ servers: servers.map((server) => server.url), connectionsPerServer: 2 })
  try {
    // A few sessions first, so the servers' first-use allocations are not counted per session.
    const warm = await Promise.all(Array.from({ length: 50 }, () => cluster.reset(env, { task: task.id })))
    await Promise.all(warm.map((session) => session.close()))
    const rssBefore = rssOf(servers)
    const started = performance.now()
    const held: ClusterSession[] = []
    const chunk = 500
    for (let made = 0; made < count; made += chunk) {
      held.push(...await Promise.all(Array.from({ length: Math.min(chunk, count - made) }, (_, i) => cluster.reset(env, { seed: made + i, difficulty: 'easy' }))))
    }
    const seconds = (performance.now() - started) / 1000
    const rssAfter = rssOf(servers)
    const perServer = cluster.servers().map((server) => server.sessions)
    // Every held session still answers.
    const probe = held[held.length - 1]!
    const answer = await probe.observe()
    if (answer === undefined) throw new WrongAnswer('a held session did not answer observe')
    for (let i = 0; i < held.length; i += chunk) await Promise.all(held.slice(i, i + chunk).map((session) => session.close()))
    return {
      servers: servers.length,
      sessions: held.length,
      sessionsPerServer: perServer,
      resetsPerSecond: Math.round(held.length / seconds),
      serverRssBytesBefore: rssBefore,
      serverRssBytesAfter: rssAfter,
      rssBytesPerSession: Math.round((rssAfter - rssBefore) / held.length),
    }
  } finally {
    await cluster.close()
  }
}

/** Size of one snapshot of the bench's episode, as the cluster keeps it. */
async function snapshotBytes (url: string): Promise<number> {
  const { CodeGymClient } = await import('../clients/ts/client.ts')
  const client = await CodeGymClient.connect(url)
  try {
    const { session } = await client.reset(env, { task: task.id, maxSteps: 4096 })
    await client.step(session, { name: 'GetElement', parameters: { index: 0 } })
    return (await client.snapshot(session)).snapshot.byteLength
  } finally {
    await client.close()
  }
}

function summary (result: Record<string, any>): string {
  const t = result.throughput
  const s = result.snapshots
  const h = result.held
  return [
    `# Cluster bench${result.quick ? ' (quick)' : ''}`,
    '',
    `${result.machine.cpus} CPUs, load average ${result.machine.loadAverage.start.join(' / ')} at the start and ${result.machine.loadAverage.end.join(' / ')} at the end; ${result.settings.sessions} sessions stepping, one step in flight each, ${result.settings.rounds} alternating rounds of ${result.settings.measureMs} ms per configuration; "paired" is the median of the ratios of rounds run back to back.`,
    '',
    '| what | measured | ratio |',
    '| --- | --- | --- |',
    `| steps/s, 1 server / 3 servers (medians) | ${t.oneServer.stepsPerSecond} / ${t.threeServers.stepsPerSecond} | 3 / 1: ${t.ratio}× paired (${t.ratioOfMedians}× of medians) |`,
    `| steps/s, no snapshots / snapshot every step, 3 servers (medians) | ${s.off.stepsPerSecond} / ${s.everyStep.stepsPerSecond} | cost ${s.costRatio}× paired (${s.costRatioOfMedians}× of medians); target ≤ ${s.target}×: ${s.met ? 'met' : 'not met'} |`,
    `| CPU µs per step (servers + client), no snapshots / snapshot every step | ${s.cpu.offMicrosPerStep} / ${s.cpu.everyStepMicrosPerStep} | ${s.cpu.ratio}× |`,
    `| idle sessions held, 1 server | ${h.oneServer.sessions} (${h.oneServer.rssBytesPerSession} bytes RSS each, ${h.oneServer.resetsPerSecond} resets/s) | |`,
    `| idle sessions held, 3 servers | ${h.threeServers.sessions} (${h.threeServers.sessionsPerServer.join(' + ')}; ${h.threeServers.rssBytesPerSession} bytes RSS each, ${h.threeServers.resetsPerSecond} resets/s) | |`,
    `| snapshot size | ${s.snapshotBytes} bytes | |`,
    '',
  ].join('\n')
}

async function main (): Promise<void> {
  const settings = settingsFrom(process.argv.slice(2))
  const loadStart = os.loadavg().map((value) => Number(value.toFixed(2)))
  const gitModified = modifiedFiles()
  const servers = await startServers(3)
  let result: Record<string, unknown>
  try {
    const urls = servers.map((server) => server.url)
    const pids = servers.map((server) => server.pid)
    const throughput = await alternate(settings, pids,
      () => CodeGymCluster.connect({ servers: urls.slice(0, 1), snapshotEverySteps: 0 }),
      () => CodeGymCluster.connect({ servers: urls, snapshotEverySteps: 0 }))
    const snapshots = await alternate(settings, pids,
      () => CodeGymCluster.connect({ servers: urls, snapshotEverySteps: 0 }),
      () => CodeGymCluster.connect({ servers: urls, snapshotEverySteps: 1 }))
    const bytes = await snapshotBytes(urls[0]!)
    await Promise.all(servers.map((server) => server.stop()))

    // Fresh servers for the held phase: servers that ran the other phases have spare heap.
    const one = await startServers(1)
    const heldOne = await hold(one, settings.heldSessions).finally(() => one[0]!.stop())
    const three = await startServers(3)
    const heldThree = await hold(three, settings.heldSessions).finally(() => Promise.all(three.map((server) => server.stop())))

    const one1 = median(throughput.a)
    const three1 = median(throughput.b)
    const off = median(snapshots.a)
    const every = median(snapshots.b)
    // Each round of one configuration ran right after one of the other: the median of those paired
    // ratios follows the machine's drifting load less than the ratio of the two medians does.
    const costRatio = pairedRatio(snapshots.a, snapshots.b)
    const costRatioOfMedians = Number((off.stepsPerSecond / every.stepsPerSecond).toFixed(3))
    // CPU time per step, all processes together, is less at the mercy of other load on the machine
    // than steps/s: the median over rounds of each configuration, and their ratio.
    const cpuPerStep = (rounds: Round[]): number => {
      const totals = rounds.map((round) => round.cpuMicrosPerStep.servers + round.cpuMicrosPerStep.client).sort((a, b) => a - b)
      return Number(totals[Math.floor((totals.length - 1) / 2)]!.toFixed(1))
    }
    const cpu = { offMicrosPerStep: cpuPerStep(snapshots.a), everyStepMicrosPerStep: cpuPerStep(snapshots.b) }
    const cpus = os.cpus()
    result = {
      command: settings.command,
      gitCommit: gitCommit(),
      // Tracked files that differed from that commit when the run started (the tree is shared).
      gitModified,
      quick: settings.quick,
      machine: {
        cpus: cpus.length,
        cpuModel: cpus[0]?.model ?? 'unknown',
        memoryBytes: os.totalmem(),
        loadAverage: { start: loadStart, end: os.loadavg().map((value) => Number(value.toFixed(2))) },
      },
      node: process.version,
      settings: { sessions: settings.sessions, warmupMs: settings.warmupMs, measureMs: settings.measureMs, rounds: settings.rounds, serverFlags: '--workers 1', client: 'one CodeGymCluster in the bench process, 2 connections per server' },
      throughput: { oneServer: one1, threeServers: three1, ratio: pairedRatio(throughput.b, throughput.a), ratioOfMedians: Number((three1.stepsPerSecond / one1.stepsPerSecond).toFixed(3)), rounds: throughput },
      snapshots: { off, everyStep: every, costRatio, costRatioOfMedians, target: 1.3, met: costRatio <= 1.3, cpu: { ...cpu, ratio: Number((cpu.everyStepMicrosPerStep / cpu.offMicrosPerStep).toFixed(3)) }, snapshotBytes: bytes, rounds: snapshots },
      held: { oneServer: heldOne, threeServers: heldThree },
      correctness: { stepsChecked: checked, wrong: 0 },
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop().catch(() => undefined)))
  }
  const json = JSON.stringify(result, null, 2)
  if (settings.outDir !== undefined) {
    mkdirSync(settings.outDir, { recursive: true })
    writeFileSync(join(settings.outDir, 'result.json'), json + '\n')
    writeFileSync(join(settings.outDir, 'summary.md'), summary(result))
  }
  process.stderr.write(summary(result))
  process.stdout.write(json + '\n')
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof WrongAnswer ? 'wrong answer: ' : ''}${(error as Error).stack ?? String(error)}\n`)
  process.exit(1)
})
