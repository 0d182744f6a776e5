// The verl and TRL record shapes, from a token-mode rollout record.
import t from 'tap'
import { exportRecords, toTrl, toVerl, type TrlRecord, type VerlRecord } from '../../../clients/grpo/exporters.ts'
import type { RolloutRecord } from '../../../clients/grpo/record.ts'
import { defaultSamplingControls } from '../../../clients/grpo/defaults.ts'
import { formatProgress } from '../../../clients/grpo/progress.ts'

const record: RolloutRecord = {
  groupId: 'b0-g3', taskId: 'mixed-small', env: 'codegym/max-subarray-v1', sampleIndex: 2, seed: 5, reward: 1, advantage: 0.75,
  termination: 'done', turns: 2, toolCalls: 2, parseErrors: 0, rollbacks: 0, completionTokens: 5, backend: 'http://b', envServer: 'ws://e',
  timings: { startedAtMs: 0, totalMs: 1, generationMs: 1, envMs: 0 }, policyVersion: 'step-7',
  errorPolicy: 'drop_group', sampling: { ...defaultSamplingControls(), maxTokensPerTurn: 16 },
  messages: [{ role: 'user', content: 'task' }, { role: 'assistant', content: 'a' }, { role: 'tool', content: 'o' }, { role: 'assistant', content: 'b' }],
  prompt_ids: [1, 2, 3], response_ids: [10, 11, 20, 21, 12, 13, 14], response_mask: [1, 1, 0, 0, 1, 1, 1], rollout_log_probs: [-0.1, -0.2, 0, 0, -0.3, -0.4, -0.5],
}

await t.test('verl: an agent-loop output with the group id as uid', async (t) => {
  t.same(toVerl(record), {
    uid: 'b0-g3',
    prompt_ids: [1, 2, 3],
    response_ids: [10, 11, 20, 21, 12, 13, 14],
    response_mask: [1, 1, 0, 0, 1, 1, 1],
    response_logprobs: [-0.1, -0.2, 0, 0, -0.3, -0.4, -0.5],
    reward_score: 1,
    num_turns: 4,
    extra_fields: { advantage: 0.75, task_id: 'mixed-small', env: 'codegym/max-subarray-v1', sample_index: 2, termination: 'done', error_policy: 'drop_group', policy_version: 'step-7' },
  })
})

await t.test('TRL: a rollout_func completion with env_mask', async (t) => {
  t.same(toTrl(record), {
    prompt_ids: [1, 2, 3],
    completion_ids: [10, 11, 20, 21, 12, 13, 14],
    logprobs: [-0.1, -0.2, 0, 0, -0.3, -0.4, -0.5],
    env_mask: [1, 1, 0, 0, 1, 1, 1],
    reward: 1,
    advantage: 0.75,
    group_id: 'b0-g3',
    task_id: 'mixed-small',
    termination: 'done',
  })
})

await t.test('exportRecords: task order, sample order within a group, excluded groups left out', async (t) => {
  const at = (groupId: string, sampleIndex: number, extra: Partial<RolloutRecord> = {}): RolloutRecord => ({ ...record, groupId, sampleIndex, ...extra })
  // As a run writes them: groups in the order they finished, one group excluded for an error.
  const records = [
    at('b0-g10', 1), at('b0-g10', 0),
    at('b0-g2', 0, { excluded: true, termination: 'error' }), at('b0-g2', 1, { excluded: true }),
    at('b0-g9', 0), at('b0-g9', 1, { termination: 'error', advantage: 0, errorPolicy: 'flag' }),
  ]
  const trl = exportRecords(records, 'trl') as TrlRecord[]
  t.same(trl.map((row) => `${row.group_id}`), ['b0-g9', 'b0-g9', 'b0-g10', 'b0-g10'], 'g9 before g10 (numeric order), g2 left out')
  const verl = exportRecords(records, 'verl') as VerlRecord[]
  t.same(verl.map((row) => [row.uid, row.extra_fields.sample_index]), [['b0-g9', 0], ['b0-g9', 1], ['b0-g10', 0], ['b0-g10', 1]])
  t.same(verl[1]!.extra_fields.termination, 'error', 'a flagged error rollout is carried with its termination for the trainer to mask')
})

await t.test('chat-mode records cannot be exported as tokens', async (t) => {
  const chat: RolloutRecord = { ...record }
  delete chat.prompt_ids
  delete chat.response_ids
  delete chat.response_mask
  delete chat.rollout_log_probs
  t.throws(() => toVerl(chat), { name: 'RolloutConfigError', message: /token-mode records/ })
  t.throws(() => toTrl(chat), { name: 'RolloutConfigError', message: /--mode token/ })
})

await t.test('the progress line', async (t) => {
  const line = formatProgress({ totalRollouts: 100, finishedRollouts: 50, resumedRollouts: 0, inFlight: 8, completionTokens: 20_000, rewardSum: 10, errors: 1 }, 10)
  t.equal(line, '[############............]  50/100 rollouts  5.0 rollouts/s  2.0k tokens/s  mean reward 0.200  8 in flight  1 errors  10s')
})
