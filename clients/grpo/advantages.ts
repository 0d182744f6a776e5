// Group-relative advantages. GRPO: (r − mean) / (std + ε), std the sample standard deviation
// (n − 1, as torch.std computes it in verl and TRL); Dr.GRPO: r − mean, no division. A group whose
// rewards are all equal teaches nothing (every advantage is 0): keep it, flag it, or drop it
// (DAPO's dynamic sampling drops them).
export type AdvantageEstimator = 'grpo' | 'dr_grpo'
export type ZeroVarianceMode = 'keep' | 'flag' | 'drop'

export interface GroupStats {
  size: number
  mean: number
  /** Sample standard deviation (n − 1); 0 for a group of one. */
  std: number
  min: number
  max: number
  zeroVariance: boolean
}

export function groupStats (rewards: readonly number[]): GroupStats {
  const size = rewards.length
  if (size === 0) return { size, mean: 0, std: 0, min: 0, max: 0, zeroVariance: true }
  const mean = rewards.reduce((sum, reward) => sum + reward, 0) / size
  const squares = rewards.reduce((sum, reward) => sum + (reward - mean) ** 2, 0)
  const std = size > 1 ? Math.sqrt(squares / (size - 1)) : 0
  const min = Math.min(...rewards)
  const max = Math.max(...rewards)
  return { size, mean, std, min, max, zeroVariance: min === max }
}

export function groupAdvantages (rewards: readonly number[], estimator: AdvantageEstimator, epsilon: number): number[] {
  const { mean, std } = groupStats(rewards)
  return rewards.map((reward) => estimator === 'grpo' ? (reward - mean) / (std + epsilon) : reward - mean)
}

/** Which of a group's rollouts its advantages are computed from, under an error policy (record.ts). */
export interface ScoredGroup {
  /** The whole group is left out of training ('drop_group' and an error in the group). */
  excluded: boolean
  /** Per member: whether its reward enters the group's mean and std (and it gets an advantage). */
  scored: boolean[]
}

export function scoreGroup (members: ReadonlyArray<{ termination: string }>, policy: 'drop_group' | 'flag' | 'zero_reward'): ScoredGroup {
  const failed = members.map((member) => member.termination === 'error')
  if (policy === 'zero_reward') return { excluded: false, scored: failed.map(() => true) }
  if (policy === 'drop_group' && failed.some(Boolean)) return { excluded: true, scored: failed.map(() => false) }
  return { excluded: false, scored: failed.map((isError) => !isError) }
}

/** A group's advantages under an error policy: 0 for members that are not scored. */
export function policyAdvantages (members: ReadonlyArray<{ termination: string, reward: number }>, policy: 'drop_group' | 'flag' | 'zero_reward', estimator: AdvantageEstimator, epsilon: number): { excluded: boolean, advantages: number[], stats: GroupStats } {
  const { excluded, scored } = scoreGroup(members, policy)
  const rewards = members.filter((_member, index) => scored[index]).map((member) => member.reward)
  const computed = groupAdvantages(rewards, estimator, epsilon)
  let next = 0
  return { excluded, advantages: members.map((_member, index) => scored[index] ? computed[next++]! : 0), stats: groupStats(rewards) }
}
