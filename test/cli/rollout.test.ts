// `codegym rollout` as a child process: a run killed with SIGKILL and rerun with the same --out
// ends with every group exactly once; `codegym rollout-export` writes verl and TRL shapes.
import { spawn } from 'node:child_process'
import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { loadChatTokenizer } from '../../clients/grpo/tokenizer.ts'
import { seededPolicy, startTestBackend } from '../../tools/test-backend/index.ts'
import { rolloutSeed } from '../../clients/grpo/batch.ts'
import { startEnvServer } from '../helpers/grpo.ts'

const bin = fileURLToPath(new URL('../../bin/codegym.js', import.meta.url))
const tokenizer = await loadChatTokenizer()
const envServer = await startEnvServer()
t.teardown(() => envServer.close())
const backend = await startTestBackend({ tokenizer, latencyMs: 40 })
t.teardown(() => backend.close())
/** The seed of the first rollout of a batch with seed 0, and the default policy for the others. */
const firstSeed = rolloutSeed(0, 0, 0)
const seeded = seededPolicy()
const directory = await mkdtemp(path.join(tmpdir(), 'codegym-rollout-cli-'))
t.teardown(() => rm(directory, { recursive: true, force: true }))

interface Run { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }

function start (args: string[], killWhen?: () => Promise<boolean>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.once('error', reject)
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
    if (killWhen !== undefined) {
      void (async () => {
        while (child.exitCode === null && child.signalCode === null) {
          if (await killWhen()) {
            child.kill('SIGKILL')
            return
          }
          await sleep(10)
        }
      })()
    }
  })
}

async function lineCount (file: string): Promise<number> {
  const size = await stat(file).then((entry) => entry.size, () => 0)
  if (size === 0) return 0
  return (await readFile(file, 'utf8')).split('\n').length - 1
}

const groupSize = 4
const common = (out: string): string[] => [
  'rollout', '--backend', backend.url, '--env-server', envServer.url, '--out', out,
  '--env', 'max-subarray', 'valid-brackets', '--group-size', String(groupSize), '--seed', '5', '--quiet',
]

await t.test('SIGKILL mid-batch, rerun with the same --out: every group once, no gaps, no duplicates', async (t) => {
  const out = path.join(directory, 'resume.jsonl')
  // Few rollouts in flight, so groups finish one after another and the kill lands mid-batch.
  const killed = await start([...common(out), '--max-rollouts-in-flight', '4'], async () => await lineCount(out) >= 3 * groupSize)
  t.equal(killed.signal, 'SIGKILL', 'the first run was killed')
  const before = (await readFile(out, 'utf8')).split('\n').filter((line) => line !== '').length
  t.ok(before >= 3 * groupSize && before < 12 * groupSize, `the kill left part of the batch (${before} lines)`)
  // What a kill in the middle of a write leaves: a torn last line.
  await appendFile(out, '{"groupId":"b5-g11","taskId":"unclos')

  const rerun = await start(common(out))
  t.equal(rerun.code, 0, rerun.stderr)
  const lines = (await readFile(out, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { groupId: string, sampleIndex: number, taskId: string })
  const groups = new Map<string, number[]>()
  for (const line of lines) groups.set(line.groupId, [...(groups.get(line.groupId) ?? []), line.sampleIndex])
  t.same([...groups.keys()].sort(), Array.from({ length: 12 }, (_unused, index) => `b5-g${index}`).sort(), 'all 12 groups (6 fixed tasks of each env)')
  for (const [groupId, samples] of groups) t.same(samples.sort(), [0, 1, 2, 3], `${groupId}: each sample exactly once`)
  const summary = JSON.parse(rerun.stdout.trim().split('\n').at(-1)!) as { rollouts: number, groups: number, resumedGroups: number }
  t.equal(summary.rollouts, 48)
  t.equal(summary.groups, 12)
  t.ok(summary.resumedGroups >= 3, `the rerun skipped the ${summary.resumedGroups} groups the first run finished`)
  t.match(rerun.stderr, /rollouts\/s .* tokens\/s .* mean reward/, 'plain progress lines on stderr')
})

await t.test('rollout-export: token-mode records in verl and TRL shapes; chat records are refused', async (t) => {
  const out = path.join(directory, 'token.jsonl')
  const run = await start(['rollout', '--backend', backend.url, '--env-server', envServer.url, '--out', out, '--env', 'valid-brackets', '--max-tasks', '1', '--group-size', '2', '--mode', 'token', '--quiet'])
  t.equal(run.code, 0, run.stderr)
  for (const format of ['verl', 'trl'] as const) {
    const exported = await start(['rollout-export', out, '--format', format])
    t.equal(exported.code, 0, exported.stderr)
    const rows = exported.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    t.equal(rows.length, 2)
    const keys = format === 'verl'
      ? ['extra_fields', 'num_turns', 'prompt_ids', 'response_ids', 'response_logprobs', 'response_mask', 'reward_score', 'uid']
      : ['advantage', 'completion_ids', 'env_mask', 'group_id', 'logprobs', 'prompt_ids', 'reward', 'task_id', 'termination']
    t.same(Object.keys(rows[0]!).sort(), keys)
  }
  const chat = await start(['rollout-export', path.join(directory, 'resume.jsonl'), '--format', 'verl'])
  t.equal(chat.code, 1)
  t.match(chat.stderr, /^codegym: the verl export needs token-mode records/)
})

await t.test('a records file from another batch is refused with one line', async (t) => {
  const run = await start(['rollout', '--backend', backend.url, '--env-server', envServer.url, '--out', path.join(directory, 'resume.jsonl'), '--env', 'max-subarray', '--group-size', '4', '--seed', '5', '--quiet'])
  t.equal(run.code, 1)
  t.match(run.stderr, /^codegym: .*which this batch does not have/)
})

await t.test('a batch that produced nothing usable exits 1 with the reason; --max-error-fraction bounds errors', async (t) => {
  const unreachable = await start(['rollout', '--backend', 'http://127.0.0.1:1', '--env-server', envServer.url, '--out', path.join(directory, 'unreachable.jsonl'), '--env', 'valid-brackets', '--max-tasks', '2', '--group-size', '2', '--max-request-retries', '0', '--quiet'])
  t.equal(unreachable.code, 1, 'an unreachable backend is a failure, not an empty success')
  t.match(unreachable.stderr, /codegym: every rollout \(4\) ended with error; e\.g\. BackendError: http:\/\/127\.0\.0\.1:1\/v1\/chat\/completions failed 1 time/)
  const summary = JSON.parse(unreachable.stdout.trim().split('\n').at(-1)!) as { terminations: { error: number }, excludedGroups: number }
  t.equal(summary.terminations.error, 4, 'the summary is printed first')
  t.equal(summary.excludedGroups, 2)

  // One rollout of four fails (its backend refuses to answer it): 25% is over a 10% bound, under a 50% one.
  const flaky = await startTestBackend({ tokenizer, policy: (input) => input.seed === firstSeed ? { kind: 'http_error', status: 503, message: 'down' } : seeded(input) })
  t.teardown(() => flaky.close())
  const args = (out: string, fraction: string): string[] => ['rollout', '--backend', flaky.url, '--env-server', envServer.url, '--out', path.join(directory, out), '--env', 'valid-brackets', '--max-tasks', '2', '--group-size', '2', '--max-request-retries', '0', '--max-error-fraction', fraction, '--quiet']
  const strict = await start(args('strict.jsonl', '0.1'))
  t.equal(strict.code, 1)
  t.match(strict.stderr, /codegym: 1 of 4 rollouts ended with error, more than --max-error-fraction 0\.1; e\.g\. BackendError: .*HTTP 503/)
  const lenient = await start(args('lenient.jsonl', '0.5'))
  t.equal(lenient.code, 0, lenient.stderr)
  const exported = await start(['rollout-export', path.join(directory, 'lenient.jsonl'), '--format', 'trl'])
  t.equal(exported.code, 1, 'chat records cannot be exported as tokens')
})

await t.test('rollout-export: rows in task order, groups excluded by the error policy left out', async (t) => {
  const out = path.join(directory, 'ordered.jsonl')
  const failing = await startTestBackend({ tokenizer, policy: (input) => input.seed === firstSeed ? { kind: 'http_error', status: 503, message: 'down' } : seeded(input) })
  t.teardown(() => failing.close())
  const run = await start(['rollout', '--backend', failing.url, '--env-server', envServer.url, '--out', out, '--env', 'valid-brackets', '--max-tasks', '4', '--group-size', '2', '--mode', 'token', '--max-request-retries', '0', '--max-error-fraction', '1', '--quiet'])
  t.equal(run.code, 0, run.stderr)
  const exported = await start(['rollout-export', out, '--format', 'verl'])
  t.equal(exported.code, 0, exported.stderr)
  const rows = exported.stdout.trim().split('\n').map((line) => JSON.parse(line) as { uid: string, extra_fields: { sample_index: number } })
  t.same(rows.map((row) => `${row.uid}/${row.extra_fields.sample_index}`), ['b0-g1/0', 'b0-g1/1', 'b0-g2/0', 'b0-g2/1', 'b0-g3/0', 'b0-g3/1'], 'g0 (an error) left out, the rest in order')
})

await t.test('a backend that cannot serve the API stops the batch at once: exit 1 with its answer', async (t) => {
  const wrong = await startTestBackend({ tokenizer, policy: () => ({ kind: 'http_error', status: 404, message: 'File Not Found' }) })
  t.teardown(() => wrong.close())
  const run = await start(['rollout', '--backend', wrong.url, '--env-server', envServer.url, '--out', path.join(directory, 'wrong.jsonl'), '--env', 'valid-brackets', '--group-size', '4', '--mode', 'token', '--max-rollouts-in-flight', '1', '--quiet'])
  t.equal(run.code, 1)
  t.match(run.stderr, /^codegym: rollout b0-g0\/0 \(task [^)]+\): BackendError: .*refused the request \(HTTP 404: .*File Not Found/m)
  t.equal(wrong.stats().requests, 1, 'stopped at the first answer')
})
