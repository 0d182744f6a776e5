// Load benchmark of codegym-serve, with its baselines measured in the same run:
//   - echo: a bare `ws` + MessagePack server answering the same request shapes (the transport's ceiling)
//   - in-process: the same tool called directly in this process, no sandbox, no network (the compute's ceiling)
//   - full stack: codegym-serve (started here, or --url) with real episodes, every response checked;
//     the CPU time of its main process and its sandbox processes per step, from /proc over exactly
//     the measured window (the headline figure), at --sessions and at --half-peak-sessions
//   - half peak: the full stack paced at half its measured peak rate and the echo server paced at
//     the same rate, for latency under normal load against the transport's
//   - rollback cost: CPU per step of valid calls only against calls that all fail and roll back
//   - active sessions: RSS of the server's processes while --sessions sessions step, per session
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
import { mergeReports, markdownSummary, sweepChart, type CpuSummary, type LatencySummary, type PhaseResult, type SweepPoint } from './report.ts'
import { processTreeUsage } from './processes.ts'
import { CpuWindow, RssSampler, type CpuPerResponse, type MeasuredPhase } from './measure.ts'
import { compare, loadReference, targets, type Headline } from './compare.ts'
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
  /** The smaller session count whose peak, half-peak p99 and CPU per step are measured too. */
  halfPeakSessions: number
  /** A result.json of an earlier run: the headline figures are reported as ratios to its. */
  before: string | undefined
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

export interface GenerateHooks {
  /** Every generator holds its idle sessions; they are released when this resolves. */
  onHolding?: (sessions: number) => Promise<void>
  /** The first generator's measured window has started. */
  onMeasuring?: () => void
  /** Every generator's measured window has ended (their sessions are still live). */
  onMeasured?: () => void
}

/**
 * Runs `processes` generator processes on one config (sessions and connections split among them).
 * With several, the measured window the hooks see runs from the first generator's start to the last
 * one's end: their windows start within milliseconds of each other.
 */
export async function generate (config: Omit<GeneratorConfig, 'seed'>, processes: number, hooks: GenerateHooks = {}): Promise<GeneratorReport[]> {
  const children = Array.from({ length: processes }, () => fork(generatorEntry, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
  let holding = 0
  let holdingSessions = 0
  let measuring = 0
  let measured = 0
  const reports = children.map((child, index) => new Promise<GeneratorReport>((resolve, reject) => {
    child.on('message', (message: GeneratorMessage) => {
      if (message.kind === 'report') resolve(message.report)
      else if (message.kind === 'failed') reject(new Error(`generator ${index}: ${message.message}`))
      else if (message.kind === 'measuring') {
        if (++measuring === 1) hooks.onMeasuring?.()
      } else if (message.kind === 'measured') {
        if (++measured === processes) hooks.onMeasured?.()
      } else if (message.kind === 'holding') {
        holdingSessions += message.sessions
        if (++holding === processes) {
          void (hooks.onHolding?.(holdingSessions) ?? Promise.resolve()).then(() => { for (const each of children) each.send('release') })
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

/** codegym-serve on a free loopback port with extra flags (and environment); resolves once it is listening. */
export async function startCodegymServer (args: string[], env?: NodeJS.ProcessEnv): Promise<Started> {
  const server = await ServeProcess.start(['--host', '127.0.0.1', ...args], env === undefined ? {} : { env })
  return { url: server.url, process: server.child }
}

class WrongAnswers extends Error {}

/** The run with the median throughput (the lower middle one for an even count). */
export function median<T extends PhaseResult> (runs: T[]): T {
  return medianBy(runs, (run) => run.requestsPerSecond)
}

/** The run with the median value of `by` (the lower middle one for an even count). */
export function medianBy<T> (runs: T[], by: (run: T) => number): T {
  const sorted = [...runs].sort((a, b) => by(a) - by(b))
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

/** Runs a phase; with a pid, reads that process tree's CPU time over the generators' measured window. */
export async function measuredPhase (config: Omit<GeneratorConfig, 'seed'>, processes: number, phase: string, pid: number | undefined, hooks: GenerateHooks = {}): Promise<MeasuredPhase> {
  const window = pid === undefined ? undefined : new CpuWindow(pid)
  const reports = await generate(config, processes, {
    ...hooks,
    onMeasuring: () => { window?.start(); hooks.onMeasuring?.() },
    onMeasured: () => { window?.end(); hooks.onMeasured?.() },
  })
  const result = checked(reports, phase)
  return window === undefined ? result : { ...result, cpu: window.result(result.requests) }
}

/** Echo and full-stack rounds at one session count, alternating; each side reports its median round. */
interface CountRounds {
  sessions: number
  echoRuns: MeasuredPhase[]
  fullStackRuns: MeasuredPhase[]
  /** the median round by steps/s */
  echo: MeasuredPhase
  fullStack: MeasuredPhase
  /** the round with the median CPU per step (per request for echo) */
  fullStackCpu: CpuPerResponse | undefined
  echoCpu: CpuPerResponse | undefined
}

const cpuSummary = (cpu: CpuPerResponse): CpuSummary => ({ mainMicros: cpu.mainMicros, sandboxMicros: cpu.sandboxMicros, totalMicros: cpu.totalMicros, percentOfCore: cpu.percentOfCore })

const round3 = (value: number): number => Number(value.toFixed(3))

export async function runLoadBench (options: LoadOptions): Promise<Record<string, unknown>> {
  const startedAt = performance.now()
  const loadAverageAtStart = os.loadavg().map((load) => Number(load.toFixed(2)))
  const tasks = loadTasks()
  const reference = options.before === undefined ? undefined : loadReference(options.before)
  const phaseConfig = (mode: GeneratorConfig['mode'], url: string, sessions: number, connections: number, ratePerSecond = 0): Omit<GeneratorConfig, 'seed'> => ({
    mode, url, sessions, connections, mix: options.mix, warmupMs: options.warmupS * 1000, durationMs: options.durationS * 1000, ratePerSecond, tasks,
  })
  const connectionsFor = (sessions: number): number => Math.min(options.connections, sessions)

  log('in-process baseline')
  const inProcess = inProcessBaseline(tasks, options.quick ? 300 : 2000)

  // One server process (its sandbox pool one process per core): the phases below measure a process.
  const startCodegymServe = (): Promise<Started> => startCodegymServer(['--workers', '1'])

  const echo = await startEchoServer()
  const echoPid = echo.process.pid
  const server = options.url === undefined ? await startCodegymServe() : undefined
  const url = options.url ?? server!.url
  const serverPid = server?.process.pid
  try {
    // Echo and full stack alternate, and each reports its median run: on a shared machine the
    // echo rate alone was seen to vary by 1.7× between runs a minute apart.
    const alternatingRounds = async (sessions: number): Promise<CountRounds> => {
      const echoRuns: MeasuredPhase[] = []
      const fullStackRuns: MeasuredPhase[] = []
      for (let round = 1; round <= options.repeats; round++) {
        log(`${sessions} sessions, echo baseline, round ${round} of ${options.repeats}`)
        echoRuns.push(await measuredPhase(phaseConfig('echo', echo.url, sessions, connectionsFor(sessions)), options.processes, 'echo', echoPid))
        log(`${sessions} sessions, full stack, round ${round}: over ${connectionsFor(sessions)} connections, ${options.processes} generator process(es)`)
        fullStackRuns.push(await measuredPhase(phaseConfig('steps', url, sessions, connectionsFor(sessions)), options.processes, 'full stack', serverPid))
      }
      return {
        sessions,
        echoRuns,
        fullStackRuns,
        echo: median(echoRuns),
        fullStack: median(fullStackRuns),
        fullStackCpu: serverPid === undefined ? undefined : medianBy(fullStackRuns, (run) => run.cpu!.totalMicros).cpu,
        echoCpu: medianBy(echoRuns, (run) => run.cpu?.totalMicros ?? 0).cpu,
      }
    }
    const main = await alternatingRounds(options.sessions)
    const small = options.halfPeakSessions === options.sessions ? main : await alternatingRounds(options.halfPeakSessions)

    // p99 at half of the full stack's peak against the echo server's p99 at the same offered load.
    const halfPeak = []
    for (const counted of [small, main].filter((each, index, all) => all.indexOf(each) === index)) {
      const rate = counted.fullStack.requestsPerSecond / 2
      const connections = connectionsFor(counted.sessions)
      log(`half peak, ${counted.sessions} sessions: full stack, then echo, at ${Math.round(rate)} requests/s`)
      const fullStack = await measuredPhase(phaseConfig('steps', url, counted.sessions, connections, rate), options.processes, `half peak ${counted.sessions}`, serverPid)
      const echoAtRate = await measuredPhase(phaseConfig('echo', echo.url, counted.sessions, connections, rate), options.processes, `echo at half peak ${counted.sessions}`, echoPid)
      halfPeak.push({
        sessions: counted.sessions,
        offeredRequestsPerSecond: Math.round(rate),
        fullStack,
        echo: echoAtRate,
        p99RatioToEcho: round3(fullStack.latencyMs.p99 / echoAtRate.latencyMs.p99),
      })
    }
    await stop(echo.process)

    // What a rolled-back call costs against a valid one: the same load with only one kind of call.
    log(`rollback cost: ${options.sessions} sessions of valid calls only, then of failing calls only`)
    const kindPhase = (kind: 'valid' | 'fail'): Promise<MeasuredPhase> => measuredPhase({
      ...phaseConfig('steps', url, options.sessions, connectionsFor(options.sessions)),
      mix: { valid: kind === 'valid' ? 1 : 0, fail: kind === 'fail' ? 1 : 0, observe: 0, done: 0 },
      durationMs: options.durationS * 500,
    }, options.processes, `rollback cost (${kind})`, serverPid)
    const validOnly = await kindPhase('valid')
    const failOnly = await kindPhase('fail')
    const kindSummary = (phase: MeasuredPhase): { requestsPerSecond: number, cpuMicrosPerStep: number | undefined, cpu: CpuSummary | undefined, latencyMs: LatencySummary, rollbackShare: number } =>
      ({ requestsPerSecond: phase.requestsPerSecond, cpuMicrosPerStep: phase.cpu?.totalMicros, cpu: phase.cpu === undefined ? undefined : cpuSummary(phase.cpu), latencyMs: phase.latencyMs, rollbackShare: phase.rollbackShare })
    const rollbackCost = {
      sessions: options.sessions,
      valid: kindSummary(validOnly),
      fail: kindSummary(failOnly),
      cpuRatio: validOnly.cpu === undefined || failOnly.cpu === undefined ? undefined : round3(failOnly.cpu.totalMicros / validOnly.cpu.totalMicros),
      throughputRatio: round3(validOnly.requestsPerSecond / failOnly.requestsPerSecond),
      inMixedLoad: {
        validMeanMs: main.fullStack.latencyByKindMs.valid?.mean,
        failMeanMs: main.fullStack.latencyByKindMs.fail?.mean,
      },
    }

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

    // A server that has run the phases above has heap to spare: new sessions would fit in it and
    // look free. A fresh server, warmed by one small wave, shows what sessions cost.
    const onFreshServer = async <T>(what: (fresh: Started, pid: number) => Promise<T>): Promise<T> => {
      const fresh = await startCodegymServe()
      try {
        await generate(phaseConfig('idle', fresh.url, options.processes, options.processes), options.processes)
        return await what(fresh, fresh.process.pid!)
      } finally {
        await stop(fresh.process)
      }
    }

    let activeSessions: { sessions: number, rssBeforeBytes: number, rssPeakBytes: number, rssEndBytes: number, peakBytesPerSession: number, endBytesPerSession: number, samples: number, sampleIntervalMs: number, stepsPerSecond: number } | undefined
    if (options.url === undefined) {
      log(`active sessions: RSS while ${options.sessions} sessions step, on a fresh server`)
      activeSessions = await onFreshServer(async (fresh, pid) => {
        const sampler = new RssSampler(pid, rssSampleIntervalMs)
        let phase: MeasuredPhase
        try {
          // The end reading is taken when the measured window ends, while every session is still live.
          phase = await measuredPhase(phaseConfig('steps', fresh.url, options.sessions, connectionsFor(options.sessions)), options.processes, 'active sessions', undefined, { onMeasured: () => sampler.stop() })
        } finally {
          sampler.stop()
        }
        const perSession = (bytes: number): number => Math.round((bytes - sampler.beforeBytes) / options.sessions)
        return {
          sessions: options.sessions,
          rssBeforeBytes: sampler.beforeBytes,
          rssPeakBytes: sampler.peakBytes,
          rssEndBytes: sampler.lastBytes,
          peakBytesPerSession: perSession(sampler.peakBytes),
          endBytesPerSession: perSession(sampler.lastBytes),
          samples: sampler.samples,
          sampleIntervalMs: rssSampleIntervalMs,
          stepsPerSecond: phase.requestsPerSecond,
        }
      })
    }

    let idle: { sessions: number, bytesPerSession: number, rssBeforeBytes: number, rssAfterBytes: number } | undefined
    if (options.url === undefined) {
      log(`idle: ${options.idleSessions} sessions, on a fresh server`)
      await onFreshServer(async (fresh, pid) => {
        const rssBeforeBytes = processTreeUsage(pid).rssBytes
        const idleConnections = Math.max(options.processes, Math.ceil(options.idleSessions / sessionsPerIdleConnection))
        await generate(phaseConfig('idle', fresh.url, options.idleSessions, idleConnections), options.processes, {
          onHolding: async (held) => {
            const rssAfterBytes = processTreeUsage(pid).rssBytes
            idle = { sessions: held, bytesPerSession: Math.round((rssAfterBytes - rssBeforeBytes) / held), rssBeforeBytes, rssAfterBytes }
          },
        })
      })
    }

    const ratioToEcho = round3(main.fullStack.requestsPerSecond / main.echo.requestsPerSecond)
    const headline: Headline = {
      serverCpuMicrosPerStep: main.fullStackCpu?.totalMicros,
      serverMainCpuMicrosPerStep: main.fullStackCpu?.mainMicros,
      sandboxCpuMicrosPerStep: main.fullStackCpu?.sandboxMicros,
      stepsPerSecond: main.fullStack.requestsPerSecond,
      ratioToEcho,
      activeRssBytesPerSession: activeSessions?.peakBytesPerSession,
      idleRssBytesPerSession: idle?.bytesPerSession,
      halfPeakP99RatioToEcho: Object.fromEntries(halfPeak.map((point) => [String(point.sessions), point.p99RatioToEcho])),
      halfPeakP99Ms: Object.fromEntries(halfPeak.map((point) => [String(point.sessions), point.fullStack.latencyMs.p99])),
    }
    const comparison = reference === undefined ? undefined : compare(headline, reference.headline, options.before!, reference.gitCommit)
    const roundsOf = (counted: CountRounds): { echoRequestsPerSecond: number[], fullStackRequestsPerSecond: number[], fullStackCpuMicrosPerStep: Array<number | undefined>, echoCpuMicrosPerRequest: Array<number | undefined> } => ({
      echoRequestsPerSecond: counted.echoRuns.map((run) => run.requestsPerSecond),
      fullStackRequestsPerSecond: counted.fullStackRuns.map((run) => run.requestsPerSecond),
      fullStackCpuMicrosPerStep: counted.fullStackRuns.map((run) => run.cpu?.totalMicros),
      echoCpuMicrosPerRequest: counted.echoRuns.map((run) => run.cpu?.totalMicros),
    })
    const header = resultHeader(options)
    const result = {
      ...header,
      machine: { ...header.machine, loadAverage: loadAverageAtStart, loadAverageAtEnd: os.loadavg().map((load) => Number(load.toFixed(2))) },
      elapsedSeconds: Math.round((performance.now() - startedAt) / 1000),
      settings: { sessions: options.sessions, halfPeakSessions: options.halfPeakSessions, connections: options.connections, processes: options.processes, durationS: options.durationS, warmupS: options.warmupS, repeats: options.repeats, mix: options.mix, env: 'codegym/max-subarray-v1 fixed tasks', url: options.url ?? 'started here', before: options.before },
      headline,
      serverCpuPerStep: main.fullStackCpu === undefined
        ? undefined
        : {
            sessions: options.sessions,
            ...cpuSummary(main.fullStackCpu),
            cpuRatioToEcho: main.echoCpu === undefined ? undefined : round3(main.fullStackCpu.totalMicros / main.echoCpu.totalMicros),
            atHalfPeakSessions: small === main || small.fullStackCpu === undefined ? undefined : { sessions: small.sessions, ...cpuSummary(small.fullStackCpu) },
          },
      echoCpuPerRequest: main.echoCpu === undefined ? undefined : cpuSummary(main.echoCpu),
      generatorCpuMicrosPerRequest: { fullStack: main.fullStack.generatorCpuMicrosPerRequest, echo: main.echo.generatorCpuMicrosPerRequest },
      baselines: { echo: main.echo, inProcess },
      fullStack: { ...main.fullStack, ratioToEcho, ratioToInProcess: round3(main.fullStack.requestsPerSecond / inProcess.stepsPerSecond) },
      atHalfPeakSessions: small === main ? undefined : { sessions: small.sessions, echo: small.echo, fullStack: small.fullStack, ratioToEcho: round3(small.fullStack.requestsPerSecond / small.echo.requestsPerSecond) },
      rounds: Object.fromEntries([main, ...(small === main ? [] : [small])].map((counted) => [String(counted.sessions), roundsOf(counted)])),
      halfPeak,
      rollbackCost,
      activeSessions,
      idle,
      sweep: options.sweep ? sweep : undefined,
      connectionSweep: options.sweep ? connectionSweep : undefined,
      comparison,
      targets: targets(headline, options.sessions, comparison, idle?.sessions),
      correctness: {
        responsesChecked: [...main.echoRuns, ...main.fullStackRuns, ...(small === main ? [] : [...small.echoRuns, ...small.fullStackRuns]), ...halfPeak.flatMap((point) => [point.fullStack, point.echo]), validOnly, failOnly].reduce((sum, run) => sum + run.checked, 0),
        wrong: 0,
      },
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

/** How often the RSS of the server's processes is read while sessions step. */
const rssSampleIntervalMs = 100

export { WrongAnswers }
