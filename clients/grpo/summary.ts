// Batch statistics for the summary the CLI prints: rewards, group spread, terminations, tokens.
import { groupStats, scoreGroup, type GroupStats } from './advantages.ts'
import type { DroppedGroupLine, RolloutRecord, Termination } from './record.ts'

export interface BatchSummary {
  groups: number
  rollouts: number
  meanReward: number
  /** Groups whose rewards were all equal (kept, flagged or dropped). */
  zeroVarianceGroups: number
  droppedGroups: number
  /** Groups with at least one 'error' rollout, and those of them the error policy left out of training. */
  errorGroups: number
  excludedGroups: number
  /** Rollouts a trainer gets: those of groups neither dropped nor excluded. */
  trainableRollouts: number
  /** Groups with at least one reward-1 rollout: the task was solved at least once. */
  solvedGroups: number
  terminations: Record<Termination, number>
  /** The error of the first 'error' rollout in the records, to say what went wrong. */
  firstError?: string
  meanTurns: number
  meanToolCalls: number
  parseErrors: number
  rollbacks: number
  completionTokens: number
  /** Mean, over the groups that train, of the reward spread their advantages were computed from. */
  meanGroupStd: number
  /** Each group's statistics over the rewards its advantages were computed from (the error policy's choice). */
  perGroup: Array<{ groupId: string, taskId: string, env: string, errors: number, excluded: boolean } & GroupStats>
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
  let firstError: string | undefined
  for (const record of records) {
    terminations[record.termination]++
    if (record.termination === 'error' && firstError === undefined) firstError = record.error
    reward += record.reward
    turns += record.turns
    toolCalls += record.toolCalls
    parseErrors += record.parseErrors
    rollbacks += record.rollbacks
    completionTokens += record.completionTokens
  }
  const perGroup: BatchSummary['perGroup'] = [...groups.values()].map((members) => {
    // Records written before the error policy existed were scored as 'flag' is.
    const { excluded, scored } = scoreGroup(members, members[0]!.errorPolicy ?? 'flag')
    return {
      groupId: members[0]!.groupId,
      taskId: members[0]!.taskId,
      env: members[0]!.env,
      errors: members.filter((member) => member.termination === 'error').length,
      excluded,
      ...groupStats(members.filter((_member, index) => scored[index]).map((member) => member.reward)),
    }
  })
  for (const group of dropped) perGroup.push({ groupId: group.groupId, taskId: group.taskId, env: group.env, errors: 0, excluded: false, ...groupStats(group.rewards) })
  const training = perGroup.filter((group) => !group.excluded)
  const count = Math.max(records.length, 1)
  return {
    groups: perGroup.length,
    rollouts: records.length,
    meanReward: reward / count,
    zeroVarianceGroups: training.filter((group) => group.zeroVariance).length,
    droppedGroups: dropped.length,
    errorGroups: perGroup.filter((group) => group.errors > 0).length,
    excludedGroups: perGroup.filter((group) => group.excluded).length,
    trainableRollouts: records.filter((record) => record.excluded !== true).length,
    solvedGroups: perGroup.filter((group) => group.max > 0).length,
    terminations,
    ...(firstError === undefined ? {} : { firstError }),
    meanTurns: turns / count,
    meanToolCalls: toolCalls / count,
    parseErrors,
    rollbacks,
    completionTokens,
    meanGroupStd: training.reduce((sum, group) => sum + group.std, 0) / Math.max(training.length, 1),
    perGroup,
  }
}
