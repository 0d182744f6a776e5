// Shared setup of the rollout client's end-to-end tests: in-process codegym-serve instances on the
// two example envs, and tasks drawn from their fixed tasks.
import pino from 'pino'
import { CodeGymServer } from '../../src/server/server.ts'
import type { TaskSpec } from '../../clients/grpo/batch.ts'
import type { RolloutRecord } from '../../clients/grpo/record.ts'
import { exampleEnvDirs } from './envs.ts'

export async function startEnvServer (): Promise<CodeGymServer> {
  return CodeGymServer.start({ port: 0, envDirs: exampleEnvDirs, sandbox: { workers: 1 }, limits: { resumeTtlMs: 0 }, logger: pino({ level: 'silent' }) })
}

export const maxSubarray = 'codegym/max-subarray-v1'
export const validBrackets = 'codegym/valid-brackets-v1'

export function fixedTask (env: string, task: string): TaskSpec {
  return { taskId: task, env, reset: { task } }
}

/** Three fixed tasks over both example envs. */
export const exampleTasks: TaskSpec[] = [
  fixedTask(maxSubarray, 'mixed-small'),
  fixedTask(validBrackets, 'nested-ok'),
  fixedTask(maxSubarray, 'all-negative'),
]

export async function collect (records: AsyncIterable<RolloutRecord>): Promise<RolloutRecord[]> {
  const all: RolloutRecord[] = []
  for await (const record of records) all.push(record)
  return all.sort((a, b) => a.groupId.localeCompare(b.groupId) || a.sampleIndex - b.sampleIndex)
}

/** A record without what varies from run to run (wall-clock timings). */
export function withoutTimings (record: RolloutRecord): Omit<RolloutRecord, 'timings'> {
  const rest: Partial<RolloutRecord> = { ...record }
  delete rest.timings
  return rest as Omit<RolloutRecord, 'timings'>
}
