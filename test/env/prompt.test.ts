// The messages a policy sees, pinned for one env (the checker's good fixture, which nobody edits
// for other reasons): system message, task statement, Chat Completions tools and observation turns.
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { observationText, openAiTools, renderObservation, renderPrompt, renderSystemPrompt } from '../../src/contract/prompt.ts'
import { Runtime } from '../../src/env/runtime.ts'

const fixture = fileURLToPath(new URL('../fixtures/envs/checker/good/', import.meta.url))
const runtime = await Runtime.create({ envDirs: [fixture], sandbox: { workers: 1 } })
t.teardown(() => runtime.close())
const { episode, info } = await runtime.reset('test/checker-good-v1', { task: 'small' })

await t.test('the prompt: a system message, then the task statement', async (t) => {
  const messages = renderPrompt(info)
  t.same(messages.map((message) => message.role), ['system', 'user'])
  t.equal(messages[1]!.content, 'A hidden array of 3 integers is stored in the environment. Find the sum of its elements with the tools and submit it with Done.')
  const system = messages[0]!.content
  t.equal(system, renderSystemPrompt(info.tools))
  t.matchSnapshot(system, 'the system message')
  t.ok(system.startsWith('You are solving a task by calling tools in an environment.'))
  t.match(system, /^\{"name": "<tool name>", "parameters": \{<parameter name>: <value>, \.\.\.\}\}$/m, 'one call per turn, in the JSON action form')
  t.match(system, /`Done` with it: that ends the episode/)
  t.match(system, /the error text comes back instead and nothing in the environment changes/)
  const functions = system.slice(system.indexOf('You have access to the following functions:\n') + 'You have access to the following functions:\n'.length)
  t.same(JSON.parse(functions), info.tools, 'the functions list is every tool, as JSON')
  t.same((JSON.parse(functions) as Array<{ name: string }>).map((tool) => tool.name), ['GetLength', 'GetElement', 'Add', 'MarkRead', 'Observe', 'Done'])
})

await t.test('Chat Completions tools', async (t) => {
  const tools = openAiTools(info.tools)
  t.equal(tools.length, 6)
  t.same(tools[1], {
    type: 'function',
    function: {
      name: 'GetElement',
      description: 'Return the integer at a position of the hidden array. Fails if the position is outside the array.',
      parameters: {
        type: 'object',
        properties: { index: { type: 'integer', description: 'Zero-based position in the hidden array.' } },
        required: ['index'],
        additionalProperties: false,
      },
    },
  })
  t.same(tools.map((tool) => tool.function), info.tools)
})

await t.test('observation turns', async (t) => {
  const read = await episode.step({ name: 'GetElement', parameters: { index: 2 } })
  t.same(renderObservation(read), { role: 'user', content: '3' })
  const observed = await episode.step({ name: 'Observe', parameters: {} })
  t.same(renderObservation(observed), { role: 'user', content: '{"length":3,"read":0}' })
  const failed = await episode.step({ name: 'GetElement', parameters: { index: 9 } })
  t.same(renderObservation(failed, 'tool'), { role: 'tool', content: 'Error: position 9 is outside the array' })
  t.equal(observationText('text stays as it is'), 'text stays as it is')
  t.equal(observationText([1, 'a', null]), '[1,"a",null]')
})
