// Every bundled env is solvable by its oracle within the paper's filters, and a wrong answer scores 0.
import t from 'tap'
import { Runtime } from '../../src/env/runtime.ts'
import { plainUnpackr } from '../../src/plain-data.ts'
import type { JsonValue, ResetOptions } from '../../src/schemas/env.generated.ts'
import { oraclePolicy, playRecorded } from '../helpers/policies.ts'

const runtime = await Runtime.create({ sandbox: { workers: 2 } })
t.teardown(() => runtime.close())

const seeds = [1, 2, 3]
const minToolCalls = 10
const maxToolCalls = 256
const minDistinctTools = 4

/** A value of the same type as the truth that is not equal to it. */
function wrongAnswer (truth: JsonValue): JsonValue {
  switch (typeof truth) {
    case 'number': return truth + 1
    case 'boolean': return !truth
    case 'string': return truth + 'x'
    default: throw new Error(`no wrong answer for ${JSON.stringify(truth)}`)
  }
}

for (const envId of runtime.envIds()) {
  const spec = runtime.spec(envId)
  await t.test(envId, async (t) => {
    const oracle = oraclePolicy(spec)
    t.teardown(() => oracle.dispose())

    const solves = async (t: { ok: (value: unknown, message: string) => boolean, equal: (a: unknown, b: unknown, message: string) => boolean }, options: ResetOptions, what: string): Promise<void> => {
      const { episode, ...reset } = await runtime.reset(envId, options)
      const played = await playRecorded(episode, reset, oracle)
      t.equal(played.policyError, undefined, `${what}: the oracle ran to the end`)
      t.equal(played.reward, 1, `${what}: reward 1`)
      t.equal(played.terminated, true, `${what}: terminated by Done`)
      t.ok(played.steps.every((step) => !step.info.rolledBack), `${what}: no call failed`)
      t.ok(played.toolCalls >= minToolCalls && played.toolCalls <= maxToolCalls, `${what}: ${played.toolCalls} tool calls, within ${minToolCalls}..${maxToolCalls}`)
      const tools = played.distinctTools.filter((name) => name !== 'Done')
      t.ok(tools.length >= minDistinctTools, `${what}: ${tools.length} distinct tools besides Done (${tools.join(', ')})`)
    }

    for (const difficulty of spec.manifest.difficulties) {
      for (const seed of seeds) await solves(t, { seed, difficulty }, `${difficulty} seed ${seed}`)
    }
    for (const id of spec.tasks.keys()) await solves(t, { task: id, seed: 1 }, `task ${id}`)

    await t.test('Done with a wrong answer gives reward 0', async (t) => {
      for (const seed of seeds) {
        const { episode } = await runtime.reset(envId, { seed })
        const { truth } = plainUnpackr.unpack(await episode.snapshot()) as { truth: JsonValue }
        const result = await episode.done(wrongAnswer(truth))
        t.equal(result.info.rolledBack, false)
        t.equal(result.reward, 0)
        t.equal(result.terminated, true)
        t.equal(result.info.correct, false)
      }
    })
  })
}
