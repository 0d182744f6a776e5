// Drives an episode with a policy until it ends: the loop that oracles, random agents and tests share.
import type { JsonValue, StepResult } from '../schemas/env.generated.ts'
import type { PolicyMove } from '../sandbox/policy-runner.ts'
import type { Episode } from '../env/episode.ts'
import type { ResetResult } from '../schemas/env.generated.ts'

export interface Policy {
  start: (reset: ResetResult) => PolicyMove | Promise<PolicyMove>
  next: (result: StepResult) => PolicyMove | Promise<PolicyMove>
}

export interface PlayedEpisode {
  /** Every step result, in order. */
  steps: StepResult[]
  reward: number
  terminated: boolean
  truncated: boolean
  /** Set when the policy stopped with an error or returned before the episode ended. */
  policyError?: string
  toolCalls: number
  distinctTools: string[]
  observations: JsonValue[]
}

export async function playEpisode (episode: Episode, reset: ResetResult, policy: Policy): Promise<PlayedEpisode> {
  const played: PlayedEpisode = { steps: [], reward: 0, terminated: false, truncated: false, toolCalls: 0, distinctTools: [], observations: [reset.observation] }
  const tools = new Set<string>()
  let move = await policy.start(reset)
  while (true) {
    if ('error' in move) {
      played.policyError = move.error
      break
    }
    if ('finished' in move) {
      played.policyError = 'the policy stopped before the episode ended'
      break
    }
    const result = await episode.step(move.action)
    played.steps.push(result)
    played.observations.push(result.observation)
    played.toolCalls++
    if (result.info.tool !== undefined) tools.add(result.info.tool)
    played.reward += result.reward
    if (result.terminated || result.truncated) {
      played.terminated = result.terminated
      played.truncated = result.truncated
      break
    }
    move = await policy.next(result)
  }
  played.distinctTools = [...tools].sort()
  return played
}

/** An episode played with a policy, with its actions and the committed state after every step. */
export interface RecordedEpisode extends PlayedEpisode {
  actions: unknown[]
  states: string[]
}

export async function playRecorded (episode: Episode, reset: ResetResult, policy: Policy): Promise<RecordedEpisode> {
  const actions: unknown[] = []
  const states: string[] = []
  const record = (move: Awaited<ReturnType<Policy['start']>>): typeof move => {
    if ('action' in move) actions.push(move.action)
    return move
  }
  const played = await playEpisode(episode, reset, {
    start: async (result) => record(await policy.start(result)),
    next: async (result) => {
      states.push(episode.committedState)
      return record(await policy.next(result))
    },
  })
  // next() is not asked after the last step.
  if (states.length < played.steps.length) states.push(episode.committedState)
  return { ...played, actions: actions.slice(0, played.steps.length), states }
}
