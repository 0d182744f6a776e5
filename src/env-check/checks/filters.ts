// filters: the paper's filters on the oracle's episodes (tool calls per episode, distinct tools).
import { doneToolName } from '../../contract/builtin-tools.ts'
import type { CheckContext } from '../context.ts'
import { Findings } from '../findings.ts'
import type { CheckOutcome } from '../types.ts'

/** The paper's filters on the oracle's episodes. */
export const oracleFilters = Object.freeze({ minToolCalls: 10, maxToolCalls: 256, minDistinctTools: 4 })

export async function checkFilters (context: CheckContext): Promise<CheckOutcome> {
  const findings = new Findings()
  const runs = await context.oracleRuns()
  const { minToolCalls, maxToolCalls, minDistinctTools } = oracleFilters
  for (const run of runs) {
    findings.expect(run.toolCalls >= minToolCalls && run.toolCalls <= maxToolCalls, () => `${run.label}: the oracle made ${run.toolCalls} tool calls, outside ${minToolCalls}..${maxToolCalls}`)
    const tools = run.distinctTools.filter((name) => name !== doneToolName)
    findings.expect(tools.length >= minDistinctTools, () => `${run.label}: the oracle used ${tools.length} distinct tools besides Done (${tools.join(', ')}), fewer than ${minDistinctTools}`)
  }
  const calls = runs.map((run) => run.toolCalls)
  const tools = runs.map((run) => run.distinctTools.filter((name) => name !== doneToolName).length)
  return findings.outcome('filters', `${Math.min(...calls)}..${Math.max(...calls)} tool calls, at least ${Math.min(...tools)} distinct tools besides Done`)
}
