// Policies the env tests drive episodes with: an env's own oracle (sandboxed), and seeded random actions.
import type { Episode } from '../../src/env/episode.ts'
import { playEpisode, type PlayedEpisode, type Policy } from '../../src/env/play.ts'
import type { EnvSpec } from '../../src/env/package.ts'
import { PolicySandbox, type PolicyMove } from '../../src/sandbox/policy-runner.ts'
import type { ResetResult, StepResult } from '../../src/schemas/env.generated.ts'

export interface RecordedEpisode extends PlayedEpisode {
  /** The actions taken, in order. */
  actions: unknown[]
  /** The committed state after each step. */
  states: string[]
}

/** Plays an episode with a policy, recording its actions and the committed state after every step. */
export async function playRecorded (episode: Episode, reset: ResetResult, policy: Policy): Promise<RecordedEpisode> {
  const actions: unknown[] = []
  const states: string[] = []
  const record = (move: PolicyMove): PolicyMove => {
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

/** The env's oracle.js, run in its own isolate. */
export function oraclePolicy (spec: EnvSpec): PolicySandbox {
  if (spec.oracleSource === undefined) throw new Error(`${spec.manifest.id} has no oracle.js`)
  return new PolicySandbox(spec.oracleSource)
}

/** mulberry32: a small seeded generator for test inputs. */
export function testRng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

type Schema = { type?: string, properties?: Record<string, Schema>, required?: string[] }

/** A value for a parameter schema: often valid, sometimes out of range, so that failures happen too. */
function randomValue (schema: Schema, random: () => number): unknown {
  switch (schema.type) {
    case 'integer': return Math.floor(random() * 40) - 5
    case 'number': return Math.floor(random() * 400) / 10 - 5
    case 'boolean': return random() < 0.5
    case 'string': return '()[]{}ab'.charAt(Math.floor(random() * 8))
    case 'array': return []
    default: return null
  }
}

/** Random tool calls from the env's own tool list (Done left out), reproducible from the seed. */
export function randomPolicy (spec: EnvSpec, seed: number, steps: number): Policy {
  const random = testRng(seed)
  const tools = spec.tools.filter((tool) => tool.name !== 'Done')
  let left = steps
  const move = (): PolicyMove => {
    if (left-- <= 0) return { finished: true }
    const tool = tools[Math.floor(random() * tools.length)]!
    const parameters: Record<string, unknown> = {}
    const schema = tool.parameters as Schema
    for (const [name, property] of Object.entries(schema.properties ?? {})) parameters[name] = randomValue(property, random)
    return { action: { name: tool.name, parameters } }
  }
  return { start: move, next: (_result: StepResult) => move() }
}
