// Ready-made policies: the seeded default (random valid calls, then Done) and a turn-by-turn script.
import { seededRandom } from '../../src/seeded-random.ts'
import { testBackendDefaults } from './defaults.ts'
import { hashText, mix, seedHash } from './determinism.ts'
import { schemaObject } from './schema-values.ts'
import type { TestPolicy, TestReply } from './types.ts'

export interface SeededPolicyOptions {
  /** The fewest assistant turns before the policy calls Done (default 2). */
  minTurnsBeforeDone?: number
  /** The most (default 5); each seed picks its own number in between. */
  maxTurnsBeforeDone?: number
  /** The tool that ends an episode (default 'Done'). */
  doneTool?: string
}

/**
 * The built-in policy: on each turn a call to one of the offered tools (Done excluded), with
 * arguments drawn from the tool's parameter schema; from a per-seed turn on, a call to Done. The
 * choice depends on the seed and the whole prompt only; at temperature 0 the seed is ignored.
 */
export function seededPolicy (options: SeededPolicyOptions = {}): TestPolicy {
  const minTurns = options.minTurnsBeforeDone ?? testBackendDefaults.minTurnsBeforeDone
  const maxTurns = options.maxTurnsBeforeDone ?? testBackendDefaults.maxTurnsBeforeDone
  const doneTool = options.doneTool ?? 'Done'
  if (!Number.isInteger(minTurns) || !Number.isInteger(maxTurns) || minTurns < 0 || maxTurns < minTurns) {
    throw new RangeError(`seededPolicy: need integers 0 <= minTurnsBeforeDone (${minTurns}) <= maxTurnsBeforeDone (${maxTurns})`)
  }
  return (input) => {
    const seed = input.temperature === 0 ? 0 : input.seed
    const doneTurn = minTurns + (mix(seedHash(seed), 0xd0e) % (maxTurns - minTurns + 1))
    const random = seededRandom(mix(seedHash(seed), hashText(input.promptText)))
    const done = input.tools.find((tool) => tool.name === doneTool)
    const others = input.tools.filter((tool) => tool !== done)
    const tool = (done !== undefined && (input.turn >= doneTurn || others.length === 0))
      ? done
      : others[Math.floor(random() * others.length)]
    if (tool === undefined) return { kind: 'text', text: 'There is no tool to call.' }
    return { kind: 'call', name: tool.name, arguments: schemaObject(tool.parameters, random) }
  }
}

/**
 * Replies by turn: `script[turn]` on the request whose prompt holds `turn` assistant turns. Past
 * the end, `after` answers (a fixed reply or a policy); without it, a 500 that says the script ran out.
 */
export function scriptedPolicy (script: readonly TestReply[], after?: TestReply | TestPolicy): TestPolicy {
  return (input) => {
    const reply = script[input.turn]
    if (reply !== undefined) return reply
    if (typeof after === 'function') return after(input)
    return after ?? { kind: 'http_error', status: 500, message: `scripted policy: no reply for turn ${input.turn} (the script has ${script.length})` }
  }
}

/** Malformed calls a model might write, as text replies: one per way a call can be wrong. */
export const malformedCallReplies: Readonly<Record<'hermes' | 'paper', readonly TestReply[]>> = Object.freeze({
  hermes: [
    { kind: 'text', text: 'I will look around first.' },
    { kind: 'text', text: '<tool_call>\n{"name": "Observe", "arguments": {}}' },
    { kind: 'text', text: '<tool_call>\n{"name": "Observe", "arguments": {}\n</tool_call>' },
    { kind: 'text', text: '<tool_call>\n{"arguments": {}}\n</tool_call>' },
    { kind: 'text', text: '<tool_call>\n{"name": "Observe", "arguments": []}\n</tool_call>' },
    { kind: 'text', text: '<tool_call>\n{"name": "Observe", "arguments": {}}\n</tool_call><tool_call>\n{"name": "Observe", "arguments": {}}\n</tool_call>' },
  ],
  paper: [
    { kind: 'text', text: 'I will look around first.' },
    { kind: 'text', text: '{"name": "Observe", "parameters": {}' },
    { kind: 'text', text: '{"name": "Observe", "parameters": {},}' },
    { kind: 'text', text: '{"parameters": {}}' },
    { kind: 'text', text: '{"name": "Observe", "parameters": "none"}' },
    { kind: 'text', text: '{"name": "Observe", "parameters": {}}\n{"name": "Observe", "parameters": {}}' },
  ],
})
