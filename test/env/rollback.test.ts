// Trial-then-Overwrite on the bundled envs: a failed step changes nothing but the step count.
import t from 'tap'
import { CodeGymError } from '../../src/contract/errors.ts'
import type { Episode } from '../../src/env/episode.ts'
import { Runtime } from '../../src/env/runtime.ts'
import type { RollbackCode } from '../../src/schemas/env.generated.ts'
import type { TestContext } from '../helpers/tap.ts'

const runtime = await Runtime.create({ sandbox: { workers: 1 } })
t.teardown(() => runtime.close())

const brackets = 'codegym/valid-brackets-v1'
const maxSubarray = 'codegym/max-subarray-v1'

async function expectRollback (t: TestContext, episode: Episode, action: unknown, code: RollbackCode, message: RegExp): Promise<void> {
  const before = episode.committedState
  const step = episode.stepCount
  const result = await episode.step(action)
  t.equal(result.info.rolledBack, true, 'rolled back')
  t.equal(result.info.error?.code, code)
  t.match(result.info.error?.message, message)
  t.equal(typeof result.observation, 'string')
  t.ok((result.observation as string).startsWith('Error:'), 'the observation is the error text')
  t.ok((result.observation as string).includes(result.info.error?.message ?? '\0'), 'and holds the error message')
  t.equal(result.reward, 0)
  t.equal(result.terminated, false)
  t.equal(result.truncated, false)
  t.equal(episode.committedState, before, 'the state is byte-identical')
  t.equal(episode.stepCount, step + 1, 'the step still counts')
  t.equal(result.info.step, step + 1)
  t.equal(episode.status, 'running')
}

await t.test('a failing tool leaves the state as it was', async (t) => {
  const { episode } = await runtime.reset(brackets, { config: { text: '([])' } })
  await expectRollback(t, episode, { name: 'Pop' }, 'tool_error', /the stack is empty/)
  const pushed = await episode.step({ name: 'Push', parameters: { char: '(' } })
  t.equal(pushed.observation, 1)
  const afterPush = episode.committedState
  t.equal((await episode.step({ name: 'Pop' })).observation, '(')
  await expectRollback(t, episode, { name: 'Pop' }, 'tool_error', /the stack is empty/)
  await expectRollback(t, episode, { name: 'Push', parameters: { char: '((' } }, 'tool_error', /exactly one character/)
  t.not(episode.committedState, afterPush, 'a successful Pop was committed')
  t.equal((await episode.step({ name: 'StackSize' })).observation, 0)

  const { episode: array } = await runtime.reset(maxSubarray, { config: { values: [1, -2, 3] } })
  await expectRollback(t, array, { name: 'GetElement', parameters: { index: 3 } }, 'tool_error', /outside the array/)
  await expectRollback(t, array, { name: 'GetElement', parameters: { index: -1 } }, 'tool_error', /outside the array/)
  t.same(await array.observe(), { length: 3, elements_read: 0 }, 'failed reads were not counted')
  t.equal((await array.step({ name: 'GetElement', parameters: { index: 2 } })).observation, 3)
  t.same(await array.observe(), { length: 3, elements_read: 1 })
})

await t.test('invalid parameters, unknown tools and malformed actions', async (t) => {
  const { episode } = await runtime.reset(maxSubarray, { config: { values: [4, -1] } })
  await expectRollback(t, episode, { name: 'GetElement', parameters: { index: 'one' } }, 'invalid_parameters', /^invalid parameters for GetElement: parameters\/index must be integer$/)
  await expectRollback(t, episode, { name: 'GetElement', parameters: {} }, 'invalid_parameters', /missing the required property 'index'/)
  await expectRollback(t, episode, { name: 'GetElement', parameters: { index: 0, extra: 1 } }, 'invalid_parameters', /unexpected property 'extra'/)
  await expectRollback(t, episode, { name: 'GetElement', parameters: { index: 1.5 } }, 'invalid_parameters', /must be integer/)
  await expectRollback(t, episode, { name: 'Observe', parameters: { x: 1 } }, 'invalid_parameters', /unexpected property 'x'/)
  await expectRollback(t, episode, { name: 'GetElements' }, 'unknown_tool', /^unknown tool "GetElements"; the tools are GetLength, GetElement, ExtendOrRestart, UpdateBest, Observe, Done$/)
  await expectRollback(t, episode, { name: 'constructor' }, 'unknown_tool', /unknown tool/)
  await expectRollback(t, episode, { name: '__proto__' }, 'unknown_tool', /unknown tool/)
  await expectRollback(t, episode, null, 'invalid_action', /^invalid action: /)
  await expectRollback(t, episode, 'GetLength', 'invalid_action', /must be object/)
  await expectRollback(t, episode, { parameters: {} }, 'invalid_action', /missing the required property 'name'/)
  await expectRollback(t, episode, { name: 'GetLength', parameters: [] }, 'invalid_action', /must be object/)
  t.equal(episode.stepCount, 12)
  t.equal((await episode.step({ name: 'GetLength' })).observation, 2, 'the episode goes on')
})

await t.test('truncation at maxSteps', async (t) => {
  const { episode, info } = await runtime.reset(maxSubarray, { config: { values: [1, 2] }, maxSteps: 3 })
  t.equal(info.maxSteps, 3)
  const first = await episode.step({ name: 'GetLength' })
  t.equal(first.truncated, false)
  await episode.step({ name: 'GetElement', parameters: { index: 9 } })
  const last = await episode.step({ name: 'GetElement', parameters: { index: 0 } })
  t.equal(last.truncated, true)
  t.equal(last.terminated, false)
  t.equal(last.reward, 0)
  t.equal(last.info.step, 3)
  t.equal(episode.status, 'truncated')
  await t.rejects(episode.step({ name: 'GetLength' }), { name: 'CodeGymError', code: 'episode_ended' })
  await t.rejects(episode.done(3), { code: 'episode_ended' })
  t.same(await episode.observe(), { length: 2, elements_read: 1 }, 'an ended episode can still be observed')

  await t.test('a rolled-back last step truncates too', async (t) => {
    const { episode } = await runtime.reset(maxSubarray, { config: { values: [1] }, maxSteps: 1 })
    const result = await episode.step({ name: 'Nope' })
    t.equal(result.info.rolledBack, true)
    t.equal(result.truncated, true)
    t.equal(episode.status, 'truncated')
  })
})

await t.test('Done', async (t) => {
  await t.test('a wrong answer ends the episode with reward 0', async (t) => {
    const { episode } = await runtime.reset(maxSubarray, { config: { values: [1, -2, 3] } })
    const result = await episode.done(4)
    t.equal(result.reward, 0)
    t.equal(result.terminated, true)
    t.equal(result.truncated, false)
    t.equal(result.info.correct, false)
    t.equal(result.info.rolledBack, false)
    t.equal(episode.status, 'terminated')
    await t.rejects(episode.step({ name: 'GetLength' }), { code: 'episode_ended' })
    await t.rejects(episode.done(3), { code: 'episode_ended' })
  })
  await t.test('the right answer gives reward 1', async (t) => {
    const { episode } = await runtime.reset(maxSubarray, { config: { values: [1, -2, 3] } })
    const result = await episode.done(3)
    t.equal(result.reward, 1)
    t.equal(result.info.correct, true)
  })
  await t.test('a mistyped answer is invalid_parameters and does not end the episode', async (t) => {
    const { episode } = await runtime.reset(brackets, { config: { text: '()' } })
    await expectRollback(t, episode, { name: 'Done', parameters: { answer: 'true' } }, 'invalid_parameters', /parameters\/answer must be boolean/)
    await expectRollback(t, episode, { name: 'Done', parameters: {} }, 'invalid_parameters', /missing the required property 'answer'/)
    await expectRollback(t, episode, { name: 'Done' }, 'invalid_parameters', /answer/)
    const result = await episode.done(true)
    t.equal(result.reward, 1)
    t.equal(result.terminated, true)
  })
})

await t.test('a closed episode refuses everything', async (t) => {
  const { episode } = await runtime.reset(brackets, { config: { text: '()' } })
  episode.close()
  t.equal(episode.status, 'closed')
  await t.rejects(episode.step({ name: 'GetLength' }), { name: 'CodeGymError', code: 'episode_closed' })
  await t.rejects(episode.done(true), { code: 'episode_closed' })
  await t.rejects(episode.observe(), { code: 'episode_closed' })
  await t.rejects(episode.snapshot(), { code: 'episode_closed' })
  await t.rejects(episode.fork(), { code: 'episode_closed' })
  const error = await episode.step({ name: 'GetLength' }).catch((error: unknown) => error)
  t.ok(error instanceof CodeGymError)
})

await t.test('reset refuses what it cannot play', async (t) => {
  await t.rejects(runtime.reset('codegym/nope-v1'), { code: 'unknown_env' })
  await t.rejects(runtime.reset(brackets, { task: 'no-such-task' }), { code: 'unknown_task' })
  await t.rejects(runtime.reset(brackets, { difficulty: 'impossible' }), { code: 'invalid_reset_options' })
  await t.rejects(runtime.reset(brackets, { config: { text: 'abc' } }), { code: 'invalid_reset_options' })
  await t.rejects(runtime.reset(brackets, { config: { text: '()' }, difficulty: 'easy' }), { code: 'invalid_reset_options' })
  await t.rejects(runtime.reset(brackets, { maxSteps: 0 }), { code: 'invalid_reset_options' })
  const drawn = await runtime.reset(brackets)
  t.ok(Number.isSafeInteger(drawn.info.seed), 'a reset without a seed draws one')
})

await t.test('an episode takes one call at a time: an overlapping call is refused and changes nothing', async (t) => {
  const { episode } = await runtime.reset(brackets, { config: { text: '()' } })
  const first = episode.step({ name: 'Push', parameters: { char: '(' } })
  await t.rejects(episode.step({ name: 'Push', parameters: { char: ')' } }), /still running/, 'the second call is refused')
  t.equal((await first).observation, 1, 'the first call completes')
  t.equal(episode.stepCount, 1, 'only the first counted')
  t.equal((await episode.step({ name: 'Pop' })).observation, '(', 'the next awaited call runs')
})
