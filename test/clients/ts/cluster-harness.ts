// Shared by the cluster tests: scripted episodes with fixed actions, and their reference run in
// process (src/env/runtime.ts, no network, no faults) to compare every cluster run against.
import { Runtime } from '../../../src/env/runtime.ts'
import type { ResetOptions, StepResult } from '../../../src/schemas/protocol.generated.ts'
import type { CodeGymCluster } from '../../../clients/ts/cluster.ts'
import { exampleEnvDirs } from '../../helpers/envs.ts'

export const maxSubarray = 'codegym/max-subarray-v1'

export interface ScriptedEpisode {
  options: ResetOptions
  actions: Array<Record<string, unknown>>
}

/**
 * Actions of episode `index`, step n: valid tools, bad indexes and bad parameters (rolled back),
 * unknown tools and Observe — every kind of result a replay must reproduce.
 */
export function scriptedAction (index: number, n: number): Record<string, unknown> {
  const k = n + index * 3
  switch (k % 6) {
    case 0: return { name: 'GetLength' }
    case 1: return { name: 'GetElement', parameters: { index: (k * 7) % 12 - 1 } }
    case 2: return { name: 'ExtendOrRestart', parameters: { previous_sum: k % 13 - 6, element: k % 7 - 3 } }
    case 3: return { name: 'UpdateBest', parameters: { best: k % 11, candidate: k % 17 - 8 } }
    case 4: return { name: 'Observe' }
    default: return { name: k % 2 === 0 ? 'Teleport' : 'GetElement', parameters: k % 2 === 0 ? {} : { index: 'x' } }
  }
}

/** Episode `index`: a seeded or a fixed task, `steps` scripted actions (well under maxSteps), then Done. */
export function scriptedEpisode (index: number, steps: number): ScriptedEpisode {
  const options: ResetOptions = index % 3 === 0 ? { task: 'mixed-small' } : { seed: 5000 + index, difficulty: index % 2 === 0 ? 'easy' : 'medium' }
  const actions = Array.from({ length: steps }, (_, n) => scriptedAction(index, n))
  // The last action submits an answer: right for the fixed task (its maximum sum is 6), a guess otherwise.
  actions.push({ name: 'Done', parameters: { answer: index % 3 === 0 ? 6 : index } })
  return { options, actions }
}

export interface PlayedEpisode {
  observation: unknown
  results: StepResult[]
}

/** The episodes run in process, without a server: what every cluster run must reproduce. */
export async function referenceRun (episodes: readonly ScriptedEpisode[]): Promise<PlayedEpisode[]> {
  const runtime = await Runtime.create({ envDirs: exampleEnvDirs, sandbox: { workers: 1 } })
  try {
    const played: PlayedEpisode[] = []
    for (const { options, actions } of episodes) {
      const { episode, observation } = await runtime.reset(maxSubarray, options)
      const results: StepResult[] = []
      for (const action of actions) results.push(await episode.step(action))
      episode.close()
      played.push({ observation, results })
    }
    return played
  } finally {
    await runtime.close()
  }
}

/**
 * Plays every episode through the cluster, all at once, one action at a time each; `afterStep` is
 * called after each acknowledged step (to inject faults mid-run).
 */
export async function clusterRun (cluster: CodeGymCluster, episodes: readonly ScriptedEpisode[], afterStep: (total: number) => void | Promise<void> = () => {}): Promise<PlayedEpisode[]> {
  let total = 0
  // Every session is placed before any steps, so a fault mid-run finds sessions on every server.
  const sessions = await Promise.all(episodes.map(({ options }) => cluster.reset(maxSubarray, options)))
  return Promise.all(episodes.map(async ({ actions }, index) => {
    const session = sessions[index]!
    const results: StepResult[] = []
    for (const action of actions) {
      results.push(await session.step(action))
      await afterStep(++total)
    }
    await session.close()
    return { observation: session.resetResult.observation, results }
  }))
}
