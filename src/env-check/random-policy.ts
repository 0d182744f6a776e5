// A seeded random agent for the env checker: mostly plausible tool calls built from the tools'
// parameter schemas and the values seen in observations, mixed with invalid ones, Observe, unknown
// tools and malformed actions. The same seed always gives the same actions for the same observations.
import type { JsonValue, StepResult } from '../schemas/env.generated.ts'
import type { PolicyMove } from '../sandbox/policy-runner.ts'
import { doneToolName, observeToolName } from '../contract/builtin-tools.ts'
import type { EnvSpec } from '../env/package.ts'
import type { Policy } from './play.ts'
import { seededRandom } from '../seeded-random.ts'
import type { JsonSchemaSubset as Schema } from '../contract/json-schema-subset.ts'

export interface RandomPolicyOptions {
  /**
   * After this many actions the policy submits a random answer with Done; without it, the policy
   * never calls Done and the episode runs until it is truncated.
   */
  doneAfter?: number
}

/** How many recent numbers and strings from observations the agent remembers. */
const maxRemembered = 64

const malformedActions: readonly unknown[] = [
  null,
  'Observe',
  42,
  [],
  { parameters: {} },
  { name: '' },
  { name: 'Observe', parameters: [] },
  { name: 'Observe', parameters: null },
  { name: 7, parameters: {} },
  { name: 'Observe', parameters: {}, extra: true },
]

export function randomPolicy (spec: EnvSpec, seed: number, options: RandomPolicyOptions = {}): Policy {
  const random = seededRandom(seed)
  const chance = (p: number): boolean => random() < p
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1))
  const envTools = spec.manifest.tools
  const answerSchema = spec.manifest.answer as Schema
  const numbers: number[] = [0, 1, 2]
  const strings: string[] = ['a']
  let taken = 0

  const remember = (value: JsonValue | undefined, depth = 0): void => {
    if (depth > 4 || value === undefined || value === null) return
    if (typeof value === 'number') numbers.push(value)
    else if (typeof value === 'string' && value.length <= 200 && !value.startsWith('Error:')) strings.push(value)
    else if (Array.isArray(value)) for (const item of value.slice(0, 16)) remember(item, depth + 1)
    else if (typeof value === 'object') for (const item of Object.values(value).slice(0, 16)) remember(item as JsonValue, depth + 1)
    if (numbers.length > maxRemembered) numbers.splice(0, numbers.length - maxRemembered)
    if (strings.length > maxRemembered) strings.splice(0, strings.length - maxRemembered)
  }

  const integer = (schema: Schema): number => {
    const low = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : undefined)
    const high = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : undefined)
    const seen = numbers.filter(Number.isInteger)
    let value = chance(0.5) && seen.length > 0 ? pick(seen) + pick([0, 0, 0, 1, -1]) : int(-2, 12)
    if (chance(0.05)) value = pick([-1, 1_000_000, -1_000_000])
    if (low !== undefined && high !== undefined && chance(0.8)) value = int(low, Math.min(high, low + 1000))
    return value
  }

  const text = (schema: Schema): string => {
    const seen = strings.filter((s) => s.length > 0)
    let value: string
    if (chance(0.4) && seen.length > 0) value = pick(seen)
    else if (chance(0.5) && seen.length > 0) value = pick(seen).charAt(int(0, pick(seen).length - 1)) || 'a'
    else value = pick(['', 'a', 'b', 'z', '0', '(', ']', ' ', 'ab', 'hello', 'A', '-'])
    const min = schema.minLength ?? 0
    const max = schema.maxLength ?? Infinity
    if (chance(0.9)) {
      while (value.length < min) value += 'a'
      if (value.length > max) value = value.slice(0, max)
    }
    return value
  }

  // valid: aim for a value the schema accepts; the schema may still refuse it (patterns, formats).
  const value = (schema: Schema | undefined, depth = 0): JsonValue => {
    if (schema === undefined || depth > 4) return pick([0, 'a', true, null])
    if (schema.const !== undefined) return schema.const
    if (schema.enum !== undefined && schema.enum.length > 0) return pick(schema.enum)
    const branches = schema.anyOf ?? schema.oneOf
    if (branches !== undefined && branches.length > 0) return value(pick(branches), depth + 1)
    const type = Array.isArray(schema.type) ? pick(schema.type) : schema.type
    switch (type) {
      case 'integer': return integer(schema)
      case 'number': return chance(0.5) ? integer(schema) : Math.round(random() * 2000) / 100 - 5
      case 'boolean': return chance(0.5)
      case 'string': return text(schema)
      case 'null': return null
      case 'array': {
        const min = schema.minItems ?? 0
        const length = Math.max(min, Math.min(schema.maxItems ?? 6, int(0, 6)))
        return Array.from({ length }, () => value(schema.items, depth + 1))
      }
      case 'object': return object(schema, depth + 1)
      default: return pick([0, 'a', true, null, []])
    }
  }

  const object = (schema: Schema, depth = 0): Record<string, JsonValue> => {
    const result: Record<string, JsonValue> = {}
    const required = new Set(schema.required ?? [])
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      if (required.has(name) || chance(0.6)) result[name] = value(property, depth)
    }
    return result
  }

  // Wrong on purpose: a missing or mistyped parameter, or one the schema does not declare.
  const invalidParameters = (schema: Schema): unknown => {
    const parameters: Record<string, unknown> = object(schema)
    const names = Object.keys(schema.properties ?? {})
    const choice = int(0, 3)
    if (choice === 0 && names.length > 0) delete parameters[pick(names)]
    else if (choice === 1 && names.length > 0) parameters[pick(names)] = pick<unknown>(['x', 1.5, -3, [], {}, null, true])
    else if (choice === 2) parameters['unexpected'] = 1
    else return pick<unknown>([[], 'x', 3, null])
    return parameters
  }

  const move = (): PolicyMove => {
    taken++
    if (options.doneAfter !== undefined && taken > options.doneAfter) {
      return { action: { name: doneToolName, parameters: { answer: value(answerSchema) } } }
    }
    const roll = random()
    if (roll < 0.1 || envTools.length === 0) return { action: { name: observeToolName, parameters: {} } }
    if (roll < 0.15) return { action: pick(malformedActions) }
    if (roll < 0.2) return { action: { name: pick(['Nope', 'observe', 'done', 'constructor', '__proto__', 'toString']), parameters: {} } }
    const tool = pick(envTools)
    const schema = tool.parameters as Schema
    if (roll < 0.3) return { action: { name: tool.name, parameters: invalidParameters(schema) } }
    return { action: { name: tool.name, parameters: object(schema) } }
  }

  return {
    start: (reset) => {
      remember(reset.observation)
      return move()
    },
    next: (result: StepResult) => {
      remember(result.observation)
      return move()
    },
  }
}
