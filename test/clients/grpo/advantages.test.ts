// Group advantages against values computed by hand, and what rollout() does with zero-variance groups.
import t from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { groupAdvantages, groupStats, policyAdvantages, rollout, rolloutSeed, summarize, type RolloutOptions, type RolloutRecord } from '../../../clients/grpo/index.ts'
import { loadChatTokenizer } from '../../../clients/grpo/tokenizer.ts'
import { startTestBackend, type TestPolicy } from '../../../tools/test-backend/index.ts'
import { collect, fixedTask, maxSubarray, startEnvServer } from '../../helpers/grpo.ts'

const epsilon = 1e-6

await t.test('GRPO: (r − mean) / (sample std + ε)', async (t) => {
  // [1, 0, 0, 0]: mean 0.25; squared deviations 0.5625 + 3 × 0.0625 = 0.75; sample variance 0.75 / 3 = 0.25; std 0.5.
  const advantages = groupAdvantages([1, 0, 0, 0], 'grpo', epsilon)
  t.ok(Math.abs(advantages[0]! - 0.75 / 0.500001) < 1e-12, `${advantages[0]} = 0.75 / 0.500001`)
  for (const value of advantages.slice(1)) t.ok(Math.abs(value - -0.25 / 0.500001) < 1e-12)
  // [1, 1, 0, 0]: mean 0.5; sample variance 1 / 3; std 0.5773502691896258.
  const half = groupAdvantages([1, 1, 0, 0], 'grpo', epsilon)
  t.ok(Math.abs(half[0]! - 0.5 / (0.5773502691896258 + epsilon)) < 1e-12)
  t.ok(Math.abs(half[3]! + 0.5 / (0.5773502691896258 + epsilon)) < 1e-12)
  t.same(groupAdvantages([0, 0, 0], 'grpo', epsilon), [0, 0, 0], 'zero variance: every advantage 0')
})

await t.test('Dr.GRPO: r − mean, no division', async (t) => {
  t.same(groupAdvantages([1, 0, 0, 0], 'dr_grpo', epsilon), [0.75, -0.25, -0.25, -0.25])
  t.same(groupAdvantages([1, 1, 0, 0], 'dr_grpo', epsilon), [0.5, 0.5, -0.5, -0.5])
})

await t.test('group statistics', async (t) => {
  t.same(groupStats([1, 0, 0, 0]), { size: 4, mean: 0.25, std: 0.5, min: 0, max: 1, zeroVariance: false })
  t.same(groupStats([1, 1]), { size: 2, mean: 1, std: 0, min: 1, max: 1, zeroVariance: true })
  t.same(groupStats([0.5]), { size: 1, mean: 0.5, std: 0, min: 0.5, max: 0.5, zeroVariance: true })
})

await t.test('rollout(): advantages per group; zero-variance groups kept, flagged or dropped', async (t) => {
  const tokenizer = await loadChatTokenizer()
  const envServer = await startEnvServer()
  t.teardown(() => envServer.close())
  const batchSeed = 13
  // mixed-small's answer is 6. Group 0: samples 0 and 1 answer it, 2 and 3 do not; group 1 never does.
  const right = new Set([rolloutSeed(batchSeed, 0, 0), rolloutSeed(batchSeed, 0, 1)])
  const policy: TestPolicy = (input) => ({ kind: 'call', name: 'Done', arguments: { answer: right.has(input.seed) ? 6 : 0 } })
  const backend = await startTestBackend({ tokenizer, policy })
  t.teardown(() => backend.close())
  const batch = { tasks: [fixedTask(maxSubarray, 'mixed-small'), fixedTask(maxSubarray, 'mixed-small')], groupSize: 4, seed: batchSeed }
  const base: RolloutOptions = { envServers: [envServer.url], backends: [backend.url], model: 'test', mode: 'chat' }
  const grpoValue = 0.5 / (Math.sqrt(1 / 3) + epsilon)

  const kept = await collect(rollout(batch, base))
  t.same(kept.map((record) => record.reward), [1, 1, 0, 0, 0, 0, 0, 0])
  const expected = [grpoValue, grpoValue, -grpoValue, -grpoValue, 0, 0, 0, 0]
  kept.forEach((record, index) => t.ok(Math.abs(record.advantage - expected[index]!) < 1e-12, `advantage ${index}: ${record.advantage}`))
  t.notOk(kept.some((record) => 'zeroVariance' in record), 'keep: no flag')

  const dr = await collect(rollout(batch, { ...base, advantage: 'dr_grpo' }))
  t.same(dr.map((record) => record.advantage), [0.5, 0.5, -0.5, -0.5, 0, 0, 0, 0])

  const flagged = await collect(rollout(batch, { ...base, zeroVariance: 'flag' }))
  t.same(flagged.map((record) => record.zeroVariance === true), [false, false, false, false, true, true, true, true])

  const directory = await mkdtemp(path.join(tmpdir(), 'codegym-advantages-'))
  t.teardown(() => rm(directory, { recursive: true, force: true }))
  const outPath = path.join(directory, 'records.jsonl')
  const run = rollout(batch, { ...base, zeroVariance: 'drop', outPath })
  const dropped = await collect(run)
  t.same(dropped.map((record) => record.groupId), ['b13-g0', 'b13-g0', 'b13-g0', 'b13-g0'], 'drop: the zero-variance group is not yielded')
  t.equal(run.stats().droppedGroups, 1)
  const lines = (await readFile(outPath, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
  t.same(lines.filter((line) => 'droppedGroup' in line), [{ droppedGroup: { groupId: 'b13-g1', taskId: 'mixed-small', env: maxSubarray, rewards: [0, 0, 0, 0] } }], 'and is marked in the file, so a rerun skips it')
  const rerun = rollout(batch, { ...base, zeroVariance: 'drop', outPath })
  t.same(await collect(rerun), [], 'a rerun has nothing left to do')
  t.equal(rerun.stats().resumedGroups, 2)

  const summary = summarize(kept)
  t.equal(summary.groups, 2)
  t.equal(summary.zeroVarianceGroups, 1)
  t.equal(summary.solvedGroups, 1)
  t.equal(summary.meanReward, 0.25)
  t.same(summary.terminations, { done: 8, truncated: 0, context_limit: 0, error: 0 })
})

await t.test('error policies: which rewards a group\'s advantages come from, the same in the summary', async (t) => {
  const members = [{ termination: 'done', reward: 1 }, { termination: 'error', reward: 0 }, { termination: 'done', reward: 0 }, { termination: 'done', reward: 0 }]
  const dropped = policyAdvantages(members, 'drop_group', 'grpo', epsilon)
  t.equal(dropped.excluded, true)
  t.same(dropped.advantages, [0, 0, 0, 0], 'drop_group: the whole group is out')
  const flagged = policyAdvantages(members, 'flag', 'dr_grpo', epsilon)
  t.equal(flagged.excluded, false)
  t.same(flagged.advantages.map((value) => Number(value.toFixed(6))), [0.666667, 0, -0.333333, -0.333333], 'flag: mean over the three others, 0 for the error')
  const zero = policyAdvantages(members, 'zero_reward', 'dr_grpo', epsilon)
  t.same(zero.advantages, [0.75, -0.25, -0.25, -0.25], 'zero_reward: the error is a reward-0 member')

  const record = (groupId: string, sampleIndex: number, reward: number, termination: RolloutRecord['termination'], errorPolicy: RolloutRecord['errorPolicy']): RolloutRecord => ({
    groupId, taskId: groupId, env: maxSubarray, sampleIndex, seed: sampleIndex, reward, advantage: 0, termination, errorPolicy,
    ...(errorPolicy === 'drop_group' && groupId === 'b0-g0' ? { excluded: true } : {}),
    ...(termination === 'error' ? { error: 'BackendError: down' } : {}),
    turns: 1, toolCalls: 1, parseErrors: 0, rollbacks: 0, completionTokens: 1, backend: 'b', envServer: 'e',
    sampling: { temperature: 1, topP: 1, topK: -1, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0, stop: [], maxTokensPerTurn: 1 },
    timings: { startedAtMs: 0, totalMs: 0, generationMs: 0, envMs: 0 }, policyVersion: null,
  })
  const group = (policy: RolloutRecord['errorPolicy']): RolloutRecord[] => [
    ...members.map((member, index) => record('b0-g0', index, member.reward, member.termination as RolloutRecord['termination'], policy)),
    record('b0-g1', 0, 1, 'done', policy), record('b0-g1', 1, 0, 'done', policy),
  ]
  const summaryDrop = summarize(group('drop_group'))
  t.same(summaryDrop.perGroup.map((entry) => [entry.groupId, entry.excluded, entry.errors, entry.size]), [['b0-g0', true, 1, 0], ['b0-g1', false, 0, 2]])
  t.equal(summaryDrop.excludedGroups, 1)
  t.equal(summaryDrop.errorGroups, 1)
  t.equal(summaryDrop.trainableRollouts, 2)
  t.equal(summaryDrop.firstError, 'BackendError: down')
  t.equal(summarize(group('flag')).perGroup[0]!.size, 3, 'flag: the error is out of the group\'s statistics')
  t.equal(summarize(group('zero_reward')).perGroup[0]!.size, 4, 'zero_reward: it is in')
})
