// The problems JSONL: each line a SynthProblem from schemas/synth.schema.json; bad input is a typed error naming the line.
import t from 'tap'
import { parseProblems, ProblemsFileError, readProblems } from '../../src/synth/problems.ts'
import { problemsPath } from './fixture-llm.ts'

const good = { id: 'p1', statement: 'Add two numbers.', solution: 'function solve (input) { return input.a + input.b }' }
const line = (value: unknown): string => JSON.stringify(value)

await t.test('the fixture problems parse', async (t) => {
  const problems = await readProblems(problemsPath)
  t.same(problems.map((problem) => problem.id), ['sum-evens', 'count-positives', 'max-element', 'count-zeros', 'count-odds', 'larger-of-two'])
})

await t.test('blank lines are skipped; optional fields are kept', async (t) => {
  const problems = parseProblems(`${line(good)}\n\n${line({ ...good, id: 'p2', entry: 'add', tests: [{ input: { a: 1, b: 2 }, expected: 3 }], source: { problem: 'x', license: 'MIT' }, metadata: { from: 'here' } })}\n`)
  t.equal(problems.length, 2)
  t.same(problems[1]?.tests, [{ input: { a: 1, b: 2 }, expected: 3 }])
})

await t.test('bad lines are rejected with the file, the line and the reason', async (t) => {
  const rejects = (text: string, message: RegExp): void => {
    t.throws(() => parseProblems(text, 'in.jsonl'), message)
    t.throws(() => parseProblems(text, 'in.jsonl'), ProblemsFileError)
  }
  rejects(`${line(good)}\n{not json`, /^in\.jsonl line 2 is not JSON/)
  rejects(line({ ...good, id: 'Has Spaces' }), /^in\.jsonl line 1: problem\/id must match pattern/)
  rejects(line({ id: 'p', statement: 'x' }), /missing the required property 'solution'/)
  rejects(line({ ...good, extra: 1 }), /unexpected property 'extra'/)
  rejects(line({ ...good, tests: [{ input: [1, 2] }] }), /problem\/tests\/0\/input must be object/)
  rejects(`${line(good)}\n${line(good)}`, /line 2: problem id p1 is used twice/)
  rejects('\n\n', /holds no problems/)
  await t.rejects(readProblems('/no/such/problems.jsonl'), /cannot read \/no\/such\/problems\.jsonl/)
})
