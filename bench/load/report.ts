// Summaries, the Markdown report and the SVG chart of a load run.
import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import type { GeneratorReport } from './types.ts'

export interface LatencySummary { p50: number, p95: number, p99: number, max: number, mean: number }

export interface PhaseResult {
  requestsPerSecond: number
  requests: number
  seconds: number
  latencyMs: LatencySummary
  errors: Record<string, number>
  rollbackShare: number
  checked: number
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
  return {
    requestsPerSecond: round(requests / seconds, 1),
    requests,
    seconds: round(seconds),
    latencyMs: { p50: round(percentile(all, 0.5)), p95: round(percentile(all, 0.95)), p99: round(percentile(all, 0.99)), max: round(all[all.length - 1] ?? 0), mean: round(mean) },
    errors,
    rollbackShare: round(requests === 0 ? 0 : rollbacks / requests, 4),
    checked,
  }
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

export function markdownSummary (result: Record<string, unknown> & {
  command: string
  gitCommit: string
  machine: { cpus: number, cpuModel: string, memoryBytes: number }
  baselines: { echo: PhaseResult, inProcess: { stepsPerSecond: number } }
  fullStack: PhaseResult & { ratioToEcho: number, ratioToInProcess: number, server?: { cpuPercent: number, rssBytes: number } }
  halfPeak?: PhaseResult
  idle?: { sessions: number, bytesPerSession: number, rssBeforeBytes: number, rssAfterBytes: number }
  sweep?: SweepPoint[]
  connectionSweep?: SweepPoint[]
  targets: Array<{ name: string, value: number, limit: string, met: boolean }>
}): string {
  const lines = [
    '# codegym-serve load benchmark',
    '',
    `Command: \`${result.command}\` at commit \`${result.gitCommit}\`, on ${result.machine.cpus} × ${result.machine.cpuModel}, ${formatInteger(result.machine.memoryBytes / 2 ** 30)} GiB.`,
    '',
    '| run | requests/s | p50 ms | p95 ms | p99 ms | max ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    `| echo baseline (bare ws + MessagePack) | ${formatInteger(result.baselines.echo.requestsPerSecond)} | ${result.baselines.echo.latencyMs.p50} | ${result.baselines.echo.latencyMs.p95} | ${result.baselines.echo.latencyMs.p99} | ${result.baselines.echo.latencyMs.max} |`,
    `| full stack | ${formatInteger(result.fullStack.requestsPerSecond)} | ${result.fullStack.latencyMs.p50} | ${result.fullStack.latencyMs.p95} | ${result.fullStack.latencyMs.p99} | ${result.fullStack.latencyMs.max} |`,
  ]
  if (result.halfPeak !== undefined) {
    lines.push(`| full stack at half of its peak rate | ${formatInteger(result.halfPeak.requestsPerSecond)} | ${result.halfPeak.latencyMs.p50} | ${result.halfPeak.latencyMs.p95} | ${result.halfPeak.latencyMs.p99} | ${result.halfPeak.latencyMs.max} |`)
  }
  lines.push('', `In-process baseline (the same tool called directly, no sandbox, no network): ${formatInteger(result.baselines.inProcess.stepsPerSecond)} steps/s.`,
    `Full stack / echo: **${result.fullStack.ratioToEcho}×**; full stack / in-process: ${result.fullStack.ratioToInProcess}×.`)
  if (result.fullStack.server !== undefined) {
    lines.push(`Server during the full-stack run (its sandbox processes included): ${result.fullStack.server.cpuPercent}% CPU, ${formatInteger(result.fullStack.server.rssBytes / 2 ** 20)} MiB RSS.`)
  }
  lines.push(`Rollback share: ${result.fullStack.rollbackShare}; errors by code: ${JSON.stringify(result.fullStack.errors)}.`)
  if (result.idle !== undefined) {
    lines.push('', `Idle sessions: ${formatInteger(result.idle.sessions)} held; server RSS ${formatInteger(result.idle.rssBeforeBytes / 2 ** 20)} → ${formatInteger(result.idle.rssAfterBytes / 2 ** 20)} MiB, **${formatInteger(result.idle.bytesPerSession)} bytes per idle session**.`)
  }
  if (result.sweep !== undefined && result.sweep.length > 0) {
    lines.push('', '| sessions | connections | steps/s | p99 ms | server RSS bytes/session |', '| ---: | ---: | ---: | ---: | ---: |')
    for (const point of [...result.sweep, ...result.connectionSweep ?? []]) lines.push(`| ${formatInteger(point.sessions)} | ${point.connections} | ${formatInteger(point.stepsPerSecond)} | ${point.p99Ms} | ${formatInteger(point.serverRssBytesPerSession)} |`)
    lines.push('', '![throughput and memory per session](sweep.svg)')
  }
  lines.push('', '| target | value | limit | met |', '| --- | ---: | --- | --- |')
  for (const target of result.targets) lines.push(`| ${target.name} | ${target.value} | ${target.limit} | ${target.met ? 'yes' : 'no'} |`)
  return lines.join('\n') + '\n'
}
