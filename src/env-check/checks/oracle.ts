// oracle: the env's oracle.js solves every fixed task and every difficulty at every seed (reward 1).
import type { CheckContext, OracleRunWithFailure } from '../context.ts'
import { Findings } from '../findings.ts'
import type { CheckOutcome } from '../types.ts'

export async function checkOracle (context: CheckContext): Promise<CheckOutcome> {
  const findings = new Findings()
  const runs: readonly OracleRunWithFailure[] = await context.oracleRuns()
  for (const run of runs) findings.expect(run.solved, () => `${run.label}: ${run.failure ?? 'not solved'}`)
  return findings.outcome('oracle', `reward 1 on ${runs.length} tasks (${context.spec.tasks.size} fixed, ${context.difficulties.length} difficulties x ${context.seeds.length} seeds)`)
}
