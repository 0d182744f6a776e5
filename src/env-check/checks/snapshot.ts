// snapshot: an episode restored from its snapshot, and a fork, continue exactly like the original
// (mid-episode and once ended), and copies are independent of each other.
import { isDeepStrictEqual } from 'node:util'
import { CodeGymError } from '../../contract/errors.ts'
import type { ResetOptions, Snapshot } from '../../schemas/env.generated.ts'
import type { CheckContext } from '../context.ts'
import { Findings } from '../findings.ts'
import type { CheckOutcome } from '../types.ts'

/** The task the oracle's actions are recorded on (at the hardest difficulty). */
const snapshotSeed = 4242

export async function checkSnapshot (context: CheckContext): Promise<CheckOutcome> {
  const findings = new Findings()
  const { runtime, envId } = context
  const options: ResetOptions = { seed: snapshotSeed, difficulty: context.difficulties.at(-1)! }
  const actions = await context.referenceActions(options)
  if (!findings.expect(actions.length >= 4, () => `the oracle took only ${actions.length} actions; at least 4 are needed to test snapshots`)) {
    return findings.outcome('snapshot', '')
  }
  const decode = (bytes: Uint8Array): Snapshot => runtime.snapshotContent(bytes)

  // Mid-episode: a restored copy and a fork continue exactly like the original.
  const { episode: original } = await runtime.reset(envId, options)
  const half = Math.floor(actions.length / 2)
  for (const action of actions.slice(0, half)) await original.step(action)
  const restored = runtime.restore(await original.snapshot())
  const forked = await original.fork()
  for (const [name, copy] of [['restored', restored], ['forked', forked]] as const) {
    findings.expect(copy.committedState === original.committedState && copy.stepCount === half && copy.status === 'running' &&
      copy.envId === envId && copy.seed === original.seed && copy.difficulty === original.difficulty && copy.maxSteps === original.maxSteps,
    () => `the ${name} copy does not start where the original is`)
  }
  findings.expect(isDeepStrictEqual(await restored.observe(), await original.observe()), () => 'the restored copy observes something else')
  for (const [index, action] of actions.slice(half).entries()) {
    const [a, b, c] = await Promise.all([original.step(action), restored.step(action), forked.step(action)])
    const step = half + index + 1
    findings.expect(isDeepStrictEqual(b, a) && restored.committedState === original.committedState, () => `step ${step}: the restored copy answers differently`)
    findings.expect(isDeepStrictEqual(c, a) && forked.committedState === original.committedState, () => `step ${step}: the fork answers differently`)
    if (findings.count > 0) break
  }
  findings.expect(original.status === 'terminated' && restored.status === 'terminated' && forked.status === 'terminated',
    () => `after the oracle's actions the episodes are ${original.status}, ${restored.status}, ${forked.status}, not terminated`)
  findings.expect(isDeepStrictEqual(decode(await restored.snapshot()), decode(await original.snapshot())), () => 'the final snapshots of the original and the restored copy differ')

  // Copies are independent.
  const { episode: source } = await runtime.reset(envId, options)
  await source.step(actions[0])
  const fork = await source.fork()
  const copy = runtime.restore(await source.snapshot())
  const before = source.committedState
  await fork.step(actions.at(-1))
  for (const action of actions.slice(1, 4)) await copy.step(action)
  findings.expect(source.committedState === before && source.stepCount === 1 && source.status === 'running', () => 'stepping a fork or a restored copy changed the original')
  fork.close()
  findings.expect(source.status === 'running', () => 'closing a fork closed the original')

  // An ended episode restores as ended.
  for (const end of ['terminated', 'truncated'] as const) {
    const { episode } = await runtime.reset(envId, end === 'truncated' ? { ...options, maxSteps: 2 } : options)
    if (end === 'terminated') await episode.step(actions.at(-1))
    else for (const action of actions.slice(0, 2)) await episode.step(action)
    if (!findings.expect(episode.status === end, () => `the episode is ${episode.status}, not ${end}, after the oracle's ${end === 'terminated' ? 'last action' : 'first two actions'}`)) continue
    const back = runtime.restore(await episode.snapshot())
    findings.expect(back.status === end && back.stepCount === episode.stepCount, () => `a ${end} episode restores as ${back.status} at step ${back.stepCount}`)
    const refused = await back.step(actions[0]).then(() => false, (error: unknown) => error instanceof CodeGymError && error.code === 'episode_ended')
    findings.expect(refused, () => `a restored ${end} episode takes steps`)
    findings.expect(isDeepStrictEqual(await back.observe(), await episode.observe()), () => `a restored ${end} episode observes something else`)
    findings.expect((await episode.fork()).status === end, () => `a fork of a ${end} episode is not ${end}`)
  }
  return findings.outcome('snapshot', `restore and fork at step ${half} of ${actions.length} continue identically`)
}
