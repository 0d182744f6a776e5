// The record of one rollout: one JSON line in the records file, one item of rollout()'s iterable.
import type { ChatApiMessage, SamplingControls } from './backends/types.ts'
import type { TemplateMessage } from './tokenizer.ts'

export type Termination = 'done' | 'truncated' | 'context_limit' | 'error'

/**
 * What becomes of rollouts that end with 'error' (a transport or env fault, nothing the policy did),
 * the same in advantages, records, the summary and both exporters:
 * - `drop_group` (default): the whole group is left out of training. Its records are written (so a
 *   rerun skips it, and the errors can be read) with `excluded: true` and advantage 0, are not
 *   yielded by rollout() and are not exported. Dropping only the failed rollout would bias the
 *   group's baseline towards the trajectories that did not fail (often the short ones).
 * - `flag`: the error rollout is kept with advantage 0 and left out of its group's mean and std;
 *   the others train; exports carry it with termination 'error' for the trainer to mask.
 * - `zero_reward`: the error rollout counts as reward 0 in its group's advantages, like a failure
 *   of the policy, and is trained on.
 */
export type ErrorPolicy = 'drop_group' | 'flag' | 'zero_reward'
export const errorPolicies: readonly ErrorPolicy[] = ['drop_group', 'flag', 'zero_reward']

/** The sampling controls every generation request of the rollout carried. */
export interface RecordedSampling extends SamplingControls {
  maxTokensPerTurn: number
}

export interface RolloutTimings {
  /** Wall-clock ms since the epoch when the episode started. */
  startedAtMs: number
  /** From reset to the last step. */
  totalMs: number
  /** Waiting for generation requests (queueing in the client included). */
  generationMs: number
  /** Waiting for env requests (reset, steps, close). */
  envMs: number
}

export interface RolloutRecord {
  groupId: string
  taskId: string
  env: string
  sampleIndex: number
  /** The sampling seed sent with every generation request of this rollout. */
  seed: number
  reward: number
  advantage: number
  /** Set (true) on every record of a group whose rewards are all equal, when zeroVariance is 'flag'. */
  zeroVariance?: boolean
  /** Set (true) on every record of a group left out of training by the error policy 'drop_group'. */
  excluded?: boolean
  /** The error policy the advantages were computed under. */
  errorPolicy: ErrorPolicy
  termination: Termination
  /** Why the rollout ended with 'error'. */
  error?: string
  /** Policy turns: generations, parse failures included. */
  turns: number
  /** Tool calls sent to the env (Done included). */
  toolCalls: number
  parseErrors: number
  /** Tool calls that failed inside the env and were rolled back. */
  rollbacks: number
  /** Chat mode: the conversation as sent; token mode: the conversation the ids render. */
  messages?: ChatApiMessage[] | TemplateMessage[]
  prompt_ids?: number[]
  response_ids?: number[]
  /** 1 = sampled by the policy, 0 = env turn (chat-template text around observations). */
  response_mask?: number[]
  /** The backend's log-prob for each response id (0 for env tokens). */
  rollout_log_probs?: number[]
  /** Tokens the policy sampled (token mode: mask-1 ids; chat mode: the backend's usage, when reported). */
  completionTokens: number
  backend: string
  envServer: string
  sampling: RecordedSampling
  timings: RolloutTimings
  policyVersion: string | number | null
}

/** A group whose rewards were all equal, dropped (zeroVariance 'drop'); kept in the file so a rerun skips it. */
export interface DroppedGroupLine {
  droppedGroup: { groupId: string, taskId: string, env: string, rewards: number[] }
}
