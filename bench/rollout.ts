// Rollout client benchmark: a full GRPO batch (512 tasks × 8 rollouts) through rollout() against
// the test backend at a fixed latency per call and a real codegym-serve, compared with the
// backend alone serving the same generation calls with the same concurrency (the baseline,
// measured in the same run). Targets: full run ≤ 1.1 × baseline; 4,096 rollouts held in flight.
//
//   node bench/rollout.ts [--quick] [--out results.json] [--latency-ms 200] [--tasks 512] [--group-size 8]
//
// The baseline replays the exact requests the full run made (same messages, tools and seeds, each
// rollout's turns in order, all rollouts at once), so both phases ask the backend for the same work.
// Prints one JSON object on stdout and a short summary on stderr. See bench/README.md.
import { fork, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { CodeGymClient } from '../clients/ts/index.ts'
import { chatBackend } from '../clients/grpo/backends/chat.ts'
import type { ChatApiMessage } from '../clients/grpo/backends/types.ts'
import { rollout, type RolloutRecord, type TaskSpec } from '../clients/grpo/index.ts'
import { defaultSamplingControls, rolloutDefaults } from '../clients/grpo/defaults.ts'
import type { TestBackendStats } from '../tools/test-backend/index.ts'
import { openAiTools, type OpenAiTool } from '../src/contract/prompt.ts'
import { startCodegymServer, stop } from './load/run.ts'
import { processTreeUsage } from './load/processes.ts'

const argv = await yargs(hideBin(process.argv))
  .scriptName('bench/rollout.ts')
  .option('quick', { type: 'boolean', default: false, describe: '16 × 8 rollouts at 50 ms (CI, a few seconds)' })
  .option('out', { type: 'string', describe: 'also write the JSON result to this file' })
  .option('latency-ms', { type: 'number', describe: 'the backend\'s fixed delay per generation call (default 200; quick 50)' })
  .option('tasks', { type: 'number', describe: 'tasks in the batch (default 512; quick 16)' })
  .option('group-size', { type: 'number', default: 8 })
  .option('rounds', { type: 'number', describe: 'alternating full/baseline rounds; each phase is the median of its rounds (default 3; quick 1)' })
  .option('turns-before-done', { type: 'number', default: 2, describe: 'tool calls before the policy calls Done (each rollout makes this + 1 generation calls)' })
  .strict()
  .help()
  .parseAsync()

const quick = argv.quick
const latencyMs = argv['latency-ms'] ?? (quick ? 50 : 200)
const taskCount = argv.tasks ?? (quick ? 16 : 512)
const groupSize = argv['group-size']
const turnsBeforeDone = argv['turns-before-done']
const rollouts = taskCount * groupSize
const rounds = argv.rounds ?? (quick ? 1 : 3)
// Both phases retry as rollout() does by default: a keep-alive connection the backend closes while a request is on its way fails that request.
const retry = { requestTimeoutMs: rolloutDefaults.requestTimeoutMs, maxRequestRetries: rolloutDefaults.maxRequestRetries, retryInitialDelayMs: rolloutDefaults.retryInitialDelayMs }

/** CPU time (user + system) of each process of the run, in seconds; Linux /proc for the children. */
interface CpuSeconds { client: number, backend: number, envServer: number }

const backendEntry = fileURLToPath(new URL('./rollout/backend.ts', import.meta.url))

async function startBackend (): Promise<{ url: string, child: ChildProcess }> {
  const child = fork(backendEntry, [String(latencyMs), String(turnsBeforeDone)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
  const lines = createInterface({ input: child.stdout! })
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the test backend exited with ${code} before listening`)))
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url))
  })
  return { url, child }
}

function backendStats (child: ChildProcess): Promise<TestBackendStats> {
  return new Promise((resolve) => {
    child.once('message', (message) => resolve(message as TestBackendStats))
    child.send('stats')
  })
}

/** Generated tasks spread over every bundled env: task i is env i mod N at seed i, its first difficulty. */
async function batchTasks (url: string): Promise<{ tasks: TaskSpec[], tools: Map<string, OpenAiTool[]> }> {
  const client = await CodeGymClient.connect(url)
  try {
    const { envs } = await client.listEnvs()
    const tools = new Map<string, OpenAiTool[]>()
    for (const env of envs) {
      const reset = await client.reset(env.id, { seed: 0, difficulty: env.difficulties[0] })
      tools.set(env.id, openAiTools(reset.info.tools))
      await client.closeSession(reset.session)
    }
    const tasks = Array.from({ length: taskCount }, (_unused, index) => {
      const env = envs[index % envs.length]!
      return { taskId: `seed-${index}`, env: env.id, reset: { seed: index, difficulty: env.difficulties[0] } }
    })
    return { tasks, tools }
  } finally {
    await client.close()
  }
}

/** The requests a record's rollout made: the conversation before each assistant turn. */
function requestsOf (record: RolloutRecord): ChatApiMessage[][] {
  // An 'error' rollout that never got past reset has no messages, and made no generation call.
  const messages = (record.messages ?? []) as ChatApiMessage[]
  const requests: ChatApiMessage[][] = []
  messages.forEach((message, index) => { if (message.role === 'assistant') requests.push(messages.slice(0, index)) })
  return requests
}

async function baseline (url: string, records: readonly RolloutRecord[], tools: Map<string, OpenAiTool[]>): Promise<{ seconds: number, calls: number }> {
  const backend = chatBackend(url, 'bench', retry)
  let calls = 0
  const started = performance.now()
  await Promise.all(records.map(async (record) => {
    for (const messages of requestsOf(record)) {
      await backend.chat(messages, tools.get(record.env), { ...defaultSamplingControls(), seed: record.seed, maxTokens: rolloutDefaults.maxTokensPerTurn })
      calls++
    }
  }))
  return { seconds: (performance.now() - started) / 1000, calls }
}

async function full (envUrl: string, backendUrl: string, tasks: TaskSpec[]): Promise<{ seconds: number, records: RolloutRecord[], maxInFlight: number }> {
  const records: RolloutRecord[] = []
  const started = performance.now()
  const run = rollout({ tasks, groupSize, seed: 1 }, { envServers: [envUrl], backends: [backendUrl], model: 'bench', mode: 'chat' })
  for await (const record of run) records.push(record)
  return { seconds: (performance.now() - started) / 1000, records, maxInFlight: run.stats().maxInFlight }
}

function meanTimings (records: readonly RolloutRecord[]): { total: number, generation: number, env: number } {
  const sum = { total: 0, generation: 0, env: 0 }
  for (const { timings } of records) {
    sum.total += timings.totalMs
    sum.generation += timings.generationMs
    sum.env += timings.envMs
  }
  const count = Math.max(records.length, 1)
  return { total: sum.total / count, generation: sum.generation / count, env: sum.env / count }
}

function cpuText (cpu: CpuSeconds): string {
  return [cpu.client, cpu.backend, cpu.envServer].map((value) => value.toFixed(1)).join('/')
}

function gitCommit (): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim()
  } catch {
    return null
  }
}

const server = await startCodegymServer([])
const backend = await startBackend()
try {
  const { tasks, tools } = await batchTasks(server.url)
  // Warm both processes (JIT, sandbox contexts) so neither phase pays for it alone.
  await full(server.url, backend.url, tasks.slice(0, Math.min(tasks.length, 40)))
  // Rounds alternate which phase goes first, so a machine that slows down or speeds up during the run
  // does not favour one phase. The baseline replays the first full round's requests.
  const fullRuns: Array<{ seconds: number, calls: number, maxInFlight: number, records: RolloutRecord[], cpuSeconds: CpuSeconds }> = []
  const baseRuns: Array<{ seconds: number, calls: number, cpuSeconds: CpuSeconds }> = []
  const cpuNow = (): CpuSeconds => {
    const client = process.cpuUsage()
    return { client: (client.user + client.system) / 1e6, backend: processTreeUsage(backend.child.pid!).cpuSeconds, envServer: processTreeUsage(server.process.pid!).cpuSeconds }
  }
  const cpuSince = (start: CpuSeconds): CpuSeconds => {
    const end = cpuNow()
    return { client: end.client - start.client, backend: end.backend - start.backend, envServer: end.envServer - start.envServer }
  }
  const runFull = async (): Promise<void> => {
    const before = await backendStats(backend.child)
    const cpu = cpuNow()
    const run = await full(server.url, backend.url, tasks)
    const cpuSeconds = cpuSince(cpu)
    fullRuns.push({ seconds: run.seconds, calls: (await backendStats(backend.child)).requests - before.requests, maxInFlight: run.maxInFlight, records: run.records, cpuSeconds })
  }
  const runBaseline = async (): Promise<void> => {
    const before = await backendStats(backend.child)
    const cpu = cpuNow()
    const run = await baseline(backend.url, fullRuns[0]!.records, tools)
    const cpuSeconds = cpuSince(cpu)
    baseRuns.push({ seconds: run.seconds, calls: (await backendStats(backend.child)).requests - before.requests, cpuSeconds })
  }
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0 || fullRuns.length === 0) {
      await runFull()
      await runBaseline()
    } else {
      await runBaseline()
      await runFull()
    }
  }
  const medianOf = <T extends { seconds: number }>(runs: T[]): T => [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor((runs.length - 1) / 2)]!
  const fullRun = medianOf(fullRuns)
  const base = medianOf(baseRuns)
  const fullCalls = fullRun.calls
  const baseCalls = base.calls
  // One call per turn; the backend counts more when a request was retried (a connection the backend
  // closed under the request, a timeout): both phases retry alike, so a retry is reported, not hidden.
  const expectedCalls = fullRuns[0]!.records.reduce((sum, record) => sum + record.turns, 0)
  const terminations: Record<string, number> = {}
  const errors: Record<string, number> = {}
  for (const record of fullRun.records) {
    terminations[record.termination] = (terminations[record.termination] ?? 0) + 1
    if (record.error !== undefined) errors[record.error.slice(0, 160)] = (errors[record.error.slice(0, 160)] ?? 0) + 1
  }
  const ratio = fullRun.seconds / base.seconds
  const result = {
    bench: 'rollout',
    quick,
    node: process.version,
    gitCommit: gitCommit(),
    command: ['node', 'bench/rollout.ts', ...process.argv.slice(2)].join(' '),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', loadAverage: os.loadavg() },
    config: { tasks: taskCount, groupSize, rollouts, latencyMs, generationCallsPerRollout: turnsBeforeDone + 1, mode: 'chat', toolFormat: 'openai' },
    rounds,
    expectedGenerationCalls: expectedCalls,
    baseline: { seconds: base.seconds, generationCalls: baseCalls, callsPerSecond: baseCalls / base.seconds, secondsPerRound: baseRuns.map((run) => run.seconds), callsPerRound: baseRuns.map((run) => run.calls), cpuSeconds: base.cpuSeconds },
    full: {
      seconds: fullRun.seconds,
      generationCalls: fullCalls,
      callsPerSecond: fullCalls / fullRun.seconds,
      rolloutsPerSecond: fullRun.records.length / fullRun.seconds,
      records: fullRun.records.length,
      terminations,
      errors,
      // Per rollout, in ms: where an episode's time went (generationMs includes waiting in the client for a backend slot).
      meanRolloutMs: meanTimings(fullRun.records),
      maxRolloutsInFlight: fullRun.maxInFlight,
      secondsPerRound: fullRuns.map((run) => run.seconds),
      callsPerRound: fullRuns.map((run) => run.calls),
      cpuSeconds: fullRun.cpuSeconds,
    },
    ratioToBaseline: ratio,
    targets: [
      { name: 'full batch time / backend alone', value: ratio, target: 1.1, met: ratio <= 1.1 },
      { name: 'rollouts held in flight', value: fullRun.maxInFlight, target: rollouts, met: fullRun.maxInFlight >= rollouts },
    ],
  }
  const ok = fullRuns.every((run) => run.records.length === rollouts && run.calls >= expectedCalls && run.records.every((record) => record.termination === 'done')) && baseRuns.every((run) => run.calls >= expectedCalls)
  const text = JSON.stringify(result, null, 2)
  console.log(text)
  if (argv.out !== undefined) writeFileSync(argv.out, `${text}\n`)
  console.error(`rollout bench (${quick ? 'quick' : 'full'}): ${rollouts} rollouts, ${fullCalls} generation calls at ${latencyMs} ms; full ${fullRun.seconds.toFixed(2)} s, backend alone ${base.seconds.toFixed(2)} s, ratio ${ratio.toFixed(3)} (target ≤ 1.1); ${fullRun.maxInFlight} rollouts in flight at peak (target ${rollouts}); CPU s in the median rounds (client/backend/env server): full ${cpuText(fullRun.cpuSeconds)}, backend alone ${cpuText(base.cpuSeconds)}`)
  if (!ok) {
    console.error(`rollout bench: the run is not valid: records per full round ${fullRuns.map((run) => run.records.length).join(', ')} for ${rollouts} rollouts; calls per full round ${fullRuns.map((run) => run.calls).join(', ')} and per baseline round ${baseRuns.map((run) => run.calls).join(', ')} for ${expectedCalls} turns; terminations ${JSON.stringify(terminations)}`)
    process.exitCode = 1
  }
} finally {
  backend.child.kill('SIGTERM')
  await stop(server.process)
}
