// Summaries, the Markdown report and the SVG chart of a load run.
import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import { stepKinds, type GeneratorReport, type StepMix } from './types.ts'

export interface LatencySummary { p50: number, p95: number, p99: number, max: number, mean: number }

export interface KindLatency { count: number, p50: number, p99: number, mean: number }

export interface PhaseResult {
  requestsPerSecond: number
  requests: number
  seconds: number
  latencyMs: LatencySummary
  errors: Record<string, number>
  rollbackShare: number
  checked: number
  /** Latency by kind of step (valid, fail = rolled back, observe, done); kinds not sent are absent. */
  latencyByKindMs: Partial<Record<keyof StepMix, KindLatency>>
  /** The load generators' own CPU time per request over their measured windows. */
  generatorCpuMicrosPerRequest: number
}

function percentile (sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!
}

const round = (value: number, digits = 3): number => Number(value.toFixed(digits))

/** Merges the reports of several generator processes into one phase result. */
export function mergeReports (reports: GeneratorReport[]): PhaseResult {
  const total = reports.reduce((sum, report) => sum + report.latenciesMs.length, 0)
  const all = new Float64Array(total)
  let offset = 0
  for (const report of reports) {
    all.set(report.latenciesMs, offset)
    offset += report.latenciesMs.length
  }
  all.sort()
  const errors: Record<string, number> = {}
  let rollbacks = 0
  let checked = 0
  for (const report of reports) {
    for (const [code, count] of Object.entries(report.errors)) errors[code] = (errors[code] ?? 0) + count
    rollbacks += report.rollbacks
    checked += report.checked
  }
  const seconds = Math.max(...reports.map((report) => report.seconds))
  const requests = reports.reduce((sum, report) => sum + report.requests, 0)
  const mean = total === 0 ? 0 : all.reduce((sum, value) => sum + value, 0) / total
  const generatorCpuMicros = reports.reduce((sum, report) => sum + report.cpuMicros, 0)
  return {
    requestsPerSecond: round(requests / seconds, 1),
    requests,
    seconds: round(seconds),
    latencyMs: { p50: round(percentile(all, 0.5)), p95: round(percentile(all, 0.95)), p99: round(percentile(all, 0.99)), max: round(all[all.length - 1] ?? 0), mean: round(mean) },
    errors,
    rollbackShare: round(requests === 0 ? 0 : rollbacks / requests, 4),
    checked,
    latencyByKindMs: latencyByKind(reports),
    generatorCpuMicrosPerRequest: round(requests === 0 ? 0 : generatorCpuMicros / requests, 2),
  }
}

function latencyByKind (reports: GeneratorReport[]): Partial<Record<keyof StepMix, KindLatency>> {
  const byKind: Partial<Record<keyof StepMix, KindLatency>> = {}
  stepKinds.forEach((kind, code) => {
    const values: number[] = []
    for (const report of reports) {
      for (let i = 0; i < report.kinds.length; i++) if (report.kinds[i] === code) values.push(report.latenciesMs[i]!)
    }
    if (values.length === 0) return
    const sorted = Float64Array.from(values).sort()
    byKind[kind] = { count: sorted.length, p50: round(percentile(sorted, 0.5)), p99: round(percentile(sorted, 0.99)), mean: round(values.reduce((sum, value) => sum + value, 0) / values.length) }
  })
  return byKind
}

export interface SweepPoint {
  sessions: number
  connections: number
  stepsPerSecond: number
  p99Ms: number
  serverRssBytesPerSession: number
}

/** Throughput and memory per session against sessions, and throughput against connections: one SVG. */
export async function sweepChart (points: SweepPoint[], connectionPoints: SweepPoint[], idle: { sessions: number, bytesPerSession: number } | undefined): Promise<string> {
  const bySessions = [
    ...points.map((point) => ({ x: point.sessions, metric: 'steps/s while stepping', value: point.stepsPerSecond })),
    ...points.map((point) => ({ x: point.sessions, metric: 'server RSS bytes per session, stepping', value: point.serverRssBytesPerSession })),
    ...(idle === undefined ? [] : [{ x: idle.sessions, metric: 'server RSS bytes per session, idle', value: idle.bytesPerSession }]),
  ]
  const byConnections = connectionPoints.map((point) => ({ x: point.connections, metric: `steps/s at ${point.sessions} sessions`, value: point.stepsPerSecond }))
  const panel = (rows: Array<{ x: number, metric: string, value: number }>, xTitle: string) => ({
    data: { values: rows },
    width: 520,
    height: 200,
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative' as const, scale: { type: 'log' as const }, title: xTitle },
      y: { field: 'value', type: 'quantitative' as const, scale: { type: 'log' as const }, title: 'value (log scale)' },
      color: { field: 'metric', type: 'nominal' as const, legend: { orient: 'bottom' as const, columns: 1, title: null } },
    },
  })
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'codegym-serve: throughput and memory per session against concurrency',
    vconcat: [panel(bySessions, 'concurrent sessions (log scale)'), panel(byConnections, 'connections (log scale)')],
    resolve: { scale: { color: 'independent' } },
  }
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' })
  return view.toSVG()
}

const formatInteger = (value: number): string => Math.round(value).toLocaleString('en-US')

export interface CpuSummary { mainMicros: number, sandboxMicros: number, totalMicros: number, percentOfCore: { main: number, sandbox: number, total: number } }

export interface SummaryInput {
  command: string
  gitCommit: string
  machine: { cpus: number, cpuModel: string, memoryBytes: number, loadAverage: number[], loadAverageAtEnd?: number[] }
  elapsedSeconds: number
  settings: { sessions: number, connections: number, durationS: number, repeats: number }
  serverCpuPerStep?: CpuSummary & { sessions: number, cpuRatioToEcho?: number, atHalfPeakSessions?: Partial<CpuSummary> & { sessions: number } }
  echoCpuPerRequest?: CpuSummary
  generatorCpuMicrosPerRequest: { fullStack: number, echo: number }
  baselines: { echo: PhaseResult, inProcess: { stepsPerSecond: number } }
  fullStack: PhaseResult & { ratioToEcho: number, ratioToInProcess: number }
  atHalfPeakSessions?: { sessions: number, echo: PhaseResult, fullStack: PhaseResult, ratioToEcho: number }
  rounds: Record<string, { echoRequestsPerSecond: number[], fullStackRequestsPerSecond: number[], fullStackCpuMicrosPerStep: Array<number | undefined> }>
  halfPeak: Array<{ sessions: number, offeredRequestsPerSecond: number, fullStack: PhaseResult, echo: PhaseResult, p99RatioToEcho: number }>
  rollbackCost: { sessions: number, valid: { requestsPerSecond: number, cpuMicrosPerStep?: number, latencyMs: LatencySummary }, fail: { requestsPerSecond: number, cpuMicrosPerStep?: number, latencyMs: LatencySummary }, cpuRatio?: number, throughputRatio: number, inMixedLoad: { validMeanMs?: number, failMeanMs?: number } }
  activeSessions?: { sessions: number, rssBeforeBytes: number, rssPeakBytes: number, rssEndBytes: number, peakBytesPerSession: number, endBytesPerSession: number }
  idle?: { sessions: number, bytesPerSession: number, rssBeforeBytes: number, rssAfterBytes: number }
  sweep?: SweepPoint[]
  connectionSweep?: SweepPoint[]
  comparison?: { reference: string, referenceCommit: string, figures: Array<{ name: string, before?: number, after?: number, ratio?: number }> }
  targets: Array<{ name: string, value?: number, limit: string, met?: boolean, note?: string }>
}

const orDash = (value: number | undefined): string => value === undefined ? '–' : String(value)

export function markdownSummary (result: SummaryInput): string {
  const mib = (bytes: number): string => formatInteger(bytes / 2 ** 20)
  const lines = [
    '# codegym-serve load benchmark',
    '',
    `Command: \`${result.command}\` at commit \`${result.gitCommit}\`, on ${result.machine.cpus} × ${result.machine.cpuModel}, ${formatInteger(result.machine.memoryBytes / 2 ** 30)} GiB; load average at the start ${result.machine.loadAverage.join(' / ')}${result.machine.loadAverageAtEnd === undefined ? '' : `, at the end ${result.machine.loadAverageAtEnd.join(' / ')}`}.`,
    `${formatInteger(result.settings.sessions)} sessions over ${result.settings.connections} connections, ${result.settings.durationS} s measured per phase, ${result.settings.repeats} alternating echo / full-stack rounds (median reported); the run took ${formatInteger(result.elapsedSeconds)} s.`,
    '',
  ]
  const cpu = result.serverCpuPerStep
  if (cpu !== undefined) {
    lines.push('## Server CPU per step', '',
      'CPU time (user + system, Linux /proc) of codegym-serve\'s processes over exactly the measured window, divided by the responses answered in it; the round with the median total.', '',
      '| process | µs per step | % of a core |', '| --- | ---: | ---: |',
      `| main process | ${cpu.mainMicros} | ${cpu.percentOfCore.main} |`,
      `| sandbox processes | ${cpu.sandboxMicros} | ${cpu.percentOfCore.sandbox} |`,
      `| **total, ${formatInteger(cpu.sessions)} sessions** | **${cpu.totalMicros}** | ${cpu.percentOfCore.total} |`)
    if (cpu.atHalfPeakSessions?.totalMicros !== undefined) lines.push(`| total, ${formatInteger(cpu.atHalfPeakSessions.sessions)} sessions | ${cpu.atHalfPeakSessions.totalMicros} | ${orDash(cpu.atHalfPeakSessions.percentOfCore?.total)} |`)
    if (result.echoCpuPerRequest !== undefined) lines.push(`| echo server (bare ws + MessagePack), per request | ${result.echoCpuPerRequest.totalMicros} | ${result.echoCpuPerRequest.percentOfCore.total} |`)
    lines.push(`| load generator, per request (full stack / echo) | ${result.generatorCpuMicrosPerRequest.fullStack} / ${result.generatorCpuMicrosPerRequest.echo} | |`, '')
    if (cpu.cpuRatioToEcho !== undefined) lines.push(`Server CPU per step / echo CPU per request: ${cpu.cpuRatioToEcho}×.`, '')
  }
  lines.push('## Throughput and latency', '',
    '| run | requests/s | p50 ms | p95 ms | p99 ms | max ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: |')
  const row = (name: string, phase: PhaseResult): string => `| ${name} | ${formatInteger(phase.requestsPerSecond)} | ${phase.latencyMs.p50} | ${phase.latencyMs.p95} | ${phase.latencyMs.p99} | ${phase.latencyMs.max} |`
  lines.push(row(`echo baseline (bare ws + MessagePack), ${formatInteger(result.settings.sessions)} sessions`, result.baselines.echo), row(`full stack, ${formatInteger(result.settings.sessions)} sessions`, result.fullStack))
  if (result.atHalfPeakSessions !== undefined) lines.push(row(`echo baseline, ${formatInteger(result.atHalfPeakSessions.sessions)} sessions`, result.atHalfPeakSessions.echo), row(`full stack, ${formatInteger(result.atHalfPeakSessions.sessions)} sessions`, result.atHalfPeakSessions.fullStack))
  for (const point of result.halfPeak) {
    lines.push(row(`full stack at half of its peak (${formatInteger(point.offeredRequestsPerSecond)}/s offered), ${formatInteger(point.sessions)} sessions`, point.fullStack),
      row(`echo at the same offered load, ${formatInteger(point.sessions)} sessions`, point.echo))
  }
  lines.push('', `In-process baseline (the same tool called directly, no sandbox, no network): ${formatInteger(result.baselines.inProcess.stepsPerSecond)} steps/s.`,
    `Full stack / echo: **${result.fullStack.ratioToEcho}×** at ${formatInteger(result.settings.sessions)} sessions${result.atHalfPeakSessions === undefined ? '' : `, ${result.atHalfPeakSessions.ratioToEcho}× at ${formatInteger(result.atHalfPeakSessions.sessions)}`}; full stack / in-process: ${result.fullStack.ratioToInProcess}×.`,
    `p99 at half of peak / echo at the same load: ${result.halfPeak.map((point) => `**${point.p99RatioToEcho}×** at ${formatInteger(point.sessions)} sessions`).join(', ')}.`,
    `Rounds (requests/s): ${Object.entries(result.rounds).map(([sessions, rounds]) => `${formatInteger(Number(sessions))} sessions echo ${rounds.echoRequestsPerSecond.map(formatInteger).join(', ')}; full stack ${rounds.fullStackRequestsPerSecond.map(formatInteger).join(', ')} (CPU µs/step ${rounds.fullStackCpuMicrosPerStep.map(orDash).join(', ')})`).join('; ')}.`,
    `Rollback share: ${result.fullStack.rollbackShare}; errors by code: ${JSON.stringify(result.fullStack.errors)}.`)
  const rollback = result.rollbackCost
  lines.push('', '## Rollback cost', '',
    `${formatInteger(rollback.sessions)} sessions, every call valid against every call failing and rolled back: ${orDash(rollback.valid.cpuMicrosPerStep)} against ${orDash(rollback.fail.cpuMicrosPerStep)} µs of server CPU per step (**${orDash(rollback.cpuRatio)}×**), ${formatInteger(rollback.valid.requestsPerSecond)} against ${formatInteger(rollback.fail.requestsPerSecond)} steps/s (${rollback.throughputRatio}×). In the mixed load, mean latency of a valid step ${orDash(rollback.inMixedLoad.validMeanMs)} ms, of a rolled-back one ${orDash(rollback.inMixedLoad.failMeanMs)} ms.`)
  lines.push('', '## Memory', '')
  if (result.activeSessions !== undefined) {
    const active = result.activeSessions
    lines.push(`Active sessions: ${formatInteger(active.sessions)} stepping on a fresh server; RSS of its processes ${mib(active.rssBeforeBytes)} MiB before, ${mib(active.rssPeakBytes)} MiB at the peak, ${mib(active.rssEndBytes)} MiB at the end: **${formatInteger(active.peakBytesPerSession)} bytes per active session** at the peak, ${formatInteger(active.endBytesPerSession)} at the end.`)
  }
  if (result.idle !== undefined) {
    lines.push(`Idle sessions: ${formatInteger(result.idle.sessions)} held; server RSS ${mib(result.idle.rssBeforeBytes)} → ${mib(result.idle.rssAfterBytes)} MiB, **${formatInteger(result.idle.bytesPerSession)} bytes per idle session**.`)
  }
  if (result.sweep !== undefined && result.sweep.length > 0) {
    lines.push('', '| sessions | connections | steps/s | p99 ms | server RSS bytes/session |', '| ---: | ---: | ---: | ---: | ---: |')
    for (const point of [...result.sweep, ...result.connectionSweep ?? []]) lines.push(`| ${formatInteger(point.sessions)} | ${point.connections} | ${formatInteger(point.stepsPerSecond)} | ${point.p99Ms} | ${formatInteger(point.serverRssBytesPerSession)} |`)
    lines.push('', '![throughput and memory per session](sweep.svg)')
  }
  if (result.comparison !== undefined) {
    lines.push('', `## Against the reference run (\`${result.comparison.reference}\`, commit \`${result.comparison.referenceCommit}\`)`, '',
      '| figure | before | after | after / before |', '| --- | ---: | ---: | ---: |')
    for (const figure of result.comparison.figures) lines.push(`| ${figure.name} | ${orDash(figure.before)} | ${orDash(figure.after)} | ${orDash(figure.ratio)} |`)
  }
  lines.push('', '## Targets', '', '| target | value | limit | met |', '| --- | ---: | --- | --- |')
  for (const target of result.targets) lines.push(`| ${target.name} | ${orDash(target.value)} | ${target.limit} | ${target.met === undefined ? (target.note ?? 'not judged') : target.met ? 'yes' : 'no'} |`)
  return lines.join('\n') + '\n'
}
