// Stage 5, the difficulty filter: the reference policy plays every task N times; a task is kept
// when it is solved in at most maxSolveRate of its tries. An env none of whose tasks remain is too easy.
import { join } from 'node:path'
import { loadEnvPackage } from '../env/package.ts'
import { writeText } from './artefacts.ts'
import { rejected, type StageInput, type StageResult } from './context.ts'
import { synthEnvId } from './gym-stage.ts'

export async function difficultyStage ({ context, problem, artefacts }: StageInput): Promise<StageResult> {
  const { policy, limits } = context
  const spec = await loadEnvPackage(artefacts.packageDir)
  const taskIds = [...spec.tasks.keys()]
  if (policy === undefined) return { status: 'skipped', attempts: 0, details: { keptTasks: taskIds, reason: 'no reference policy configured (--policy-url)' } }
  const counts = await policy.solveCounts(artefacts.packageDir, synthEnvId(problem.id), taskIds, limits.difficultyTries)
  await writeText(join(artefacts.stageDir('difficulty'), 'solve-counts.json'), JSON.stringify(counts, null, 2) + '\n')
  const played = counts.filter((count) => count.errors < count.tries)
  if (played.length === 0) {
    const message = `every episode of the reference policy failed: ${counts[0]?.lastError ?? 'no tasks'}`
    return { status: 'error', reason: { code: 'policy_failed', message }, attempts: 0 }
  }
  // An episode that could not be played counts as a try the policy did not win, unless all failed.
  const keptTasks = counts.filter((count) => count.errors < count.tries && count.solved / count.tries <= limits.maxSolveRate).map((count) => count.taskId)
  const rates = Object.fromEntries(counts.map((count) => [count.taskId, count.solved / count.tries]))
  const details = { keptTasks, solveRates: rates, maxSolveRate: limits.maxSolveRate, tries: limits.difficultyTries }
  if (keptTasks.length === 0) return rejected('too_easy', `the reference policy solves every task in more than ${limits.maxSolveRate} of ${limits.difficultyTries} tries`, { details })
  return { status: 'kept', attempts: 0, details }
}
