// The synthesis pipeline: every problem through the stages in order, each stage's verdict saved so
// that a rerun goes on where the last run stopped; then the kept envs are published and reported.
import { cp, mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { envPackageFiles, loadEnvPackage } from '../env/package.ts'
import type { StageStatus, SynthProblem, SynthStage } from '../schemas/synth.generated.ts'
import { readOptionalText } from '../contract/read-optional.ts'
import { ProblemArtefacts, synthStages, toJsonl, writeText } from './artefacts.ts'
import type { StageInput, StageResult, SynthContext } from './context.ts'
import { defaultSynthLimits, type LlmSettings, type SynthLimits } from './defaults.ts'
import { difficultyStage } from './difficulty-stage.ts'
import { filtersStage } from './filters-stage.ts'
import { gymStage } from './gym-stage.ts'
import { inputsStage } from './inputs-stage.ts'
import { LlmClient, LlmError } from './llm.ts'
import type { ReferencePolicy } from './reference-policy.ts'
import { buildReport, formatReport, type ProblemOutcome, type SynthReport } from './report.ts'
import { UntrustedCode, type UntrustedLimits } from './untrusted.ts'
import { verifyStage } from './verify-stage.ts'

const stageRunners: Readonly<Record<SynthStage, (input: StageInput) => Promise<StageResult>>> = {
  gym: gymStage,
  inputs: inputsStage,
  verify: verifyStage,
  filters: filtersStage,
  difficulty: difficultyStage,
}

export interface SynthOptions {
  problems: readonly SynthProblem[]
  outDir: string
  limits?: Partial<SynthLimits>
  /** The LLM that writes gyms, generators and solvers; needed unless those stages are done. */
  llm?: LlmSettings
  /** The difficulty filter's reference policy; without one that stage is skipped. */
  policy?: ReferencePolicy
  /** Run only these stages; a problem whose next stage is not among them waits (pending). */
  stages?: readonly SynthStage[]
  /** Run this stage again (and so every stage after it) even where it is finished. */
  forceStage?: SynthStage
  sandbox?: Partial<UntrustedLimits>
  /** Progress lines. */
  log?: (line: string) => void
}

export interface SynthResult {
  report: SynthReport
  /** The folder of kept env packages, servable with codegym-serve --envs. */
  envsDir: string
}

export async function runSynth (options: SynthOptions): Promise<SynthResult> {
  const limits: SynthLimits = { ...defaultSynthLimits, ...options.limits }
  const untrusted = new UntrustedCode(options.sandbox)
  const context: SynthContext = {
    limits,
    llm: options.llm === undefined ? undefined : new LlmClient(options.llm),
    untrusted,
    policy: options.policy,
  }
  const outcomes: ProblemOutcome[] = new Array<ProblemOutcome>(options.problems.length)
  try {
    let next = 0
    const lane = async (): Promise<void> => {
      while (next < options.problems.length) {
        const index = next++
        outcomes[index] = await runProblem(context, options, options.problems[index]!)
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limits.concurrency, options.problems.length)) }, lane))
  } finally {
    await untrusted.close()
  }
  const envsDir = join(options.outDir, 'envs')
  await publish(options.outDir, envsDir, outcomes)
  const report = buildReport(outcomes, limits)
  await writeText(join(options.outDir, 'report.json'), JSON.stringify(report, null, 2) + '\n')
  await writeText(join(options.outDir, 'report.md'), formatReport(report) + '\n')
  return { report, envsDir }
}

async function runProblem (context: SynthContext, options: SynthOptions, problem: SynthProblem): Promise<ProblemOutcome> {
  const artefacts = new ProblemArtefacts(options.outDir, problem.id)
  const problemPath = join(artefacts.dir, 'problem.json')
  const problemText = JSON.stringify(problem, null, 2) + '\n'
  const previous = await readOptionalText(problemPath)
  await writeText(problemPath, problemText)
  const statuses: StageStatus[] = []
  // A problem edited since the last run starts over: every artefact was made from the old one.
  let ranEarlier = false
  if (previous !== undefined && previous !== problemText) {
    for (const stage of synthStages) await artefacts.clearStage(stage)
  }
  for (const [index, stage] of synthStages.entries()) {
    let status = await artefacts.readStatus(stage)
    const mustRun = ranEarlier || options.forceStage === stage || status === undefined || status.status === 'error'
    if (mustRun) {
      // Later stages were made from what this one is about to replace.
      for (const later of synthStages.slice(index + 1)) await artefacts.clearStage(later)
      if (ranEarlier || options.forceStage === stage) await artefacts.clearStage(stage)
      if (options.stages !== undefined && !options.stages.includes(stage)) {
        await artefacts.clearStage(stage)
        return { problem, statuses, pendingStage: stage }
      }
      options.log?.(`${problem.id}: ${stage}`)
      status = await runStage(context, problem, artefacts, stage)
      await artefacts.writeStatus(status)
      ranEarlier = true
      options.log?.(`${problem.id}: ${stage} ${status.status}${status.reason !== undefined ? ` (${status.reason.code}: ${status.reason.message})` : ''}`)
    }
    statuses.push(status!)
    if (status!.status === 'rejected' || status!.status === 'error') break
  }
  return { problem, statuses }
}

async function runStage (context: SynthContext, problem: SynthProblem, artefacts: ProblemArtefacts, stage: SynthStage): Promise<StageStatus> {
  const startedAt = new Date()
  const started = performance.now()
  let result: StageResult
  try {
    if (stage === 'inputs') await rm(artefacts.packageDir, { recursive: true, force: true })
    if (stage === 'verify') await rm(join(artefacts.packageDir, envPackageFiles.oracle), { force: true })
    result = await stageRunners[stage]({ context, problem, artefacts })
  } catch (error) {
    result = error instanceof LlmError
      ? { status: 'error', reason: { code: 'llm_failed', message: error.message }, attempts: 0 }
      : { status: 'error', attempts: 0, details: { error: error instanceof Error ? (error.stack ?? error.message) : String(error) } }
  }
  const status: StageStatus = {
    problemId: problem.id,
    stage,
    status: result.status,
    attempts: result.attempts,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
  }
  if (result.reason !== undefined) status.reason = result.reason
  if (result.promptVersion !== undefined) status.promptVersion = result.promptVersion
  if (result.details !== undefined) status.details = result.details
  return status
}

/** Copies each kept package into envsDir with the tasks the difficulty filter kept; removes envs no longer kept. */
async function publish (outDir: string, envsDir: string, outcomes: readonly ProblemOutcome[]): Promise<void> {
  await mkdir(envsDir, { recursive: true })
  const kept = new Set<string>()
  for (const outcome of outcomes) {
    if (!isKept(outcome)) continue
    const { problem } = outcome
    const source = new ProblemArtefacts(outDir, problem.id).packageDir
    const target = join(envsDir, problem.id)
    await rm(target, { recursive: true, force: true })
    await cp(source, target, { recursive: true })
    const difficulty = outcome.statuses.find((status) => status.stage === 'difficulty')
    const keptTasks = new Set(difficulty?.details?.keptTasks as string[] | undefined)
    const spec = await loadEnvPackage(source)
    await writeText(join(target, envPackageFiles.tasks), toJsonl([...spec.tasks.values()].filter((task) => keptTasks.has(task.id))))
    kept.add(problem.id)
  }
  // An env kept by an earlier run whose problem is no longer kept.
  for (const outcome of outcomes) {
    if (!kept.has(outcome.problem.id)) await rm(join(envsDir, outcome.problem.id), { recursive: true, force: true })
  }
}

export function isKept (outcome: ProblemOutcome): boolean {
  return outcome.pendingStage === undefined && outcome.statuses.length === synthStages.length &&
    outcome.statuses.every((status) => status.status === 'kept' || status.status === 'skipped')
}
