// Server worker processes (`codegym-serve --workers N`): steps/s of the full stack at each N, every
// server started here with its default sandbox pool (cores / N sandbox processes each), driven by the
// same generator in alternating rounds; each N reports its median round and its ratio to N = 1
// measured in the same run. Writes workers.json and workers.md to --out-dir. See bench/README.md.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { PhaseResult } from './report.ts'
import { processTreeUsage } from './processes.ts'
import { measuredPhase, resultHeader, loadTasks, log, median, startCodegymServer, stop, type LoadOptions, type Started } from './run.ts'

/**
 * The call time limit is wall-clock time: on a shared machine a sandbox thread that waits for a core
 * ran a reset past the default 250 ms (seen here at load average 7.5 on 2 cores), and the run
 * stopped on that "wrong" answer. Every count gets the same generous limit; no bench call is slow.
 */
const benchCallTimeoutMs = 2000

export interface WorkersBenchOptions extends Omit<LoadOptions, 'url' | 'idleSessions' | 'sweep' | 'halfPeakSessions' | 'before'> {
  /** Server worker counts to compare; the first is the baseline of the ratios. */
  serverWorkers: number[]
}

interface WorkersRound extends PhaseResult {
  /** CPU of the server's processes (primary, workers, sandboxes), % of one core, over the round's measured window. */
  serverCpuPercent: number
  serverCpuMicrosPerStep: number
  serverProcesses: number
  serverRssBytes: number
}

interface WorkersPoint {
  serverWorkers: number
  stepsPerSecond: number
  ratioToBaseline: number
  rounds: number[]
  p50Ms: number
  p99Ms: number
  serverCpuPercent: number
  serverCpuMicrosPerStep: number
  serverProcesses: number
  /** RSS of all the server's processes, idle before the first round and after the median round. */
  serverIdleRssBytes: number
  serverRssBytes: number
}

export async function runWorkersBench (options: WorkersBenchOptions): Promise<Record<string, unknown>> {
  for (const count of options.serverWorkers) {
    if (!Number.isSafeInteger(count) || count < 1) throw new Error(`--server-workers takes whole numbers of at least 1; got ${count}`)
  }
  const tasks = loadTasks()
  const servers = new Map<number, Started>()
  try {
    // All servers up front, idle until their turn: an idle server costs memory, not CPU.
    for (const count of options.serverWorkers) servers.set(count, await startCodegymServer(['--workers', String(count), '--call-timeout-ms', String(benchCallTimeoutMs)]))
    const idleRss = new Map(options.serverWorkers.map((count) => [count, processTreeUsage(servers.get(count)!.process.pid!).rssBytes]))
    const rounds = new Map<number, WorkersRound[]>(options.serverWorkers.map((count) => [count, []]))
    for (let round = 1; round <= options.repeats; round++) {
      // Alternate the order, so a machine that slows down during a round pair does not favour one count.
      const order = round % 2 === 1 ? options.serverWorkers : [...options.serverWorkers].reverse()
      for (const count of order) {
        const server = servers.get(count)!
        log(`server workers ${count}, round ${round} of ${options.repeats}: ${options.sessions} sessions over ${options.connections} connections`)
        const phase = await measuredPhase({
          mode: 'steps', url: server.url, sessions: options.sessions, connections: options.connections, mix: options.mix,
          warmupMs: options.warmupS * 1000, durationMs: options.durationS * 1000, ratePerSecond: 0, tasks,
        }, options.processes, `server workers ${count}`, server.process.pid!)
        rounds.get(count)!.push({
          ...phase,
          serverCpuPercent: Math.round(phase.cpu!.percentOfCore.total),
          serverCpuMicrosPerStep: phase.cpu!.totalMicros,
          serverProcesses: phase.cpu!.processes,
          serverRssBytes: phase.cpu!.rssBytes,
        })
      }
    }
    const baseline = median(rounds.get(options.serverWorkers[0]!)!).requestsPerSecond
    const points: WorkersPoint[] = options.serverWorkers.map((count) => {
      const runs = rounds.get(count)!
      const middle = median(runs)
      return {
        serverWorkers: count,
        stepsPerSecond: middle.requestsPerSecond,
        ratioToBaseline: Number((middle.requestsPerSecond / baseline).toFixed(3)),
        rounds: runs.map((run) => run.requestsPerSecond),
        p50Ms: middle.latencyMs.p50,
        p99Ms: middle.latencyMs.p99,
        serverCpuPercent: middle.serverCpuPercent,
        serverCpuMicrosPerStep: middle.serverCpuMicrosPerStep,
        serverProcesses: middle.serverProcesses,
        serverIdleRssBytes: idleRss.get(count)!,
        serverRssBytes: middle.serverRssBytes,
      }
    })
    const result = {
      ...resultHeader(options),
      settings: { sessions: options.sessions, connections: options.connections, processes: options.processes, durationS: options.durationS, warmupS: options.warmupS, repeats: options.repeats, mix: options.mix, env: 'codegym/max-subarray-v1 fixed tasks', sandboxWorkers: 'default: cores / server workers, at least 1', callTimeoutMs: benchCallTimeoutMs },
      points,
      correctness: { responsesChecked: [...rounds.values()].flat().reduce((sum, run) => sum + run.checked, 0), wrong: 0 },
    }
    mkdirSync(options.outDir, { recursive: true })
    writeFileSync(join(options.outDir, 'workers.json'), JSON.stringify(result, null, 2) + '\n')
    writeFileSync(join(options.outDir, 'workers.md'), workersMarkdown(result))
    log(`wrote ${options.outDir}`)
    return result
  } finally {
    for (const server of servers.values()) await stop(server.process)
  }
}

function workersMarkdown (result: { command: string, gitCommit: string, machine: { cpus: number, cpuModel: string, loadAverage: number[] }, settings: { sessions: number, connections: number, processes: number, durationS: number, repeats: number, callTimeoutMs: number }, points: WorkersPoint[], correctness: { responsesChecked: number } }): string {
  const { machine, settings } = result
  const mib = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MiB`
  const rows = result.points.map((point) => `| ${point.serverWorkers} | ${point.stepsPerSecond.toLocaleString('en-US')} | **${point.ratioToBaseline}×** | ${point.rounds.map((each) => each.toLocaleString('en-US')).join(', ')} | ${point.p50Ms} / ${point.p99Ms} | ${point.serverCpuPercent}% | ${point.serverCpuMicrosPerStep} | ${point.serverProcesses} | ${mib(point.serverIdleRssBytes)} / ${mib(point.serverRssBytes)} |`)
  return [
    '# codegym-serve --workers N: steps/s by server worker processes',
    '',
    `\`${result.command}\` at ${result.gitCommit.slice(0, 12)}; ${machine.cpus} × ${machine.cpuModel}, load average at the end ${machine.loadAverage.join(' / ')}.`,
    `${settings.sessions} sessions over ${settings.connections} connections, ${settings.processes} generator process(es), ${settings.durationS} s per round, ${settings.repeats} alternating rounds, median reported; servers run with --call-timeout-ms ${settings.callTimeoutMs}; ${result.correctness.responsesChecked.toLocaleString('en-US')} responses checked, none wrong.`,
    '',
    '| server workers | steps/s (median) | ratio to the first | rounds | p50 / p99 ms | server CPU (% of a core) | server CPU per step (µs) | server processes | server RSS idle / loaded |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'Server processes count the primary, the workers and their sandbox processes. The load generator runs on the same cores.',
    '',
  ].join('\n')
}
