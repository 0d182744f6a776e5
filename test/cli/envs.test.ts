// `codegym envs check` and `codegym envs stats` as a user runs them: exit codes, text and JSON.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const bin = fileURLToPath(new URL('../../bin/codegym.js', import.meta.url))
const fixtures = fileURLToPath(new URL('../fixtures/envs/checker/', import.meta.url))

function codegym (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr })
    })
  })
}

await t.test('envs check: one line per check, exit 1 on a failure', async (t) => {
  const { code, stdout } = await codegym(['envs', 'check', 'good', 'wrong-oracle', '--envs', fixtures, '--seeds', '1'])
  t.equal(code, 1)
  const lines = stdout.trim().split('\n')
  t.match(lines[0], /^ok {3}test\/checker-good-v1 {2}\(.*good, \d+\.\d s\)$/)
  t.same(lines.slice(1, 9).map((line) => line.trim().split(/\s+/).slice(0, 2)), [
    ['PASS', 'manifest'], ['PASS', 'statement'], ['PASS', 'determinism'], ['PASS', 'snapshot'],
    ['PASS', 'oracle'], ['PASS', 'filters'], ['PASS', 'wrong-answer'], ['PASS', 'random-actions'],
  ])
  t.match(lines[9], /^FAIL test\/checker-wrong-oracle-v1/)
  t.match(stdout, /\n {2}FAIL oracle +task small: reward 0: "Incorrect\."\n/)
  t.equal(lines.at(-1), '2 envs checked: 1 passed, 1 failed')
})

await t.test('envs check --json, only some checks; a good env exits 0', async (t) => {
  const { code, stdout, stderr } = await codegym(['envs', 'check', 'good', '--envs', fixtures, '--seeds', '1', '--check', 'oracle', 'filters', '--json'])
  t.equal(code, 0, stderr)
  const result = JSON.parse(stdout) as { ok: boolean, reports: Array<{ envId: string, ok: boolean, checks: Array<{ check: string, status: string }>, oracleRuns: unknown[] }> }
  t.equal(result.ok, true)
  t.equal(result.reports.length, 1)
  t.same(result.reports[0]!.checks.map((check) => [check.check, check.status]), [['oracle', 'pass'], ['filters', 'pass']])
  t.equal(result.reports[0]!.oracleRuns.length, 4)
  const unknown = await codegym(['envs', 'check', 'no-such-env', '--envs', fixtures])
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, /^codegym: no env "no-such-env"/)
})

await t.test('envs stats: the corpus table as JSON', async (t) => {
  const { code, stdout, stderr } = await codegym(['envs', 'stats', '--envs', `${fixtures}good`, `${fixtures}few-calls`, '--seeds', '2', '--json'])
  t.equal(code, 0, stderr)
  t.same(JSON.parse(stdout), {
    envs: 2,
    taskConfigs: { total: 12, fixed: 4, generated: 8, seedsPerDifficulty: 2 },
    toolsPerEnv: { envTools: 4.5, withBuiltins: 6.5, min: 4, max: 5 },
    oracleSteps: { averagePerTask: JSON.parse(stdout).oracleSteps.averagePerTask, min: 5, max: 23, episodes: 12, solved: 12 },
    categories: { arrays: 2 },
    difficulties: { easy: 6, hard: 4, unspecified: 2 },
  })
})
