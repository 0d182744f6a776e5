// Batch statistics for the summary the CLI prints: rewards, group spread, terminations, tokens.
import { groupStats, type GroupStats } from './advantages.ts'
import type { DroppedGroupLine, RolloutRecord, Termination } from './record.ts'

export interface BatchSummary {
  groups: number
  rollouts: number
  meanReward: number
  /** Groups whose rewards were all equal (kept, flagged or dropped). */
  zeroVarianceGroups: number
  droppedGroups: number
  /** Groups with at least one reward-1 rollout: the task was solved at least once. */
  solvedGroups: number
  terminations: Record<Termination, number>
  meanTurns: number
  meanToolCalls: number
  parseErrors: number
  rollbacks: number
  completionTokens: number
  /** Mean, over groups, of each group statistic. */
  meanGroupStd: number
  perGroup: Array<{ groupId: string, taskId: string, env: string } & GroupStats>
}

export function summarize (records: readonly RolloutRecord[], dropped: readonly DroppedGroupLine['droppedGroup'][] = []): BatchSummary {
  const groups = new Map<string, RolloutRecord[]>()
  for (const record of records) {
    const members = groups.get(record.groupId)
    if (members === undefined) groups.set(record.groupId, [record])
    else members.push(record)
  }
  const terminations: Record<Termination, number> = { done: 0, truncated: 0, context_limit: 0, error: 0 }
  let reward = 0
  let turns = 0
  let toolCalls = 0
  let parseErrors = 0
  let rollbacks = 0
  let completionTokens = 0
  for (const record of records) {
    terminations[record.termination]++
    reward += record.reward
    turns += record.turns
    toolCalls += record.toolCalls
    parseErrors += record.parseErrors
    rollbacks += record.rollbacks
    completionTokens += record.completionTokens
  }
  const perGroup = [...groups.values()].map((members) => ({
    groupId: members[0]!.groupId,
    taskId: members[0]!.taskId,
    env: members[0]!.env,
    ...groupStats(members.map((member) => member.reward)),
  }))
  for (const group of dropped) perGroup.push({ groupId: group.groupId, taskId: group.taskId, env: group.env, ...groupStats(group.rewards) })
  const count = Math.max(records.length, 1)
  return {
    groups: perGroup.length,
    rollouts: records.length,
    meanReward: reward / count,
    zeroVarianceGroups: perGroup.filter((group) => group.zeroVariance).length,
    droppedGroups: dropped.length,
    solvedGroups: perGroup.filter((group) => group.max > 0).length,
    terminations,
    meanTurns: turns / count,
    meanToolCalls: toolCalls / count,
    parseErrors,
    rollbacks,
    completionTokens,
    meanGroupStd: perGroup.reduce((sum, group) => sum + group.std, 0) / Math.max(perGroup.length, 1),
    perGroup,
  }
}
