// The record shapes two trainers consume. Both need token-mode records (ids, mask, log-probs).
//  - verl: the fields of an agent loop's output (AgentLoopOutput: prompt_ids, response_ids,
//    response_mask, response_logprobs, reward_score, num_turns) plus the group id as `uid`, the key
//    verl's GRPO advantage groups by.
//  - TRL: what GRPOTrainer's `rollout_func` returns per completion (prompt_ids, completion_ids,
//    logprobs, and env_mask: 1 for the model's tokens, 0 for env tokens); other keys reach the
//    reward functions as keyword arguments.
import { RolloutConfigError } from './errors.ts'
import type { RolloutRecord } from './record.ts'

export type ExportFormat = 'verl' | 'trl'
export const exportFormats: readonly ExportFormat[] = ['verl', 'trl']

export interface VerlRecord {
  uid: string
  prompt_ids: number[]
  response_ids: number[]
  response_mask: number[]
  response_logprobs: number[]
  reward_score: number
  num_turns: number
  extra_fields: { advantage: number, task_id: string, env: string, sample_index: number, termination: string, error_policy: string, policy_version: string | number | null }
}

export interface TrlRecord {
  prompt_ids: number[]
  completion_ids: number[]
  logprobs: number[]
  env_mask: number[]
  reward: number
  advantage: number
  group_id: string
  task_id: string
  termination: string
}

interface TokenFields { prompt_ids: number[], response_ids: number[], response_mask: number[], rollout_log_probs: number[] }

function tokenFields (record: RolloutRecord, format: ExportFormat): TokenFields {
  const { prompt_ids: promptIds, response_ids: responseIds, response_mask: responseMask, rollout_log_probs: logProbs } = record
  if (promptIds === undefined || responseIds === undefined || responseMask === undefined || logProbs === undefined) {
    throw new RolloutConfigError(`the ${format} export needs token-mode records (prompt_ids, response_ids, response_mask, rollout_log_probs); record ${record.groupId}/${record.sampleIndex} has none: rerun with --mode token`)
  }
  return { prompt_ids: promptIds, response_ids: responseIds, response_mask: responseMask, rollout_log_probs: logProbs }
}

export function toVerl (record: RolloutRecord): VerlRecord {
  const tokens = tokenFields(record, 'verl')
  return {
    uid: record.groupId,
    prompt_ids: tokens.prompt_ids,
    response_ids: tokens.response_ids,
    response_mask: tokens.response_mask,
    response_logprobs: tokens.rollout_log_probs,
    reward_score: record.reward,
    // verl counts chat turns (user, assistant and tool messages), the first user turn included.
    num_turns: record.messages?.filter((message) => message.role !== 'system').length ?? record.turns * 2 + 1,
    extra_fields: { advantage: record.advantage, task_id: record.taskId, env: record.env, sample_index: record.sampleIndex, termination: record.termination, error_policy: record.errorPolicy, policy_version: record.policyVersion },
  }
}

export function toTrl (record: RolloutRecord): TrlRecord {
  const tokens = tokenFields(record, 'trl')
  return {
    prompt_ids: tokens.prompt_ids,
    completion_ids: tokens.response_ids,
    logprobs: tokens.rollout_log_probs,
    env_mask: tokens.response_mask,
    reward: record.reward,
    advantage: record.advantage,
    group_id: record.groupId,
    task_id: record.taskId,
    termination: record.termination,
  }
}

export function exportRecord (record: RolloutRecord, format: ExportFormat): VerlRecord | TrlRecord {
  return format === 'verl' ? toVerl(record) : toTrl(record)
}

/**
 * The rows of a batch for a trainer: the records the error policy keeps for training (a group it
 * excluded is left out; record.ts), in task order and sample order within each group, whatever order
 * the groups finished in.
 */
export function exportRecords (records: readonly RolloutRecord[], format: ExportFormat): Array<VerlRecord | TrlRecord> {
  return records
    .filter((record) => record.excluded !== true)
    .map((record, position) => ({ record, position, group: groupIndexOf(record.groupId) }))
    .sort((a, b) => a.group - b.group || a.record.sampleIndex - b.record.sampleIndex || a.position - b.position)
    .map(({ record }) => exportRecord(record, format))
}

/** The task index in a group id `b<seed>-g<index>` (batch.ts); ids of another shape keep file order. */
function groupIndexOf (groupId: string): number {
  const match = /-g(\d+)$/.exec(groupId)
  return match === null ? Number.MAX_SAFE_INTEGER : Number(match[1])
}
