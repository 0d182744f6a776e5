// Stage 4, filters: the env checker (codegym envs check) on the candidate package, and the paper's
// complexity filters on its oracle's episodes with the configured bounds (the checker's own
// filters check uses the paper's fixed bounds, so it is left to this stage).
import { join } from 'node:path'
import { checkEnv, checkNames, type EnvCheckReport } from '../env-check/index.ts'
import { doneToolName } from '../contract/builtin-tools.ts'
import { Runtime } from '../env/runtime.ts'
import { writeText } from './artefacts.ts'
import { rejected, type StageInput, type StageResult } from './context.ts'
import { synthEnvId } from './gym-stage.ts'

export async function filtersStage ({ context, problem, artefacts }: StageInput): Promise<StageResult> {
  const runtime = await Runtime.create({ envDirs: [artefacts.packageDir], sandbox: { workers: 1 } })
  let report: EnvCheckReport
  try {
    report = await checkEnv(runtime, synthEnvId(problem.id), { checks: checkNames.filter((name) => name !== 'filters') })
  } finally {
    await runtime.close()
  }
  await writeText(join(artefacts.stageDir('filters'), 'check.json'), JSON.stringify(report, null, 2) + '\n')
  const failed = report.checks.filter((check) => check.status === 'fail')
  const describeFailure = (): string => failed.map((check) => `${check.check}: ${check.detail}`).join('; ')
  if (failed.some((check) => check.check === 'oracle')) return rejected('checker_failed', describeFailure())

  const { minCalls, maxCalls, minTools } = context.limits
  const calls = report.oracleRuns.map((run) => run.toolCalls)
  const tools = report.oracleRuns.map((run) => run.distinctTools.filter((name) => name !== doneToolName).length)
  const details = { minCalls: Math.min(...calls), maxCalls: Math.max(...calls), minTools: Math.min(...tools), oracleRuns: report.oracleRuns.length }
  const fewest = report.oracleRuns.find((run) => run.toolCalls < minCalls)
  if (fewest !== undefined) return rejected('too_few_calls', `${fewest.label}: the oracle made ${fewest.toolCalls} tool calls, fewer than ${minCalls}`, { details })
  const most = report.oracleRuns.find((run) => run.toolCalls > maxCalls)
  if (most !== undefined) return rejected('too_many_calls', `${most.label}: the oracle made ${most.toolCalls} tool calls, more than ${maxCalls}`, { details })
  const narrow = report.oracleRuns.find((run) => run.distinctTools.filter((name) => name !== doneToolName).length < minTools)
  if (narrow !== undefined) return rejected('too_few_tools', `${narrow.label}: the oracle used ${narrow.distinctTools.filter((name) => name !== doneToolName).join(', ')}, fewer than ${minTools} distinct tools besides Done`, { details })
  if (failed.length > 0) return rejected('checker_failed', describeFailure(), { details })
  return { status: 'kept', attempts: 0, details }
}
