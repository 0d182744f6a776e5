// Stage 3, pass@K verification: the LLM writes up to K tool-using solver programs, one at a time;
// each runs in the sandbox against the candidate env on every test input. The first that solves
// them all with reward 1 becomes the env's oracle.js; if none does, the env is dropped.
import { join } from 'node:path'
import { envPackageFiles, loadEnvPackage } from '../env/package.ts'
import { playEpisode } from '../env-check/play.ts'
import { Runtime } from '../env/runtime.ts'
import { PolicySandbox } from '../sandbox/policy-runner.ts'
import { writeText } from './artefacts.ts'
import { askLlm, rejected, type StageInput, type StageResult } from './context.ts'
import { loadPrompt, extractFiles } from './prompts.ts'
import { synthEnvId } from './gym-stage.ts'

export interface SolverOutcome {
  attempt: number
  passed: boolean
  /** Tasks solved with reward 1, of all test inputs. */
  solved: number
  /** Why it failed: the first task it did not solve, or why it could not run. */
  failure?: string
}

export async function verifyStage ({ context, problem, artefacts }: StageInput): Promise<StageResult> {
  const spec = await loadEnvPackage(artefacts.packageDir)
  const envId = synthEnvId(problem.id)
  const taskIds = [...spec.tasks.keys()]
  const stageDir = artefacts.stageDir('verify')
  const variables = {
    problemId: problem.id,
    statement: spec.manifest.statement,
    tools: JSON.stringify(spec.manifest.tools, null, 2),
    answer: JSON.stringify(spec.manifest.answer, null, 2),
    problemStatement: problem.statement,
  }
  const outcomes: SolverOutcome[] = []
  const runtime = await Runtime.create({ envDirs: [artefacts.packageDir], sandbox: { workers: 1 } })
  try {
    for (let attempt = 1; attempt <= context.limits.k; attempt++) {
      const { answer } = await askLlm(context, join(stageDir, `solver-${attempt}.md`), 'solver', variables, attempt)
      const source = extractFiles(answer).get('solver.js')
      let outcome: SolverOutcome
      if (source === undefined) {
        outcome = { attempt, passed: false, solved: 0, failure: 'the answer has no code block named solver.js' }
      } else {
        await writeText(join(stageDir, `solver-${attempt}.js`), source)
        outcome = await runSolver(runtime, envId, taskIds, source, attempt)
      }
      outcomes.push(outcome)
      if (outcome.passed) {
        await writeText(join(artefacts.packageDir, envPackageFiles.oracle), source!)
        break
      }
    }
  } finally {
    await runtime.close()
  }
  await writeText(join(stageDir, 'solvers.json'), JSON.stringify(outcomes, null, 2) + '\n')
  const common = { attempts: outcomes.length, promptVersion: loadPrompt('solver').version }
  const passing = outcomes.find((outcome) => outcome.passed)
  if (passing === undefined) {
    const best = Math.max(0, ...outcomes.map((outcome) => outcome.solved))
    return rejected('no_solver_passed', `none of ${outcomes.length} solvers solved all ${taskIds.length} test inputs (best: ${best}); solver 1: ${outcomes[0]?.failure ?? '?'}`, common)
  }
  return { status: 'kept', ...common, details: { oracle: `solver-${passing.attempt}.js`, tasks: taskIds.length } }
}

async function runSolver (runtime: Runtime, envId: string, taskIds: readonly string[], source: string, attempt: number): Promise<SolverOutcome> {
  let policy: PolicySandbox
  try {
    policy = new PolicySandbox(source)
  } catch (error) {
    return { attempt, passed: false, solved: 0, failure: `it does not load: ${(error as Error).message}` }
  }
  let solved = 0
  let failure: string | undefined
  try {
    for (const task of taskIds) {
      const { episode, ...reset } = await runtime.reset(envId, { task, seed: 1 })
      const played = await playEpisode(episode, reset, policy)
      episode.close()
      if (played.reward === 1 && played.terminated) {
        solved++
        continue
      }
      failure ??= `task ${task}: ${played.policyError ?? (played.terminated ? `reward ${played.reward} for ${JSON.stringify(played.steps.at(-1)?.observation)}` : 'the episode was truncated')}`
    }
  } finally {
    policy.dispose()
  }
  const outcome: SolverOutcome = { attempt, passed: failure === undefined, solved }
  if (failure !== undefined) outcome.failure = failure
  return outcome
}
