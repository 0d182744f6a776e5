// The headline figures of a load run, their ratios to an earlier run's (`--before <result.json>`),
// and the targets they are held to. Targets never change the exit code; a wrong response does.
import { readFileSync } from 'node:fs'

/** The figures a before/after comparison and the targets read from a result. */
export interface Headline {
  serverCpuMicrosPerStep: number | undefined
  serverMainCpuMicrosPerStep: number | undefined
  sandboxCpuMicrosPerStep: number | undefined
  stepsPerSecond: number
  ratioToEcho: number
  activeRssBytesPerSession: number | undefined
  idleRssBytesPerSession: number | undefined
  /** p99 of the full stack at half of its peak over the echo server's at the same offered load, by session count. */
  halfPeakP99RatioToEcho: Record<string, number>
  halfPeakP99Ms: Record<string, number>
}

export interface Comparison {
  reference: string
  referenceCommit: string
  figures: Array<{ name: string, before: number | undefined, after: number | undefined, ratio: number | undefined }>
}

export interface Target {
  name: string
  value: number | undefined
  limit: string
  /** undefined when the target cannot be judged in this run, with `note` saying why */
  met: boolean | undefined
  note?: string
}

const round = (value: number, digits = 3): number => Number(value.toFixed(digits))

/** The headline figures of a result written by this bench (result.json). */
export function headlineOf (result: Record<string, unknown>): Headline {
  const fromResult = result as {
    headline?: Headline
  }
  if (fromResult.headline === undefined) throw new Error('the reference result has no headline figures: it was written by an older bench; measure the reference again with this one')
  return fromResult.headline
}

export function loadReference (path: string): { headline: Headline, gitCommit: string } {
  let parsed: Record<string, unknown>
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
  } catch (error) {
    throw new Error(`--before ${path}: cannot read a result.json there (${(error as Error).message})`)
  }
  return { headline: headlineOf(parsed), gitCommit: String(parsed.gitCommit ?? 'unknown') }
}

export function compare (after: Headline, before: Headline, reference: string, referenceCommit: string): Comparison {
  const ratio = (a: number | undefined, b: number | undefined): number | undefined => a === undefined || b === undefined || b === 0 ? undefined : round(a / b)
  const figure = (name: string, pick: (headline: Headline) => number | undefined): Comparison['figures'][number] =>
    ({ name, before: pick(before), after: pick(after), ratio: ratio(pick(after), pick(before)) })
  const sessionCounts = [...new Set([...Object.keys(after.halfPeakP99Ms), ...Object.keys(before.halfPeakP99Ms)])]
  return {
    reference,
    referenceCommit,
    figures: [
      figure('server CPU per step, total (µs)', (headline) => headline.serverCpuMicrosPerStep),
      figure('server CPU per step, main process (µs)', (headline) => headline.serverMainCpuMicrosPerStep),
      figure('server CPU per step, sandbox processes (µs)', (headline) => headline.sandboxCpuMicrosPerStep),
      figure('full stack steps/s', (headline) => headline.stepsPerSecond),
      figure('full stack / echo (steps/s)', (headline) => headline.ratioToEcho),
      figure('RSS per active session, peak (bytes)', (headline) => headline.activeRssBytesPerSession),
      figure('RSS per idle session (bytes)', (headline) => headline.idleRssBytesPerSession),
      ...sessionCounts.flatMap((sessions) => [
        figure(`p99 at half of peak, ${sessions} sessions (ms)`, (headline) => headline.halfPeakP99Ms[sessions]),
        figure(`p99 at half of peak / echo at the same load, ${sessions} sessions`, (headline) => headline.halfPeakP99RatioToEcho[sessions]),
      ]),
    ],
  }
}

/** Target: server CPU per step at most this share of the reference's. */
export const cpuPerStepLimitOfReference = 1 / 3
export const ratioToEchoLimit = 0.6
export const activeRssBytesPerSessionLimit = 8 * 1024
export const halfPeakP99RatioLimit = 3
export const idleSessionsTarget = 100_000
/** The session count the throughput and CPU targets are stated at. */
export const targetSessions = 4096

export function targets (headline: Headline, sessions: number, comparison: Comparison | undefined, idleSessions: number | undefined): Target[] {
  const atTargetCount = sessions === targetSessions ? undefined : `measured at ${sessions} sessions, the target is stated at ${targetSessions}`
  const judged = (value: number | undefined, met: (value: number) => boolean, note?: string): Pick<Target, 'value' | 'met' | 'note'> =>
    value === undefined ? { value, met: undefined, note: note ?? 'not measured in this run' } : { value, met: note === undefined ? met(value) : undefined, ...(note === undefined ? {} : { note }) }
  const cpuRatio = comparison?.figures.find((figure) => figure.name.startsWith('server CPU per step, total'))?.ratio
  const list: Target[] = [
    {
      name: 'server CPU per step / the reference run\'s (--before)',
      limit: `≤ ${round(cpuPerStepLimitOfReference)}`,
      ...(comparison === undefined ? { value: undefined, met: undefined, note: 'no reference' } : judged(cpuRatio, (value) => value <= cpuPerStepLimitOfReference, atTargetCount)),
    },
    { name: `full stack / echo baseline at ${targetSessions} sessions (steps/s)`, limit: `≥ ${ratioToEchoLimit}`, ...judged(headline.ratioToEcho, (value) => value >= ratioToEchoLimit, atTargetCount) },
    { name: `RSS per active session at ${targetSessions} sessions stepping, peak (bytes)`, limit: `≤ ${activeRssBytesPerSessionLimit}`, ...judged(headline.activeRssBytesPerSession, (value) => value <= activeRssBytesPerSessionLimit, atTargetCount) },
    ...Object.entries(headline.halfPeakP99RatioToEcho).map(([count, ratio]) => ({
      name: `p99 at half of peak / echo's p99 at the same offered load, ${count} sessions`,
      limit: `≤ ${halfPeakP99RatioLimit}`,
      ...judged(ratio, (value) => value <= halfPeakP99RatioLimit),
    })),
  ]
  if (idleSessions !== undefined) list.push({ name: 'idle live sessions held in one server process', limit: `≥ ${idleSessionsTarget.toLocaleString('en-US')}`, ...judged(idleSessions, (value) => value >= idleSessionsTarget) })
  return list
}
