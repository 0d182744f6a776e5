// The leak check on env docs: solver tools, copies of the reference solution, ground-truth values.
import t from 'tap'
import type { EnvManifest } from '../../src/schemas/env.generated.ts'
import { findSolutionCopy, findSolverTools, findTruthLeaks, isDistinctive } from '../../src/synth/leak.ts'

const parameters = { type: 'object' as const, properties: {}, required: [], additionalProperties: false as const }
function manifest (tools: Array<[string, string]>, statement = 'A hidden array of {{length}} integers. Find its largest element.'): EnvManifest {
  return {
    id: 'synth/leak-v1',
    title: 'leak',
    category: 'arrays',
    statement,
    tools: tools.map(([name, description]) => ({ name, description, parameters })),
    answer: { type: 'integer', description: 'The largest element.' },
    config: { type: 'object' },
    difficulties: ['easy'],
    source: { problem: 'leak', license: 'original' },
  }
}

const solution = 'function solve (input) {\n  // keep the best so far\n  let best = input.values[0]\n  for (const value of input.values) best = Math.max(best, value)\n  return best\n}\n'

await t.test('a tool named or described as solving the problem leaks', async (t) => {
  t.same(findSolverTools(manifest([['GetElement', 'Return the element at a position.'], ['Larger', 'Return the larger of two integers.']])), [])
  t.match(findSolverTools(manifest([['SolveAll', 'Scan the array.']])), [{ kind: 'solver_tool', message: /SolveAll is named as a solver/ }])
  t.match(findSolverTools(manifest([['GetAnswer', 'Return something.']])), [{ kind: 'solver_tool' }])
  t.match(findSolverTools(manifest([['Scan', 'Scan the whole array and return the final answer.']])), [{ message: /"final answer"/ }])
  t.match(findSolverTools(manifest([['Run', 'Solves the entire problem in one call.']])), [{ kind: 'solver_tool' }])
  t.match(findSolverTools(manifest([['Peek', 'Returns the correct answer for the hidden array.']])), [{ kind: 'solver_tool' }])
})

await t.test('docs that copy a run of the solution code leak; prose and comments do not', async (t) => {
  t.same(findSolutionCopy(manifest([['Larger', 'Return the larger of two integers: the best so far and a new value.']]), solution), [], 'the solution comment in prose is no copy')
  t.same(findSolutionCopy(manifest([['Larger', 'Return Math.max(best, value) for two integers.']]), solution), [], 'a fragment shorter than copyTokens tokens is no copy')
  const leaking = manifest([['Step', 'Runs for (const value of input.values) best = Math.max(best, value) over the array.']])
  t.match(findSolutionCopy(leaking, solution), [{ kind: 'solution_copy', message: /tool Step copies the reference solution/ }])
  t.match(findSolutionCopy(manifest([], 'Compute let best = input.values[0] for (const value of input.values) and go on.'), solution), [{ message: /the statement copies/ }])
})

await t.test('ground truth shown in the docs or the initial observation of most inputs leaks', async (t) => {
  t.notOk(isDistinctive(3))
  t.notOk(isDistinctive(true))
  t.notOk(isDistinctive('ab'))
  t.ok(isDistinctive(12))
  t.ok(isDistinctive(-0.5))
  t.ok(isDistinctive('abc'))
  t.ok(isDistinctive([1, 2]))
  const docs = manifest([['GetElement', 'Return the element at a position.']])
  const cases = [
    { taskId: 'a', truth: 512, shown: ['A hidden array of 7 integers.', '{"length":7,"best":512}'] },
    { taskId: 'b', truth: 77, shown: ['A hidden array of 9 integers.', '{"length":9,"best":77}'] },
    { taskId: 'c', truth: 4, shown: ['A hidden array of 4 integers.', '{"length":4,"best":4}'] },
  ]
  t.match(findTruthLeaks(docs, cases), [{ kind: 'truth_value', message: /ground truth of 2 of 2 inputs: a \(512\), b \(77\)/ }])
  const coincidence = [
    { taskId: 'a', truth: 12, shown: ['A hidden array of 12 integers.', '{"length":12}'] },
    { taskId: 'b', truth: 30, shown: ['A hidden array of 9 integers.', '{"length":9}'] },
    { taskId: 'c', truth: 41, shown: ['A hidden array of 5 integers.', '{"length":5}'] },
  ]
  t.same(findTruthLeaks(docs, coincidence), [], 'one truth equal to a length by chance is no leak')
  t.same(findTruthLeaks(docs, [{ taskId: 'a', truth: 5120, shown: ['{"length":512}'] }]), [], 'a number inside another is not the number')
  t.same(findTruthLeaks(docs, [{ taskId: 'a', truth: 3, shown: ['3'] }]), [], 'one-digit truths are not checked')
  t.match(findTruthLeaks(manifest([], 'Find the word hello.'), [{ taskId: 'a', truth: 'hello', shown: [] }]), [{ kind: 'truth_value' }])
})
