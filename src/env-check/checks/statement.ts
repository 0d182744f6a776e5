// statement: the initial observation fills every placeholder of the task statement, on every fixed
// task and every difficulty.
import { unfilledPlaceholders } from '../../env/statement.ts'
import type { ResetOptions } from '../../schemas/env.generated.ts'
import { describeOptions, type CheckContext } from '../context.ts'
import { Findings } from '../findings.ts'
import type { CheckOutcome } from '../types.ts'

export async function checkStatement (context: CheckContext): Promise<CheckOutcome> {
  const findings = new Findings()
  const { statement } = context.spec.manifest
  const cases: ResetOptions[] = [...context.spec.tasks.keys()].map((task) => ({ task, seed: 1 }))
  for (const difficulty of context.difficulties) cases.push({ seed: 1, difficulty })
  for (const options of cases) {
    const { observation, info, episode } = await context.runtime.reset(context.envId, options)
    episode.close()
    const missing = unfilledPlaceholders(statement, observation)
    findings.expect(missing.length === 0, () => `${describeOptions(options)}: the initial observation does not fill ${missing.map((key) => `{{${key}}}`).join(', ')}`)
    findings.expect(info.task.trim() !== '', () => `${describeOptions(options)}: the statement is empty`)
  }
  return findings.outcome('statement', `placeholders filled on ${cases.length} tasks`)
}
