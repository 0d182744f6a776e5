// The reasons the gym and inputs stages give, one problem per reason: the sum-evens fixture with
// one thing broken in its solution, its tests or its recorded LLM answers.
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startTestBackend } from '../../tools/test-backend/index.ts'
import type { SynthProblem } from '../../src/schemas/synth.generated.ts'
import { defaultLlmSettings } from '../../src/synth/defaults.ts'
import { runSynth } from '../../src/synth/pipeline.ts'
import { readProblems } from '../../src/synth/problems.ts'
import { promptMarker } from '../../src/synth/prompts.ts'
import { problemsPath, refusal, synthFixturesDir } from './fixture-llm.ts'

const [sumEvens] = (await readProblems(problemsPath)).filter((problem) => problem.id === 'sum-evens')
const gym = readFileSync(join(synthFixturesDir, 'answers/sum-evens/gym-1.md'), 'utf8')
const inputs = readFileSync(join(synthFixturesDir, 'answers/sum-evens/inputs-1.md'), 'utf8')

function replaced (text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the fixture has no ${from}`)
  return text.replace(from, to)
}

interface Case {
  problem?: Partial<SynthProblem>
  gym?: string
  inputs?: string
  expect: [string, string | undefined, RegExp]
}

const cases: Record<string, Case> = {
  'no-files': { gym: refusal, expect: ['gym', 'llm_unparseable', /no code block named env\.json or env\.js/] },
  'bad-json': { gym: replaced(gym, '"title":', '"title" '), expect: ['gym', 'manifest_invalid', /env\.json is not JSON/] },
  'no-answer-schema': { gym: replaced(gym, '"answer": {', '"solution": {'), expect: ['gym', 'manifest_invalid', /missing the required property 'answer'/] },
  'copied-solution': {
    gym: replaced(gym, 'Return the sum of two integers a and b.', 'Return the sum of two integers a and b, as in: for (const value of input.values) { if (value % 2 === 0) total += value }'),
    expect: ['gym', 'doc_leak', /tool Add copies the reference solution/],
  },
  'reset-throws': { gym: replaced(gym, 'return { values: config.values }', 'return { values: config.numbers.slice() }'), expect: ['gym', 'env_smoke_failed', /easy seed 1: .*reset\(\) failed: TypeError/] },
  'observe-shows-truth': {
    gym: replaced(gym, 'return { length: state.values.length }', 'return { length: state.values.length, total: answer({ values: state.values }) }'),
    expect: ['inputs', 'doc_leak', /the docs or the initial observation show the ground truth of \d+ of \d+ inputs/],
  },
  'env-answer-wrong': { gym: replaced(gym, 'if (value % 2 === 0) total += value\n  return total', 'if (value % 2 === 0) total += value\n  return total + 1'), expect: ['inputs', 'answer_mismatch', /input easy-1: the env's answer\(\) gives -?\d+, the reference solution -?\d+/] },
  'no-generator': { inputs: refusal, expect: ['inputs', 'llm_unparseable', /no code block named inputs\.js/] },
  'generator-throws': { inputs: replaced(inputs, 'const n = rng.int(min, max)', 'const n = rng.int(max, min)'), expect: ['inputs', 'generator_failed', /generate\(rng, "easy"\) with seed 1 failed: tool_error: RangeError: rng\.int/] },
  'generator-invalid': { inputs: replaced(inputs, 'rng.int(-1000, 1000)', 'rng.int(-1000, 1000) * 10'), expect: ['inputs', 'generator_failed', /input easy-1: config\/values\/\d+ must be <= 1000/] },
  'edge-unknown-level': { inputs: replaced(inputs, "{ difficulty: 'easy', config: { values: [1, 3, 5, 7, 9] } }", "{ difficulty: 'medium', config: { values: [1, 3, 5, 7, 9] } }"), expect: ['inputs', 'generator_failed', /edge case 1 has difficulty "medium"/] },
  'solution-loops': { problem: { solution: 'function solve (input) {\n  while (true) {}\n}\n' }, expect: ['inputs', 'reference_failed', /input easy-1: cpu_time_limit: /] },
  'solution-memory': { problem: { solution: 'function solve (input) {\n  const chunks = []\n  while (true) chunks.push(new Array(100000).fill(input.values.length))\n}\n' }, expect: ['inputs', 'reference_failed', /input easy-1: memory_limit: /] },
  'solution-not-json': { problem: { solution: 'function solve (input) {\n  return () => input\n}\n' }, expect: ['inputs', 'reference_failed', /input easy-1: not_json: /] },
  'solution-missing': { problem: { solution: 'function answer (input) { return 0 }\n' }, expect: ['inputs', 'reference_failed', /the solution defines no function solve/] },
  'solution-entry': { problem: { entry: 'sumEvens', solution: 'function sumEvens (input) {\n  return input.values.filter((value) => value % 2 === 0).reduce((a, b) => a + b, 0)\n}\n' }, expect: ['inputs', undefined, /^$/] },
  'test-expects-other': { problem: { tests: [{ input: { values: [1, 2, 3, 4, 5, 6] }, expected: 13 }] }, expect: ['inputs', 'reference_failed', /input test-1: the reference solution returns 12, the test expects 13/] },
}

const problems: SynthProblem[] = Object.entries(cases).map(([id, item]) => ({ ...sumEvens!, id, ...item.problem }))
const backend = await startTestBackend({
  policy: (input) => {
    const [, stage, problem] = promptMarker.exec(input.promptText) ?? []
    const item = cases[problem ?? '']
    if (item === undefined) return { kind: 'text', text: refusal }
    return { kind: 'text', text: stage === 'gym' ? item.gym ?? gym : item.inputs ?? inputs }
  },
})
t.teardown(() => backend.close())
const outDir = await mkdtemp(join(tmpdir(), 'codegym-synth-stages-'))
t.teardown(() => rm(outDir, { recursive: true, force: true }))

const { report } = await runSynth({
  problems,
  outDir,
  stages: ['gym', 'inputs'],
  limits: { inputsPerDifficulty: 2, concurrency: 4 },
  llm: { ...defaultLlmSettings, url: backend.url, model: 'recorded' },
  // A short time limit, so the looping solution ends soon; a small heap, so the growing one fills it first.
  sandbox: { callTimeoutMs: 1000, isolateMemoryLimitMb: 32 },
})

for (const [id, item] of Object.entries(cases)) {
  await t.test(id, async (t) => {
    const line = report.problems.find((problem) => problem.id === id)!
    const [stage, code, message] = item.expect
    if (code === undefined) {
      t.same([line.outcome, line.stage], ['pending', 'verify'], 'it passes gym and inputs')
    } else {
      t.same([line.outcome, line.stage, line.reason?.code], ['rejected', stage, code])
      t.match(line.reason?.message, message)
    }
  })
}
