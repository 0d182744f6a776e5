// The synthesis pipeline end to end on the fixture problems with recorded LLM answers: each stage
// keeps or rejects exactly the right problems with the right reason, a rerun resumes, a forced stage
// redoes its part, and the kept envs pass the env checker and can be served and played.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { CodeGymClient } from '../../clients/ts/index.ts'
import { checkPackages } from '../../src/env-check/index.ts'
import { CodeGymServer } from '../../src/server/server.ts'
import type { StageStatus } from '../../src/schemas/synth.generated.ts'
import { defaultLlmSettings, defaultPolicySettings } from '../../src/synth/defaults.ts'
import { runSynth, type SynthOptions } from '../../src/synth/pipeline.ts'
import { readProblems } from '../../src/synth/problems.ts'
import { RolloutReferencePolicy } from '../../app/reference-policy.ts'
import { serveEnvInProcess } from '../../app/synth.ts'
import { formatReport } from '../../src/synth/report.ts'
import { startTestBackend } from '../../tools/test-backend/index.ts'
import { fixturePolicy, problemsPath } from './fixture-llm.ts'

const counts = { pipeline: 0, policy: 0 }
const llm = await startTestBackend({ policy: fixturePolicy(counts) })
t.teardown(() => llm.close())
const outDir = await mkdtemp(join(tmpdir(), 'codegym-synth-'))
t.teardown(() => rm(outDir, { recursive: true, force: true }))
const problems = await readProblems(problemsPath)

const options = (extra: Partial<SynthOptions> = {}): SynthOptions => ({
  problems,
  outDir,
  limits: { k: 3, inputsPerDifficulty: 2, difficultyTries: 2, concurrency: 2 },
  llm: { ...defaultLlmSettings, url: llm.url, model: 'recorded', retryBaseDelayMs: 1 },
  policy: new RolloutReferencePolicy({ ...defaultPolicySettings, url: llm.url, model: 'reference' }, serveEnvInProcess),
  ...extra,
})

const readStatus = async (problem: string, stage: string): Promise<StageStatus> =>
  JSON.parse(await readFile(join(outDir, 'work', problem, stage, 'status.json'), 'utf8')) as StageStatus

/** Each fixture problem's fate: [outcome, last stage, reason code]. */
const expected = {
  'sum-evens': ['kept', 'difficulty', undefined],
  'count-positives': ['rejected', 'gym', 'env_load_failed'],
  'max-element': ['rejected', 'gym', 'doc_leak'],
  'count-zeros': ['rejected', 'verify', 'no_solver_passed'],
  'count-odds': ['rejected', 'difficulty', 'too_easy'],
  'larger-of-two': ['rejected', 'filters', 'too_few_calls'],
}

const first = await runSynth(options())

await t.test('every problem is kept or rejected at the right stage for the right reason', async (t) => {
  t.same(Object.fromEntries(first.report.problems.map((line) => [line.id, [line.outcome, line.stage, line.reason?.code]])), expected)
  t.same(first.report.funnel.map((row) => [row.step, row.problems, row.dropped]), [
    ['problems in', 6, {}],
    ['synthesized', 4, { env_load_failed: 1, doc_leak: 1 }],
    ['verified', 3, { no_solver_passed: 1 }],
    ['filtered', 2, { too_few_calls: 1 }],
    ['kept', 1, { too_easy: 1 }],
  ])
  t.same(first.report.kept, ['sum-evens'])
  t.match(first.report.problems.find((line) => line.id === 'max-element')?.reason?.message, /tool ComputeMaximum is described as solving the problem/)
  t.match(first.report.problems.find((line) => line.id === 'count-positives')?.reason?.message, /env\.js does not parse/)
  t.match(first.report.problems.find((line) => line.id === 'larger-of-two')?.reason?.message, /the oracle made 5 tool calls, fewer than 10/)
})

await t.test('artefacts: statuses with prompt versions and attempts, pass@K picks the passing solver', async (t) => {
  const gym = await readStatus('sum-evens', 'gym')
  t.equal(gym.status, 'kept')
  t.equal(gym.promptVersion, 'gym-v1')
  const verify = await readStatus('sum-evens', 'verify')
  t.equal(verify.attempts, 2, 'solver 1 fails, solver 2 passes, solver 3 is never asked for')
  t.equal(verify.promptVersion, 'solver-v1')
  t.equal(await readFile(join(outDir, 'work/sum-evens/package/oracle.js'), 'utf8'), await readFile(join(outDir, 'work/sum-evens/verify/solver-2.js'), 'utf8'))
  const zeros = await readStatus('count-zeros', 'verify')
  t.equal(zeros.attempts, 3)
  const solvers = JSON.parse(await readFile(join(outDir, 'work/count-zeros/verify/solvers.json'), 'utf8')) as Array<{ passed: boolean, failure: string }>
  t.same(solvers.map((solver) => solver.passed), [false, false, false])
  t.match(solvers[2]!.failure, /no code block named solver\.js/)
  const inputs = await readStatus('sum-evens', 'inputs')
  t.same(inputs.details?.origins, { generated: 4, edge: 3, problem: 1 })
  const difficulty = await readStatus('count-odds', 'difficulty')
  t.ok(Object.values(difficulty.details?.solveRates as Record<string, number>).every((rate) => rate === 1), 'the scripted agent solves every count-odds task')
  t.notOk(await readdir(join(outDir, 'work/count-positives')).then((entries) => entries.includes('inputs')), 'no stage runs after a rejection')
  const markdown = await readFile(join(outDir, 'report.md'), 'utf8')
  t.equal(markdown, formatReport(first.report) + '\n')
  t.match(markdown, /\| verified \| 3 \| 1 \| no_solver_passed 1 \|/)
  t.same(JSON.parse(await readFile(join(outDir, 'report.json'), 'utf8')), first.report)
})

await t.test('the kept envs pass the env checker, keep only hard-enough tasks, and can be served', async (t) => {
  t.same(await readdir(first.envsDir), ['sum-evens'])
  const { reports } = await checkPackages([first.envsDir], [], { sandbox: { workers: 1 } })
  t.same(reports.map((report) => [report.envId, report.ok, report.checks.filter((check) => check.status === 'fail').map((check) => check.detail)]), [['synth/sum-evens-v1', true, []]])
  const truths = new Map((await readFile(join(outDir, 'work/sum-evens/inputs/inputs.jsonl'), 'utf8')).trim().split('\n')
    .map((line) => JSON.parse(line) as { id: string, truth: number }).map((input) => [input.id, input.truth]))
  const tasks = (await readFile(join(first.envsDir, 'sum-evens/tasks.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { id: string })
  t.same(tasks.map((task) => task.id).sort(), [...truths.keys()].sort(), 'the wrong-answer reference policy leaves every task in')

  const server = await CodeGymServer.start({ port: 0, envDirs: [first.envsDir], sandbox: { workers: 1 }, logger: pino({ level: 'silent' }) })
  const client = await CodeGymClient.connect(server.url)
  try {
    t.same((await client.listEnvs()).envs.map((env) => env.id), ['synth/sum-evens-v1'])
    const { session, info } = await client.reset('synth/sum-evens-v1', { task: 'test-1' })
    t.match(info.task, /A hidden array of 6 integers/)
    t.equal((await client.step(session, { name: 'GetLength', parameters: {} })).observation, 6)
    t.equal((await client.step(session, { name: 'GetElement', parameters: { index: 1 } })).observation, 2)
    const done = await client.step(session, { name: 'Done', parameters: { answer: truths.get('test-1') } })
    t.same([done.reward, done.terminated], [1, true])
  } finally {
    await client.close()
    await server.close()
  }
})

await t.test('a rerun resumes: nothing is asked again and the report is the same', async (t) => {
  const before = { ...counts }
  const again = await runSynth(options())
  t.same(counts, before, 'no LLM or reference-policy request')
  t.same(again.report, first.report)
  t.same(await readdir(again.envsDir), ['sum-evens'])
})

await t.test('--force-stage redoes that stage and the later ones, from saved LLM answers where they stay valid', async (t) => {
  const before = { ...counts }
  const started = (await readStatus('sum-evens', 'filters')).startedAt
  const gymStarted = (await readStatus('sum-evens', 'gym')).startedAt
  const forced = await runSynth(options({ forceStage: 'filters' }))
  t.same(forced.report.problems, first.report.problems)
  t.equal(counts.pipeline, before.pipeline, 'filters and difficulty ask the LLM nothing')
  t.ok(counts.policy > before.policy, 'the difficulty filter ran again')
  t.not((await readStatus('sum-evens', 'filters')).startedAt, started)
  t.equal((await readStatus('sum-evens', 'gym')).startedAt, gymStarted, 'earlier stages are not redone')

  const verifyBefore = counts.pipeline
  const reverified = await runSynth(options({ forceStage: 'verify', stages: ['verify'] }))
  t.equal(counts.pipeline - verifyBefore, 2 + 3 + 1 + 1, 'solvers are asked again: sum-evens 2, count-zeros 3, count-odds 1, larger-of-two 1')
  t.same(Object.fromEntries(reverified.report.problems.map((line) => [line.id, [line.outcome, line.stage]])), {
    'sum-evens': ['pending', 'filters'],
    'count-positives': ['rejected', 'gym'],
    'max-element': ['rejected', 'gym'],
    'count-zeros': ['rejected', 'verify'],
    'count-odds': ['pending', 'filters'],
    'larger-of-two': ['pending', 'filters'],
  })
  t.same(reverified.report.kept, [])
  t.same(await readdir(reverified.envsDir), [], 'an env whose later stages wait is no longer published')

  const resumed = await runSynth(options())
  t.same(resumed.report.problems, first.report.problems, 'the next full run finishes the waiting stages')
  t.same(await readdir(resumed.envsDir), ['sum-evens'])
})

await t.test('a problem edited since the last run starts over', async (t) => {
  const before = { ...counts }
  const edited = problems.map((problem) => problem.id === 'larger-of-two' ? { ...problem, statement: problem.statement + ' Both are integers.' } : problem)
  const rerun = await runSynth({ ...options(), problems: edited })
  t.same(rerun.report.problems, first.report.problems)
  t.equal(counts.pipeline - before.pipeline, 3, 'larger-of-two asks for its gym, inputs and one solver again; nothing else is asked')
  t.equal(JSON.parse(await readFile(join(outDir, 'work/larger-of-two/problem.json'), 'utf8')).statement, edited.at(-1)!.statement)
})

await t.test('an LLM endpoint that fails leaves the stage in error, and a rerun retries it', async (t) => {
  let failing = true
  const recorded = fixturePolicy({ pipeline: 0, policy: 0 })
  const flaky = await startTestBackend({ policy: (input) => failing ? { kind: 'http_error', status: 503 } : recorded(input) })
  t.teardown(() => flaky.close())
  const dir = await mkdtemp(join(tmpdir(), 'codegym-synth-flaky-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const only = problems.filter((problem) => problem.id === 'larger-of-two')
  const flakyOptions = { ...options(), problems: only, outDir: dir, llm: { ...defaultLlmSettings, url: flaky.url, model: 'recorded', maxRetries: 1, retryBaseDelayMs: 1 } }
  const failed = await runSynth(flakyOptions)
  t.same(failed.report.problems.map((line) => [line.outcome, line.stage, line.reason?.code]), [['error', 'gym', 'llm_failed']])
  t.match(failed.report.problems[0]?.reason?.message, /HTTP 503/)
  t.equal(flaky.stats().requests, 2, 'one request and one retry')
  failing = false
  const retried = await runSynth(flakyOptions)
  t.same(retried.report.problems.map((line) => [line.outcome, line.stage, line.reason?.code]), [['rejected', 'filters', 'too_few_calls']])
})
