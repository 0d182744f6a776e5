// The corpus test: every bundled env passes every check of the env checker (manifest docs,
// statement, determinism, snapshots, the oracle on every task, the paper's filters, wrong answers,
// random actions). Then the checker's own tests: each broken fixture env fails exactly its check.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { checkEnvs, checkNames, checkPackages, formatReports, wrongAnswer, type CheckName, type EnvCheckReport } from '../../src/env-check/index.ts'
import type { EnvSpec } from '../../src/env/package.ts'
import { Runtime } from '../../src/env/runtime.ts'
import { compileEnvSchema } from '../../src/schemas/validate.ts'

const fixtures = fileURLToPath(new URL('../fixtures/envs/checker/', import.meta.url))

function failing (report: EnvCheckReport): CheckName[] {
  return report.checks.filter((check) => check.status === 'fail').map((check) => check.check)
}

/**
 * The call time limit is wall time: on a loaded 2-core CI machine a 250 ms call limit was seen to
 * cut off a task generator. This test is about what the envs compute, not how fast; the time
 * limit itself is tested with hostile envs (test/sandbox/hostile.test.ts).
 */
const unhurriedCallTimeoutMs = 5000

await t.test('every bundled env passes every check', async (t) => {
  const runtime = await Runtime.create({ sandbox: { workers: 2, callTimeoutMs: unhurriedCallTimeoutMs } })
  t.teardown(() => runtime.close())
  const envIds = runtime.envIds()
  t.ok(envIds.length >= 2, `${envIds.length} bundled envs are found`)
  const reports = await checkEnvs(runtime, envIds, { seeds: 2, concurrency: 4 })
  for (const report of reports) {
    void t.test(report.envId, async (t) => {
      t.same(report.checks.map((check) => check.check), checkNames, 'every check ran')
      for (const check of report.checks) t.not(check.status, 'fail', `${check.check}: ${check.problems.join('; ') || check.detail}`)
      t.ok(report.oracleRuns.length >= runtime.spec(report.envId).manifest.difficulties.length * 2, 'the oracle played every difficulty with every seed')
    })
  }
})

await t.test('each broken fixture fails its check and only that one', async (t) => {
  const runtime = await Runtime.create({ envDirs: [fixtures], sandbox: { workers: 2 } })
  t.teardown(() => runtime.close())
  const expected: Record<string, [CheckName[], RegExp?]> = {
    'test/checker-good-v1': [[]],
    'test/checker-wrong-oracle-v1': [['oracle'], /^task small: reward 0: "Incorrect\."$/],
    'test/checker-few-calls-v1': [['filters'], /the oracle made 5 tool calls, outside 10\.\.256/],
    'test/checker-seed-blind-v1': [['determinism'], /8 seeds at hard gave 1 distinct task: the generator ignores its seed/],
    'test/checker-unfilled-placeholder-v1': [['statement'], /does not fill \{\{size\}\}/],
    'test/checker-throws-non-error-v1': [['random-actions'], /GetElement failed with tool_error: \[object Object\]/],
    'test/checker-loops-v1': [['random-actions'], /GetElement failed with cpu_time_limit/],
    'test/checker-bad-docs-v1': [['manifest'], /tool Add: parameter a is documented only as "a"/],
    'test/checker-accepts-anything-v1': [['wrong-answer'], /Done\(-?\d+\) against -?\d+ was judged correct/],
  }
  t.same(runtime.envIds(), Object.keys(expected).sort(), 'every fixture is expected')
  const reports = await checkEnvs(runtime, runtime.envIds(), { seeds: 2, concurrency: 4 })
  for (const report of reports) {
    const [checks, reason] = expected[report.envId]!
    t.same(failing(report), checks, `${report.envId} fails ${checks.join(', ') || 'nothing'}`)
    t.equal(report.ok, checks.length === 0)
    if (reason !== undefined) t.match(report.checks.find((check) => check.check === checks[0])?.detail, reason)
  }
  const text = formatReports(reports)
  t.match(text, /^ok {3}test\/checker-good-v1 {2}\(/m)
  t.match(text, /^FAIL test\/checker-wrong-oracle-v1/m)
  t.match(text, /^ {2}FAIL oracle +task small: reward 0/m)
  t.match(text, /^ {2}PASS filters +11\.\.23 tool calls/m)
  t.match(text, /9 envs checked: 1 passed, 8 failed$/)

  await t.test('only the checks asked for run', async (t) => {
    const [report] = await checkEnvs(runtime, ['test/checker-wrong-oracle-v1'], { seeds: 1, checks: ['filters', 'manifest'] })
    t.same(report!.checks.map((check) => check.check), ['manifest', 'filters'])
    t.equal(report!.ok, true)
    t.equal(report!.oracleRuns.length, 4, '2 fixed tasks, 2 difficulties x 1 seed')
  })

})

await t.test('wrong answers: of the truth\'s type, valid for the answer schema, or none', async (t) => {
  const withAnswer = (answer: object): EnvSpec => ({
    manifest: { answer },
    parameterValidators: new Map([['Done', compileEnvSchema({ type: 'object', properties: { answer }, required: ['answer'] }, 'parameters')]]),
  }) as unknown as EnvSpec
  t.equal(wrongAnswer(withAnswer({ type: 'integer' }), 5), 6)
  t.equal(wrongAnswer(withAnswer({ type: 'integer', maximum: 5 }), 5), 4)
  t.equal(wrongAnswer(withAnswer({ type: 'number' }), 0.25), 1.25)
  t.equal(wrongAnswer(withAnswer({ type: 'boolean' }), true), false)
  t.equal(wrongAnswer(withAnswer({ type: 'string' }), 'abc'), 'bbc')
  t.equal(wrongAnswer(withAnswer({ type: 'string', pattern: '^[a-c]+$' }), 'ccc'), 'cccc')
  t.equal(wrongAnswer(withAnswer({ enum: ['yes', 'no'] }), 'yes'), 'no')
  t.same(wrongAnswer(withAnswer({ type: 'array', items: { type: 'integer' } }), [1, 2, 3]), [2, 2, 3])
  t.same(wrongAnswer(withAnswer({ type: 'array', items: { type: 'integer' } }), []), [0])
  t.same(wrongAnswer(withAnswer({ type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 2 }), ['a', 'b']), ['b', 'b'])
  t.same(wrongAnswer(withAnswer({ type: 'object', properties: { x: { type: 'integer' } } }), { x: 1 }), { x: 2 })
  t.equal(wrongAnswer(withAnswer({ type: 'null' }), null), undefined, 'no other value of the type')
  t.equal(wrongAnswer(withAnswer({ const: 3 }), 3), undefined, 'no other valid value')
})

await t.test('a package that does not load fails its manifest check; the others are still checked', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'codegym-checker-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await mkdir(join(dir, 'broken'))
  await writeFile(join(dir, 'broken', 'env.json'), '{"id": "test/broken-v1"')
  const { reports, specs } = await checkPackages([dir, join(fixtures, 'good')], [], { seeds: 1, sandbox: { workers: 1 } })
  t.same(reports.map((report) => [report.envId, report.ok]), [['broken', false], ['test/checker-good-v1', true]])
  t.same(reports[0]!.checks.map((check) => [check.check, check.status]), [['manifest', 'fail']])
  t.match(reports[0]!.checks[0]!.detail, /env\.json is not JSON/)
  t.same(specs.map((spec) => spec.manifest.id), ['test/checker-good-v1'])
  await t.rejects(checkPackages([fixtures], ['no-such-env']), { code: 'unknown_env' })
  const named = await checkPackages([fixtures], ['good', 'checker-seed-blind', 'test/checker-bad-docs-v1'], { seeds: 1, checks: ['manifest'], sandbox: { workers: 1 } })
  t.same(named.reports.map((report) => report.envId), ['test/checker-bad-docs-v1', 'test/checker-good-v1', 'test/checker-seed-blind-v1'], 'envs are named by folder, id without prefix and version, or id')
})
