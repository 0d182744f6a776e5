// The funnel the paper reports: problems in, synthesized, verified, filtered, kept, with the
// reasons problems were dropped at each step; as JSON (report.json) and Markdown (report.md).
import type { StageStatus, SynthProblem, SynthReasonCode, SynthStage } from '../schemas/synth.generated.ts'
import { loadPrompt, promptFiles, type PromptName } from './prompts.ts'
import type { SynthLimits } from './defaults.ts'

export interface ProblemOutcome {
  problem: SynthProblem
  /** Statuses of the stages reached, in order. */
  statuses: StageStatus[]
  /** The stage the problem waits at, when --stages left it out. */
  pendingStage?: SynthStage
}

/** The funnel's steps and the stages whose success each one counts. */
export const funnelSteps: ReadonlyArray<{ step: string, stages: readonly SynthStage[] }> = [
  { step: 'synthesized', stages: ['gym'] },
  { step: 'verified', stages: ['inputs', 'verify'] },
  { step: 'filtered', stages: ['filters'] },
  { step: 'kept', stages: ['difficulty'] },
]

export interface FunnelRow {
  step: string
  problems: number
  /** Dropped on the way to this step, by reason code (errors as 'error:<code>', waiting ones as 'pending'). */
  dropped: Record<string, number>
}

export interface ProblemLine {
  id: string
  /** kept, rejected, error or pending. */
  outcome: 'kept' | 'rejected' | 'error' | 'pending'
  /** The last stage it reached. */
  stage: SynthStage | 'none'
  reason?: { code: SynthReasonCode, message: string }
  detail?: string
}

export interface SynthReport {
  problemsIn: number
  funnel: FunnelRow[]
  problems: ProblemLine[]
  kept: string[]
  limits: SynthLimits
  prompts: Record<PromptName, string>
}

const passed = (status: StageStatus | undefined): boolean => status?.status === 'kept' || status?.status === 'skipped'

function lineOf (outcome: ProblemOutcome): ProblemLine {
  const last = outcome.statuses.at(-1)
  const line: ProblemLine = { id: outcome.problem.id, outcome: 'kept', stage: last?.stage ?? 'none' }
  if (outcome.pendingStage !== undefined) {
    line.outcome = 'pending'
    line.stage = outcome.pendingStage
  } else if (last !== undefined && (last.status === 'rejected' || last.status === 'error')) {
    line.outcome = last.status
    if (last.reason !== undefined) line.reason = last.reason
    else if (typeof last.details?.error === 'string') line.detail = last.details.error.split('\n')[0]!
  }
  return line
}

export function buildReport (outcomes: readonly ProblemOutcome[], limits: SynthLimits): SynthReport {
  const lines = outcomes.map(lineOf)
  const funnel: FunnelRow[] = [{ step: 'problems in', problems: outcomes.length, dropped: {} }]
  let remaining = [...outcomes]
  for (const { step, stages } of funnelSteps) {
    const dropped: Record<string, number> = {}
    const through = remaining.filter((outcome) => {
      const ok = stages.every((stage) => passed(outcome.statuses.find((status) => status.stage === stage)))
      if (!ok) {
        const line = lineOf(outcome)
        const key = line.outcome === 'pending' ? 'pending' : line.outcome === 'error' ? `error:${line.reason?.code ?? 'internal'}` : line.reason?.code ?? 'unknown'
        dropped[key] = (dropped[key] ?? 0) + 1
      }
      return ok
    })
    funnel.push({ step, problems: through.length, dropped })
    remaining = through
  }
  const prompts = Object.fromEntries((Object.keys(promptFiles) as PromptName[]).map((name) => [name, loadPrompt(name).version])) as Record<PromptName, string>
  return { problemsIn: outcomes.length, funnel, problems: lines, kept: remaining.map((outcome) => outcome.problem.id), limits, prompts }
}

const formatDropped = (dropped: Record<string, number>): string =>
  Object.entries(dropped).sort(([a], [b]) => a.localeCompare(b)).map(([code, count]) => `${code} ${count}`).join(', ')

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ')

export function formatReport (report: SynthReport): string {
  const lines = ['| step | problems | dropped | reasons |', '| --- | --- | --- | --- |']
  for (const row of report.funnel) {
    const dropped = Object.values(row.dropped).reduce((sum, count) => sum + count, 0)
    lines.push(`| ${row.step} | ${row.problems} | ${row.step === 'problems in' ? '' : dropped} | ${formatDropped(row.dropped)} |`)
  }
  lines.push('', '| problem | outcome | stage | reason |', '| --- | --- | --- | --- |')
  for (const line of report.problems) {
    const reason = line.reason !== undefined ? `${line.reason.code}: ${line.reason.message}` : line.detail ?? ''
    lines.push(`| ${line.id} | ${line.outcome} | ${line.stage} | ${cell(reason.length > 200 ? reason.slice(0, 200) + '...' : reason)} |`)
  }
  lines.push('', `prompts: ${Object.values(report.prompts).join(', ')}`)
  return lines.join('\n')
}
