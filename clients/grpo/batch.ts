// A batch: tasks × group size, with the ids and seeds derived from it. Everything a rollout's
// randomness depends on comes from here, so the same batch gives the same rollouts.
import type { ResetOptions } from '../../src/contract/index.ts'
import { RolloutConfigError } from './errors.ts'

export interface TaskSpec {
  /** Names the task in records (e.g. the fixed task's id, or "seed-7-hard"). */
  taskId: string
  /** The env id, e.g. "codegym/max-subarray-v1". */
  env: string
  /** Sent with reset as it is: {task} | {seed, difficulty} | {config}, optionally maxSteps (T_max). */
  reset: ResetOptions
}

export interface BatchSpec {
  tasks: TaskSpec[]
  /** Rollouts per task (GRPO's G). */
  groupSize: number
  /** Seeds every rollout's sampling seed. Default 0. */
  seed?: number
}

export function validateBatch (batch: BatchSpec): void {
  if (!Array.isArray(batch.tasks) || batch.tasks.length === 0) throw new RolloutConfigError('the batch has no tasks')
  if (!Number.isInteger(batch.groupSize) || batch.groupSize < 1) throw new RolloutConfigError(`groupSize must be a positive integer, got ${String(batch.groupSize)}`)
  if (batch.seed !== undefined && !Number.isInteger(batch.seed)) throw new RolloutConfigError(`the batch seed must be an integer, got ${String(batch.seed)}`)
  for (const [index, task] of batch.tasks.entries()) {
    if (typeof task.taskId !== 'string' || task.taskId === '') throw new RolloutConfigError(`task ${index}: taskId must be a non-empty string`)
    if (typeof task.env !== 'string' || task.env === '') throw new RolloutConfigError(`task ${index} (${task.taskId}): env must be a non-empty string`)
    if (task.reset === null || typeof task.reset !== 'object' || Array.isArray(task.reset)) throw new RolloutConfigError(`task ${index} (${task.taskId}): reset must be an object ({task} | {seed, difficulty} | {config})`)
  }
}

/** The group of the task at `index`: stable across reruns of the same batch, so resume can find it. */
export function groupIdOf (batch: BatchSpec, index: number): string {
  return `b${batch.seed ?? 0}-g${index}`
}

/**
 * The sampling seed of one rollout: a 31-bit mix of the batch seed, the group and the sample index,
 * so the samples of a group differ and every rerun repeats them.
 */
export function rolloutSeed (batchSeed: number, groupIndex: number, sampleIndex: number): number {
  let h = 0x811c9dc5
  for (const value of [batchSeed, groupIndex, sampleIndex]) {
    h = Math.imul(h ^ (value & 0xffffffff), 0x01000193)
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d)
    h ^= h >>> 13
  }
  return (h >>> 0) & 0x7fffffff
}
