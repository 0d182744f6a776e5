// random-actions: a seeded random agent (valid, invalid and malformed calls) never makes the env
// itself fail, and every episode ends with Done or is truncated at T_max.
import { observeToolName } from '../../contract/builtin-tools.ts'
import type { RollbackCode, StepResult } from '../../schemas/env.generated.ts'
import type { CheckContext } from '../context.ts'
import { Findings, messageOf } from '../findings.ts'
import { playEpisode, type PlayedEpisode } from '../play.ts'
import { randomPolicy } from '../random-policy.ts'
import type { CheckOutcome } from '../types.ts'

const randomSeedBase = 1000
/** Rollback codes that mean the env itself broke, not that the agent erred. */
const envFailureCodes: ReadonlySet<RollbackCode> = new Set<RollbackCode>(['cpu_time_limit', 'wall_time_limit', 'memory_limit', 'not_json', 'state_too_large', 'observation_too_large', 'sandbox_crashed'])
/**
 * Tool errors an env should never let an agent see: V8's own messages for bugs in env code, and
 * what a thrown non-Error turns into. A tool meant to fail throws an Error with a useful message.
 */
const envBugMessages: readonly RegExp[] = [
  /^ReferenceError: /,
  /^TypeError: (Cannot read properties of|Cannot set properties of|.* is not a function|.* is not iterable|Cannot convert undefined or null)/,
  /^RangeError: (Maximum call stack size exceeded|Invalid array length)/,
  /^(undefined|null|\[object Object\]|)$/,
  /^the env threw a value that cannot be shown$/,
]

/** A step whose failure is the env's fault: sandbox limits, Observe failing, or a bug's message. */
function isEnvFailure (step: StepResult): boolean {
  const error = step.info.error
  if (!step.info.rolledBack || error === undefined) return false
  if (envFailureCodes.has(error.code)) return true
  if (error.code !== 'tool_error') return false
  if (step.info.tool === observeToolName) return true
  return envBugMessages.some((pattern) => pattern.test(error.message))
}

export async function checkRandomActions (context: CheckContext): Promise<CheckOutcome> {
  const findings = new Findings()
  let steps = 0
  for (const [index] of context.seeds.entries()) {
    const seed = randomSeedBase + index
    const difficulty = context.difficulties[index % context.difficulties.length]!
    const { episode, ...reset } = await context.runtime.reset(context.envId, { seed, difficulty })
    // Every other episode ends with a random Done somewhere in its first half; the rest run to T_max.
    const doneAfter = index % 2 === 1 ? 1 + ((seed * 7919) % Math.max(1, Math.floor(episode.maxSteps / 2))) : undefined
    const what = `${difficulty} seed ${seed}`
    let played: PlayedEpisode
    try {
      const policy = randomPolicy(context.spec, seed, doneAfter === undefined ? {} : { doneAfter })
      // The first env failure is the finding; playing on would only add more (a looping tool costs its whole time limit each time).
      played = await playEpisode(episode, reset, { start: policy.start, next: (result) => isEnvFailure(result) ? { finished: true } : policy.next(result) })
    } catch (error) {
      findings.add(`${what}: the episode failed: ${messageOf(error)}`)
      continue
    }
    steps += played.steps.length
    const bad = played.steps.find((step) => isEnvFailure(step))
    if (bad !== undefined) {
      findings.add(`${what}, step ${bad.info.step}: ${bad.info.tool ?? 'the action'} failed with ${bad.info.error?.code ?? '?'}: ${bad.info.error?.message ?? ''}`)
      continue
    }
    const ended = played.terminated || (played.truncated && played.steps.length === episode.maxSteps)
    findings.expect(ended, () => `${what}: the episode neither ended with Done nor was truncated at T_max=${episode.maxSteps} (${played.steps.length} steps${played.policyError !== undefined ? `; ${played.policyError}` : ''})`)
    await episode.observe().catch((error: unknown) => findings.add(`${what}: observe() failed at the end: ${messageOf(error)}`))
  }
  return findings.outcome('random-actions', `${context.seeds.length} random episodes, ${steps} actions, no env failure`)
}
