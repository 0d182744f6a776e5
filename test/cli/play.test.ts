// `codegym play` driven through piped stdin, `codegym oracle`, and the play prompt's parser.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { parsePlayCommand } from '../../app/play.ts'

const bin = fileURLToPath(new URL('../../bin/codegym.js', import.meta.url))
const fixtures = fileURLToPath(new URL('../fixtures/envs/checker/', import.meta.url))

function codegym (args: string[], input = ''): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.on('error', () => undefined) // the process may end before it reads everything
    child.stdin.end(input)
  })
}

/** The lines after the help text: what the session printed in answer to the input. */
const session = (stdout: string): string[] => stdout.slice(stdout.indexOf('and: help (this)')).split('\n').slice(1).filter((line) => line !== '')

await t.test('play: a whole episode through piped stdin', async (t) => {
  const input = [
    'GetLength',
    'GetElement {"index": 7}',
    'GetElement {"index": 0}',
    'Add {"a": 1, "b": oops}',
    'observe',
    '{"name": "MarkRead", "parameters": {"index": 0}}',
    'Observe',
    'Nope',
    '',
    'Done {"answer": 6}',
    'GetLength',
  ].join('\n')
  const { code, stdout, stderr } = await codegym(['play', 'good', '--envs', fixtures, '--task', 'small'], input)
  t.equal(code, 0, stderr)
  t.equal(stderr, '')
  t.match(stdout, /^test\/checker-good-v1: Passes every check \(task small; at most 64 tool calls\)\n\nTask: A hidden array of 3 integers is stored in the environment\./)
  t.match(stdout, /\n {2}GetElement\(index: integer\)\n {6}Return the integer at a position of the hidden array\. Fails if the position is outside the array\.\n {6}index: Zero-based position in the hidden array\.\n/)
  t.match(stdout, /\n {2}Done\(answer: integer\)\n/)
  t.same(session(stdout), [
    '[1/64] GetLength -> 3',
    '[2/64] GetElement {"index":7} -> Error: position 7 is outside the array  (rolled back: tool_error)',
    '[3/64] GetElement {"index":0} -> 1',
    '? the parameters are not JSON: Unexpected token \'o\', "{"a": 1, "b": oops}" is not valid JSON',
    '{"length":3,"read":0}',
    '[4/64] MarkRead {"index":0} -> 1',
    '[5/64] Observe -> {"length":3,"read":1}',
    '[6/64] Nope -> Error: unknown tool "Nope"; the tools are GetLength, GetElement, Add, MarkRead, Observe, Done  (rolled back: unknown_tool)',
    '[7/64] Done {"answer":6} -> Correct.',
    'reward 1: the episode is over (correct answer)',
  ])
})

await t.test('play: a wrong answer, truncation, quit and the end of stdin', async (t) => {
  const wrong = await codegym(['play', 'test/checker-good-v1', '--envs', fixtures, '--task', 'small'], 'Done 5\n')
  t.same(session(wrong.stdout), ['[1/64] Done {"answer":5} -> Incorrect.', 'reward 0: the episode is over (incorrect answer)'])
  const truncated = await codegym(['play', 'good', '--envs', fixtures, '--seed', '3', '--difficulty', 'hard', '--max-steps', '2'], 'GetLength\nhelp\nAdd {"a": 2, "b": 3}\nGetLength\n')
  t.match(truncated.stdout, /^test\/checker-good-v1: Passes every check \(seed 3, hard; at most 2 tool calls\)/)
  t.same(session(truncated.stdout).filter((line) => line.startsWith('[') || line.startsWith('reward')), [
    '[1/2] GetLength -> 7',
    '[2/2] Add {"a":2,"b":3} -> 5',
    'reward 0: the episode was truncated at the step limit',
  ])
  const quit = await codegym(['play', 'good', '--envs', fixtures, '--seed', '1'], 'GetLength\nquit\nGetLength\n')
  t.equal(quit.code, 0)
  t.same(session(quit.stdout), ['[1/64] GetLength -> 3', 'the episode was left unfinished after 1 of 64 tool calls'])
  const eof = await codegym(['play', 'good', '--envs', fixtures, '--seed', '1'], '')
  t.same(session(eof.stdout), ['the episode was left unfinished after 0 of 64 tool calls'])
  const unknown = await codegym(['play', 'nope', '--envs', fixtures], '')
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, /^codegym: no env "nope"; the envs are test\/checker-accepts-anything-v1, /)
  const task = await codegym(['play', 'good', '--envs', fixtures, '--task', 'missing'], '')
  t.equal(task.code, 1)
  t.match(task.stderr, /^codegym: test\/checker-good-v1 has no task "missing"/)
})

await t.test('oracle: every step, then the reward', async (t) => {
  const { code, stdout, stderr } = await codegym(['oracle', 'good', '--envs', fixtures, '--task', 'small'])
  t.equal(code, 0, stderr)
  t.same(stdout.split('\n').filter((line) => line !== ''), [
    'test/checker-good-v1: Passes every check (task small; at most 64 tool calls)',
    'Task: A hidden array of 3 integers is stored in the environment. Find the sum of its elements with the tools and submit it with Done.',
    '[1/64] GetLength -> 3',
    '[2/64] GetElement {"index":0} -> 1',
    '[3/64] Add {"a":0,"b":1} -> 1',
    '[4/64] MarkRead {"index":0} -> 1',
    '[5/64] GetElement {"index":1} -> 2',
    '[6/64] Add {"a":1,"b":2} -> 3',
    '[7/64] MarkRead {"index":1} -> 2',
    '[8/64] GetElement {"index":2} -> 3',
    '[9/64] Add {"a":3,"b":3} -> 6',
    '[10/64] MarkRead {"index":2} -> 3',
    '[11/64] Done {"answer":6} -> Correct.',
    'reward 1: the episode is over (correct answer)',
    '11 tool calls, 4 distinct env tools (Add, GetElement, GetLength, MarkRead)',
  ])
  const wrong = await codegym(['oracle', 'wrong-oracle', '--envs', fixtures, '--seed', '2', '--difficulty', 'easy'])
  t.equal(wrong.code, 1, 'an oracle that misses exits 1')
  t.match(wrong.stdout, /Done \{"answer":-?\d+\} -> Incorrect\.\nreward 0: the episode is over \(incorrect answer\)\n/)
})

await t.test('the play prompt\'s parser', async (t) => {
  t.same(parsePlayCommand('  GetLength  '), { kind: 'action', action: { name: 'GetLength', parameters: {} } })
  t.same(parsePlayCommand('GetElement {"index": 2}'), { kind: 'action', action: { name: 'GetElement', parameters: { index: 2 } } })
  t.same(parsePlayCommand('{"name": "GetElement", "parameters": {"index": 2}}'), { kind: 'action', action: { name: 'GetElement', parameters: { index: 2 } } })
  t.same(parsePlayCommand('{"name": 3}'), { kind: 'action', action: { name: 3 } }, 'a malformed JSON action still goes to the env, which refuses it')
  t.same(parsePlayCommand('Done 7'), { kind: 'action', action: { name: 'Done', parameters: { answer: 7 } } })
  t.same(parsePlayCommand('Done [1, 2]'), { kind: 'action', action: { name: 'Done', parameters: { answer: [1, 2] } } })
  t.same(parsePlayCommand('Done {"answer": true}'), { kind: 'action', action: { name: 'Done', parameters: { answer: true } } })
  t.same(parsePlayCommand('Done {"x": 1}'), { kind: 'action', action: { name: 'Done', parameters: { answer: { x: 1 } } } })
  t.same(parsePlayCommand('Done "yes"'), { kind: 'action', action: { name: 'Done', parameters: { answer: 'yes' } } })
  for (const word of ['help', '?']) t.same(parsePlayCommand(word), { kind: 'help' })
  t.same(parsePlayCommand('observe'), { kind: 'observe' })
  t.same(parsePlayCommand('Observe'), { kind: 'action', action: { name: 'Observe', parameters: {} } }, 'Observe, capitalized, is the tool: it takes a step')
  for (const word of ['quit', 'exit']) t.same(parsePlayCommand(word), { kind: 'quit' })
  t.same(parsePlayCommand('   '), { kind: 'empty' })
  t.match(parsePlayCommand('GetElement [1]'), { kind: 'error', message: /must be a JSON object/ })
  t.match(parsePlayCommand('GetElement {index: 1}'), { kind: 'error', message: /not JSON/ })
  t.match(parsePlayCommand('{"name": '), { kind: 'error', message: /^not JSON/ })
  t.match(parsePlayCommand('3 + 4'), { kind: 'error', message: /type help/ })
})
