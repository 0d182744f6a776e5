// Same seed, difficulty and actions give the same trajectory, for every bundled env.
import t from 'tap'
import { Runtime } from '../../src/env/runtime.ts'
import { plainUnpackr } from '../../src/plain-data.ts'
import { oraclePolicy, playRecorded, randomPolicy, type RecordedEpisode } from '../helpers/policies.ts'

const runtime = await Runtime.create({ sandbox: { workers: 2 } })
t.teardown(() => runtime.close())

t.ok(runtime.envIds().length >= 2, 'the bundled envs are found')

for (const envId of runtime.envIds()) {
  const spec = runtime.spec(envId)
  await t.test(envId, async (t) => {
    const oracle = oraclePolicy(spec)
    t.teardown(() => oracle.dispose())

    for (const difficulty of spec.manifest.difficulties) {
      const options = { seed: 20250917, difficulty }
      const play = async (policy: 'oracle' | 'random'): Promise<RecordedEpisode & { reset: unknown, initial: string }> => {
        const { episode, ...reset } = await runtime.reset(envId, options)
        const initial = episode.committedState
        const recorded = await playRecorded(episode, reset, policy === 'oracle' ? oracle : randomPolicy(spec, 7, 60))
        return { ...recorded, reset, initial }
      }
      for (const policy of ['oracle', 'random'] as const) {
        const first = await play(policy)
        const second = await play(policy)
        if (policy === 'oracle') {
          t.equal(first.policyError, undefined, `${difficulty} oracle: the policy ran to the end`)
          t.equal(first.reward, 1)
        } else {
          t.equal(first.steps.length, 60, `${difficulty} random: every random action was taken`)
        }
        t.same(second.reset, first.reset, `${difficulty} ${policy}: same reset`)
        t.equal(second.initial, first.initial, `${difficulty} ${policy}: same initial state`)
        t.same(second.actions, first.actions, `${difficulty} ${policy}: same actions`)
        t.same(second.steps, first.steps, `${difficulty} ${policy}: same observations, rewards and info`)
        t.same(second.states, first.states, `${difficulty} ${policy}: same committed states`)
      }
    }

    await t.test('different seeds give different tasks', async (t) => {
      const configs = new Set<string>()
      for (let seed = 1; seed <= 8; seed++) {
        const { episode } = await runtime.reset(envId, { seed, difficulty: spec.manifest.difficulties.at(-1) })
        configs.add(JSON.stringify((plainUnpackr.unpack(await episode.snapshot()) as { config: unknown }).config))
      }
      t.ok(configs.size > 1, `${configs.size} different configs from 8 seeds`)
    })

    await t.test('the same seed gives the same task', async (t) => {
      const a = await runtime.reset(envId, { seed: 99 })
      const b = await runtime.reset(envId, { seed: 99 })
      t.equal(a.episode.committedState, b.episode.committedState)
      t.same(a.info, b.info)
    })
  })
}
