// The action corpus: every malformed action is refused with its exact message, by the validator
// and by an episode, which turns it into an error observation and goes on.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { Runtime } from '../../src/env/runtime.ts'
import { validateAction } from '../../src/schemas/validate.ts'

interface ActionCase { description: string, action: unknown, valid: boolean, message?: string }
const corpus = JSON.parse(readFileSync(new URL('../fixtures/actions.json', import.meta.url), 'utf8')) as ActionCase[]

const runtime = await Runtime.create({ sandbox: { workers: 1 } })
t.teardown(() => runtime.close())

t.ok(corpus.some((entry) => entry.valid) && corpus.some((entry) => !entry.valid), 'the corpus has both kinds')

await t.test('validateAction', async (t) => {
  for (const entry of corpus) {
    t.equal(validateAction(entry.action), entry.valid, entry.description)
    t.equal(validateAction.lastError, entry.valid ? '' : entry.message, `${entry.description}: message`)
  }
})

await t.test('an episode refuses malformed actions and goes on', async (t) => {
  const { episode } = await runtime.reset('codegym/max-subarray-v1', { config: { values: [2, -1, 2] }, maxSteps: 4096 })
  const state = episode.committedState
  for (const entry of corpus) {
    const result = await episode.step(entry.action)
    if (entry.valid) {
      t.not(result.info.error?.code, 'invalid_action', `${entry.description}: accepted as an action`)
      continue
    }
    t.equal(result.info.rolledBack, true, entry.description)
    t.same(result.info.error, { code: 'invalid_action', message: `invalid action: ${entry.message}` }, `${entry.description}: error`)
    t.equal(result.observation, `Error: invalid action: ${entry.message}`, `${entry.description}: observation`)
    t.equal(result.info.tool, undefined)
    t.equal(episode.committedState, state)
  }
  t.equal(episode.stepCount, corpus.length, 'every action took a step')
  t.equal((await episode.done(3)).reward, 1, 'the episode still works')
})
