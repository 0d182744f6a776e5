// `codegym synth` as a user runs it: the funnel on stdout, report files, exit codes, clear errors.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { startTestBackend } from '../../tools/test-backend/index.ts'
import { fixturePolicy, problemsPath } from '../synth/fixture-llm.ts'

const bin = fileURLToPath(new URL('../../bin/codegym.js', import.meta.url))

function codegym (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr })
    })
  })
}

const outDir = await mkdtemp(join(tmpdir(), 'codegym-synth-cli-'))
t.teardown(() => rm(outDir, { recursive: true, force: true }))

await t.test('synth --stages gym: the funnel with the gym verdicts, the rest pending', async (t) => {
  const backend = await startTestBackend({ policy: fixturePolicy({ pipeline: 0, policy: 0 }) })
  t.teardown(() => backend.close())
  const out = join(outDir, 'run')
  const { code, stdout, stderr } = await codegym(['synth', '--problems', problemsPath, '--out', out, '--llm-url', backend.url, '--model', 'recorded', '--stages', 'gym', '--concurrency', '2'])
  t.equal(code, 0, stderr)
  t.match(stdout, /\| problems in \| 6 \|/)
  t.match(stdout, /\| synthesized \| 4 \| 2 \| doc_leak 1, env_load_failed 1 \|/)
  t.match(stdout, /\| verified \| 0 \| 4 \| pending 4 \|/)
  t.match(stdout, /\| max-element \| rejected \| gym \| doc_leak: tool ComputeMaximum/)
  t.match(stdout, /0 envs kept in .*envs/)
  t.match(stderr, /sum-evens: gym kept/)
  t.equal(await readFile(join(out, 'report.md'), 'utf8'), stdout.slice(0, stdout.indexOf('\n\n0 envs kept')) + '\n')
  t.equal(backend.stats().requests, 6, 'one gym answer per problem')
})

await t.test('bad input is one line on stderr and exit 1', async (t) => {
  const bad = join(outDir, 'bad.jsonl')
  await writeFile(bad, '{"id": "x", "statement": "s"}\n')
  const missing = await codegym(['synth', '--problems', bad, '--out', join(outDir, 'bad')])
  t.equal(missing.code, 1)
  t.equal(missing.stderr.trim(), `codegym: ${bad} line 1: problem is missing the required property 'solution'`)
  const halfLlm = await codegym(['synth', '--problems', problemsPath, '--out', join(outDir, 'bad'), '--llm-url', 'http://127.0.0.1:9'])
  t.equal(halfLlm.code, 1)
  t.match(halfLlm.stderr, /give both --llm-url and --model/)
  const noLlm = await codegym(['synth', '--problems', problemsPath, '--out', join(outDir, 'none'), '--stages', 'gym'])
  t.equal(noLlm.code, 1, 'stages that need an LLM end in error: the report says so, and the command fails')
  t.match(noLlm.stdout, /\| synthesized \| 0 \| 6 \| error:llm_failed 6 \|/)
  t.match(noLlm.stdout, /\| sum-evens \| error \| gym \| llm_failed: no LLM is configured/)
  t.match(noLlm.stderr, /^codegym: 6 of 6 problems ended in error, more than --max-error-fraction 0; e\.g\. [a-z-]+: llm_failed/m)
  const tolerated = await codegym(['synth', '--problems', problemsPath, '--out', join(outDir, 'none'), '--stages', 'gym', '--max-error-fraction', '1'])
  t.equal(tolerated.code, 0, '--max-error-fraction 1 tolerates them')
})
