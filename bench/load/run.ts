// Load benchmark of codegym-serve, with its baselines measured in the same run:
//   - echo: a bare `ws` + MessagePack server answering the same request shapes (the transport's ceiling)
//   - in-process: the same tool called directly in this process, no sandbox, no network (the compute's ceiling)
//   - full stack: codegym-serve (started here, or --url) with real episodes, every response checked
//   - half peak: the full stack paced at half its measured peak rate, for latency under normal load
//   - idle: many live idle sessions, for memory per session
//   - sweep (--sweep): throughput and memory per session across session counts, and throughput
//     across connection counts, drawn as an SVG
// Writes result.json, summary.md (and sweep.svg) to --out-dir; prints the JSON on stdout.
// See bench/README.md. `codegym bench` and `npm run bench` run this.
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { mergeReports, markdownSummary, sweepChart, type PhaseResult, type SweepPoint } from './report.ts'
import { processTreeUsage } from './processes.ts'
import { ServeProcess } from '../../tools/serve-process.ts'
import type { BenchTask, GeneratorConfig, GeneratorMessage, GeneratorReport, StepMix } from './types.ts'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const generatorEntry = fileURLToPath(new URL('./generator.ts', import.meta.url))
const echoEntry = fileURLToPath(new URL('./echo-server.ts', import.meta.url))
const benchEnvDir = join(repoRoot, 'envs/max-subarray')

export interface LoadOptions {
  quick: boolean
  url: string | undefined
  sessions: number
  connections: number
  processes: number
  durationS: number
  warmupS: number
  mix: StepMix
  idleSessions: number
  /** Alternating rounds of echo and full stack; each reports its median round. */
  repeats: number
  sweep: boolean
  outDir: string
  command: string
}

export const defaultMix: StepMix = { valid: 0.8, fail: 0.1, observe: 0.09, done: 0.01 }

/** Sessions one connection may hold at most on a default server (maxSessionsPerConnection). */
const sessionsPerIdleConnection = 60_000

export function loadTasks (): BenchTask[] {
  return readFileSync(join(benchEnvDir, 'tasks.jsonl'), 'utf8').split('\n').filter((line) => line.trim() !== '').map((line) => {
    const task = JSON.parse(line) as { id: string, config: { values: number[] } }
    return { id: task.id, values: task.config.values, answer: maxSubarraySum(task.config.values) }
  })
}

// Kadane's algorithm, independent of the env's own reference solution.
function maxSubarraySum (values: number[]): number {
  let best = -Infinity
  let current = 0
  for (const value of values) {
    current = Math.max(value, current + value)
    best = Math.max(best, current)
  }
  return best
}

export interface Started { url: string, process: ChildProcess }

/** Starts the echo server and waits for the stdout line that gives its URL. */
async function startEchoServer (): Promise<Started> {
  const child = spawn(process.execPath, [echoEntry], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${echoEntry} exited with ${code} before listening`)))
    lines.on('line', (line) => {
      const found = parseJsonLine(line)?.url
      if (typeof found === 'string') resolve(found)
    })
  })
  return { url, process: child }
}

const parseJsonLine = (line: string): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(line) as Record<string, unknown>
  } catch {
    return undefined
  }
}

export async function stop (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

/** Runs `processes` generator processes on one config (sessions and connections split among them). */
export async function generate (config: Omit<GeneratorConfig, 'seed'>, processes: number, onHolding?: (sessions: number) => Promise<void>): Promise<GeneratorReport[]> {
  const children = Array.from({ length: processes }, () => fork(generatorEntry, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
  let holding = 0
  let holdingSessions = 0
  const reports = children.map((child, index) => new Promise<GeneratorReport>((resolve, reject) => {
    child.on('message', (message: GeneratorMessage) => {
      if (message.kind === 'report') resolve(message.report)
      else if (message.kind === 'failed') reject(new Error(`generator ${index}: ${message.message}`))
      else if (message.kind === 'holding') {
        holdingSessions += message.sessions
        if (++holding === processes) {
          void (onHolding?.(holdingSessions) ?? Promise.resolve()).then(() => { for (const each of children) each.send('release') })
        }
      }
    })
    child.once('exit', (code) => { if (code !== 0) reject(new Error(`generator ${index} exited with ${code}`)) })
  }))
  children.forEach((child, index) => {
    const share = (total: number): number => Math.floor(total / processes) + (index < total % processes ? 1 : 0)
    child.send({
      ...config,
      sessions: share(config.sessions),
      connections: Math.max(1, share(config.connections)),
      ratePerSecond: config.ratePerSecond / processes,
      seed: 1000 * (index + 1),
    } satisfies GeneratorConfig)
  })
  return Promise.all(reports)
}

/** codegym-serve on a free loopback port with extra flags; resolves once it is listening. */
export async function startCodegymServer (args: string[]): Promise<Started> {
  const server = await ServeProcess.start(['--host', '127.0.0.1', ...args])
  return { url: server.url, process: server.child }
}

class WrongAnswers extends Error {}

/** The run with the median throughput (the lower middle one for an even count). */
export function median<T extends PhaseResult> (runs: T[]): T {
  const sorted = [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)
  return sorted[Math.floor((sorted.length - 1) / 2)]!
}

export function checked (reports: GeneratorReport[], phase: string): PhaseResult {
  const wrong = reports.reduce((sum, report) => sum + report.wrong, 0)
  if (wrong > 0) {
    const first = reports.find((report) => report.firstWrong !== undefined)?.firstWrong
    throw new WrongAnswers(`${phase}: ${wrong} wrong responses, the first: ${first}`)
  }
  return mergeReports(reports)
}

// The compute's ceiling: the bench's tool, called directly, with the JSON round trips of a step.
function inProcessBaseline (tasks: BenchTask[], durationMs: number): { stepsPerSecond: number } {
  const source = readFileSync(join(benchEnvDir, 'env.js'), 'utf8')
  const module = { exports: {} as { reset: (config: object) => unknown, tools: Record<string, (state: unknown, parameters: unknown) => unknown> } }
  new Function('module', 'exports', '"use strict";\n' + source)(module, module.exports)
  const env = module.exports
  const task = tasks[tasks.length - 1]!
  let state = JSON.stringify(env.reset({ values: task.values }))
  let steps = 0
  const started = performance.now()
  while (performance.now() - started < durationMs) {
    for (let i = 0; i < 1000; i++) {
      const index = steps % task.values.length
      const parameters = JSON.parse(JSON.stringify({ index })) as unknown
      const live = JSON.parse(state) as unknown
      const observation = env.tools.GetElement!(live, parameters)
      state = JSON.stringify(live)
      if (JSON.parse(JSON.stringify(observation)) !== task.values[index]) throw new WrongAnswers('in-process baseline gave a wrong element')
      steps++
    }
  }
  return { stepsPerSecond: Math.round(steps / ((performance.now() - started) / 1000)) }
}

export function gitCommit (): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
}

export function log (message: string): void {
  process.stderr.write(`[bench] ${message}\n`)
}

/** How a bench result was made and on what machine: the first fields of every result file. */
export interface ResultHeader {
  command: string
  gitCommit: string
  quick: boolean
  node: string
  machine: { cpus: number, cpuModel: string, memoryBytes: number, platform: string, loadAverage: number[] }
}

export function resultHeader (options: Pick<LoadOptions, 'command' | 'quick'>): ResultHeader {
  const cpus = os.cpus()
  return {
    command: options.command,
    gitCommit: gitCommit(),
    quick: options.quick,
    node: process.version,
    machine: { cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', memoryBytes: os.totalmem(), platform: `${os.platform()} ${os.release()}`, loadAverage: os.loadavg().map((load) => Number(load.toFixed(2))) },
  }
}

export async function runLoadBench (options: LoadOptions): Promise<Record<string, unknown>> {
  const tasks = loadTasks()
  const phaseConfig = (mode: GeneratorConfig['mode'], url: string, sessions: number, connections: number, ratePerSecond = 0): Omit<GeneratorConfig, 'seed'> => ({
    mode, url, sessions, connections, mix: options.mix, warmupMs: options.warmupS * 1000, durationMs: options.durationS * 1000, ratePerSecond, tasks,
  })

  log('in-process baseline')
  const inProcess = inProcessBaseline(tasks, options.quick ? 300 : 2000)

  // One server process (its sandbox pool one process per core): the phases below measure a process.
  const startCodegymServe = (): Promise<Started> => startCodegymServer(['--workers', '1'])

  const echo = await startEchoServer()
  const server = options.url === undefined ? await startCodegymServe() : undefined
  const url = options.url ?? server!.url
  const serverPid = server?.process.pid
  try {
    // Echo and full stack alternate, and each reports its median run: on a shared machine the
    // echo rate alone was seen to vary by 1.7× between runs a minute apart.
    const echoRuns: PhaseResult[] = []
    const fullStackRuns: Array<PhaseResult & { server?: { cpuPercent: number, rssBytes: number, processes: number } }> = []
    for (let round = 1; round <= options.repeats; round++) {
      log(`echo baseline, round ${round} of ${options.repeats}`)
      echoRuns.push(checked(await generate(phaseConfig('echo', echo.url, options.sessions, options.connections), options.processes), 'echo'))
      log(`full stack, round ${round}: ${options.sessions} sessions over ${options.connections} connections, ${options.processes} generator process(es)`)
      const before = serverPid === undefined ? undefined : processTreeUsage(serverPid)
      const run = checked(await generate(phaseConfig('steps', url, options.sessions, options.connections), options.processes), 'full stack')
      const after = serverPid === undefined ? undefined : processTreeUsage(serverPid)
      const totalSeconds = options.durationS + options.warmupS
      fullStackRuns.push(before === undefined || after === undefined
        ? run
        : { ...run, server: { cpuPercent: Math.round(((after.cpuSeconds - before.cpuSeconds) / totalSeconds) * 100), rssBytes: after.rssBytes, processes: after.processes } })
    }
    await stop(echo.process)
    const echoResult = median(echoRuns)
    const fullStack = median(fullStackRuns)

    log(`half peak: ${Math.round(fullStack.requestsPerSecond / 2)} requests/s`)
    const halfPeak = checked(await generate(phaseConfig('steps', url, options.sessions, options.connections, fullStack.requestsPerSecond / 2), options.processes), 'half peak')

    const sweep: SweepPoint[] = []
    const connectionSweep: SweepPoint[] = []
    if (options.sweep) {
      // Each point on a fresh server (when this run owns it), so memory per session is not hidden
      // by heap that earlier points left free.
      const sweepPoint = async (sessions: number, connections: number): Promise<SweepPoint> => {
        log(`sweep: ${sessions} sessions over ${connections} connections`)
        const fresh = options.url === undefined ? await startCodegymServe() : undefined
        try {
          const pointUrl = fresh?.url ?? url
          const pid = fresh?.process.pid
          await generate(phaseConfig('idle', pointUrl, options.processes, options.processes), options.processes)
          const rssBefore = pid === undefined ? 0 : processTreeUsage(pid).rssBytes
          const phase = checked(await generate({ ...phaseConfig('steps', pointUrl, sessions, connections), durationMs: (options.quick ? 0.5 : 3) * 1000 }, options.processes), `sweep ${sessions}/${connections}`)
          const rssHeld = pid === undefined ? 0 : processTreeUsage(pid).rssBytes
          return { sessions, connections, stepsPerSecond: phase.requestsPerSecond, p99Ms: phase.latencyMs.p99, serverRssBytesPerSession: Math.max(0, Math.round((rssHeld - rssBefore) / sessions)) }
        } finally {
          if (fresh !== undefined) await stop(fresh.process)
        }
      }
      for (const sessions of options.quick ? [16, 64] : [64, 256, 1024, 4096, 16_384]) {
        sweep.push(await sweepPoint(sessions, Math.min(options.connections, sessions)))
      }
      for (const connections of options.quick ? [1, 4] : [1, 4, 16, 64]) {
        connectionSweep.push(await sweepPoint(options.sessions, connections))
      }
    }

    log(`idle: ${options.idleSessions} sessions, on a fresh server`)
    let idle: { sessions: number, bytesPerSession: number, rssBeforeBytes: number, rssAfterBytes: number } | undefined
    if (options.url === undefined) {
      // A server that has run the phases above has heap to spare: new sessions would fit in it and
      // look free. A fresh server, warmed by one small wave, shows what sessions cost.
      const fresh = await startCodegymServe()
      try {
        const freshPid = fresh.process.pid!
        await generate(phaseConfig('idle', fresh.url, options.processes, options.processes), options.processes)
        const rssBeforeBytes = processTreeUsage(freshPid).rssBytes
        const idleConnections = Math.max(options.processes, Math.ceil(options.idleSessions / sessionsPerIdleConnection))
        await generate(phaseConfig('idle', fresh.url, options.idleSessions, idleConnections), options.processes, async (held) => {
          const rssAfterBytes = processTreeUsage(freshPid).rssBytes
          idle = { sessions: held, bytesPerSession: Math.round((rssAfterBytes - rssBeforeBytes) / held), rssBeforeBytes, rssAfterBytes }
        })
      } finally {
        await stop(fresh.process)
      }
    }

    const ratioToEcho = Number((fullStack.requestsPerSecond / echoResult.requestsPerSecond).toFixed(3))
    const targets = [
      { name: 'full stack at 4,096 sessions / echo baseline (messages/s)', value: ratioToEcho, limit: '≥ 0.3', met: ratioToEcho >= 0.3 && options.sessions === 4096 },
      { name: 'p99 step latency at half of peak load (ms)', value: halfPeak.latencyMs.p99, limit: '< 5', met: halfPeak.latencyMs.p99 < 5 },
      ...(idle === undefined ? [] : [{ name: 'idle live sessions held in one server process', value: idle.sessions, limit: '≥ 100,000', met: idle.sessions >= 100_000 }]),
    ]
    const result = {
      ...resultHeader(options),
      settings: { sessions: options.sessions, connections: options.connections, processes: options.processes, durationS: options.durationS, warmupS: options.warmupS, repeats: options.repeats, mix: options.mix, env: 'codegym/max-subarray-v1 fixed tasks', url: options.url ?? 'started here' },
      baselines: { echo: echoResult, inProcess },
      fullStack: { ...fullStack, ratioToEcho, ratioToInProcess: Number((fullStack.requestsPerSecond / inProcess.stepsPerSecond).toFixed(3)) },
      rounds: { echoRequestsPerSecond: echoRuns.map((run) => run.requestsPerSecond), fullStackRequestsPerSecond: fullStackRuns.map((run) => run.requestsPerSecond) },
      halfPeak,
      idle,
      sweep: options.sweep ? sweep : undefined,
      connectionSweep: options.sweep ? connectionSweep : undefined,
      targets,
      correctness: { responsesChecked: [...echoRuns, ...fullStackRuns, halfPeak].reduce((sum, run) => sum + run.checked, 0), wrong: 0 },
    }
    mkdirSync(options.outDir, { recursive: true })
    writeFileSync(join(options.outDir, 'result.json'), JSON.stringify(result, null, 2) + '\n')
    writeFileSync(join(options.outDir, 'summary.md'), markdownSummary(result))
    if (options.sweep) writeFileSync(join(options.outDir, 'sweep.svg'), await sweepChart(sweep, connectionSweep, idle))
    log(`wrote ${options.outDir}`)
    return result
  } finally {
    await stop(echo.process)
    if (server !== undefined) await stop(server.process)
  }
}

export { WrongAnswers }
