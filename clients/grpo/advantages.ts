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
