// determinism: the same seed gives the same episode (oracle and random policies, twice each), and
// different seeds give different tasks.
import { isDeepStrictEqual } from 'node:util'
import type { ResetOptions } from '../../schemas/env.generated.ts'
import type { CheckContext, PlayedForCheck } from '../context.ts'
import { Findings } from '../findings.ts'
import type { Policy } from '../play.ts'
import { randomPolicy } from '../random-policy.ts'
import type { CheckOutcome } from '../types.ts'

/** Seeds and step counts; fixed so that a report can be reproduced. */
const determinismSeed = 20250917
const sameTaskSeed = 99
/** Random episodes here are truncated (the random-actions check runs to T_max). */
const determinismRandomSteps = 64
/** Seeds drawn at the hardest difficulty; at least two distinct tasks must come out. */
const distinctTaskSeeds = 8

/** The first step index at which two recorded episodes differ, described; undefined when equal. */
function firstDifference (a: PlayedForCheck, b: PlayedForCheck): string | undefined {
  if (!isDeepStrictEqual(a.reset, b.reset)) return 'the reset results differ'
  if (a.initial !== b.initial) return 'the initial states differ'
  const length = Math.max(a.steps.length, b.steps.length)
  for (let i = 0; i < length; i++) {
    if (!isDeepStrictEqual(a.actions[i], b.actions[i])) return `step ${i + 1}: the policy chose different actions`
    if (!isDeepStrictEqual(a.steps[i], b.steps[i])) return `step ${i + 1}: different results (${JSON.stringify(a.steps[i]?.observation)} vs ${JSON.stringify(b.steps[i]?.observation)})`
    if (a.states[i] !== b.states[i]) return `step ${i + 1}: different committed states`
  }
  return undefined
}

export async function checkDeterminism (context: CheckContext): Promise<CheckOutcome> {
  const findings = new Findings()
  const oracle = context.oracle()
  const { difficulties, runtime, envId } = context
  for (const difficulty of difficulties) {
    const policies: Array<['oracle' | 'random', () => Policy, ResetOptions]> = [
      ['oracle', () => oracle, { seed: determinismSeed, difficulty }],
      ['random', () => randomPolicy(context.spec, 7), { seed: determinismSeed, difficulty, maxSteps: determinismRandomSteps }],
    ]
    for (const [name, policy, options] of policies) {
      const first = await context.play(options, policy())
      const second = await context.play(options, policy())
      const difference = firstDifference(first, second)
      findings.expect(difference === undefined, () => `${difficulty} seed ${determinismSeed}, ${name} policy, two runs: ${difference ?? ''}`)
      if (name === 'random') {
        findings.expect(first.truncated && first.steps.length === determinismRandomSteps,
          () => `${difficulty} random policy: ${first.steps.length} of ${determinismRandomSteps} actions taken before the episode ended`)
      }
    }
  }
  const hardest = difficulties.at(-1)!
  const configs = new Set<string>()
  for (let seed = 1; seed <= distinctTaskSeeds; seed++) {
    const { episode } = await runtime.reset(envId, { seed, difficulty: hardest })
    configs.add(JSON.stringify(runtime.snapshotContent(await episode.snapshot()).config))
    episode.close()
  }
  findings.expect(configs.size > 1, () => `${distinctTaskSeeds} seeds at ${hardest} gave ${configs.size} distinct task: the generator ignores its seed`)
  const a = await runtime.reset(envId, { seed: sameTaskSeed })
  const b = await runtime.reset(envId, { seed: sameTaskSeed })
  findings.expect(a.episode.committedState === b.episode.committedState && isDeepStrictEqual(a.info, b.info) && isDeepStrictEqual(a.observation, b.observation),
    () => `two resets with seed ${sameTaskSeed} gave different episodes`)
  return findings.outcome('determinism', `oracle and random runs repeat exactly on ${difficulties.length} difficulties; ${configs.size} tasks from ${distinctTaskSeeds} seeds`)
}
