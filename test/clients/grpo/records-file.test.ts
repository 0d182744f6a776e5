// The records file: group-at-a-time appends, and recovery from what a killed run leaves behind.
import t from 'tap'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { RecordsWriter, recoverRecordsFile } from '../../../clients/grpo/records-file.ts'
import type { RolloutRecord } from '../../../clients/grpo/record.ts'
import { defaultSamplingControls } from '../../../clients/grpo/defaults.ts'

const directory = await mkdtemp(path.join(tmpdir(), 'codegym-records-'))
t.teardown(() => rm(directory, { recursive: true, force: true }))

function record (groupId: string, sampleIndex: number, taskId = 'task'): RolloutRecord {
  return {
    groupId, taskId, env: 'codegym/x-v1', sampleIndex, seed: sampleIndex, reward: 0, advantage: 0, termination: 'done',
    turns: 1, toolCalls: 1, parseErrors: 0, rollbacks: 0, completionTokens: 1, backend: 'http://b', envServer: 'ws://e',
    timings: { startedAtMs: 0, totalMs: 0, generationMs: 0, envMs: 0 }, policyVersion: null,
    errorPolicy: 'drop_group', sampling: { ...defaultSamplingControls(), maxTokensPerTurn: 16 },
  }
}

await t.test('a missing file is an empty start', async (t) => {
  const existing = await recoverRecordsFile(path.join(directory, 'absent.jsonl'), 2)
  t.equal(existing.finishedGroups.size, 0)
  t.equal(existing.discardedLines, 0)
})

await t.test('groups are written whole and read back', async (t) => {
  const file = path.join(directory, 'whole.jsonl')
  const writer = await RecordsWriter.open(file)
  await Promise.all([writer.writeGroup([record('g0', 0), record('g0', 1)]), writer.writeGroup([record('g1', 0), record('g1', 1)])])
  await writer.close()
  const existing = await recoverRecordsFile(file, 2)
  t.same([...existing.finishedGroups.keys()], ['g0', 'g1'])
  t.equal(existing.records.length, 4)
  t.equal(existing.discardedLines, 0)
})

await t.test('a torn last line and an incomplete group are dropped from the file', async (t) => {
  const file = path.join(directory, 'torn.jsonl')
  const lines = [record('g0', 0), record('g0', 1), record('g1', 0)].map((line) => JSON.stringify(line))
  await writeFile(file, `${lines.join('\n')}\n${JSON.stringify(record('g1', 1)).slice(0, 40)}`)
  const existing = await recoverRecordsFile(file, 2)
  t.same([...existing.finishedGroups.keys()], ['g0'])
  t.equal(existing.discardedLines, 2, 'the torn line and the lone record of g1')
  t.equal(await readFile(file, 'utf8'), `${lines.slice(0, 2).join('\n')}\n`, 'the file now holds only whole groups')
})

await t.test('a damaged line before the last, or a group larger than the group size, is an error', async (t) => {
  const damaged = path.join(directory, 'damaged.jsonl')
  await writeFile(damaged, `{not json\n${JSON.stringify(record('g0', 0))}\n`)
  await t.rejects(recoverRecordsFile(damaged, 1), { name: 'RolloutConfigError', message: /damaged/ })
  const oversized = path.join(directory, 'oversized.jsonl')
  await writeFile(oversized, [record('g0', 0), record('g0', 1), record('g0', 2)].map((line) => `${JSON.stringify(line)}\n`).join(''))
  await t.rejects(recoverRecordsFile(oversized, 2), { name: 'RolloutConfigError', message: /another batch/ })
})
