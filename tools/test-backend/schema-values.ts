// Values a JSON Schema accepts, drawn from a seeded generator: the arguments of the built-in
// policy's calls. Covers the keywords tool schemas use (type, enum, const, ranges, lengths,
// items, properties/required, anyOf/oneOf); anything else gets a plain value of the named type.
import type { JsonSchemaSubset as Schema } from '../../src/contract/json-schema-subset.ts'

/** How deep nested arrays and objects go before the generator stops adding to them. */
const maxDepth = 4
const words = ['a', 'b', 'ab', 'abc', 'x', 'hello', '0', '42']

export function schemaValue (schema: object | undefined, random: () => number, depth = 0): unknown {
  const s = (schema ?? {}) as Schema
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1))
  if (s.const !== undefined) return s.const
  if (s.enum !== undefined && s.enum.length > 0) return pick(s.enum)
  const branches = s.anyOf ?? s.oneOf
  if (branches !== undefined && branches.length > 0) return schemaValue(pick(branches), random, depth + 1)
  const type = Array.isArray(s.type) ? pick(s.type) : s.type
  switch (type) {
    case 'integer':
    case 'number': {
      const low = Math.ceil(s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 0))
      const high = Math.floor(s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : low + 999))
      return int(low, Math.max(low, high))
    }
    case 'boolean': return random() < 0.5
    case 'null': return null
    case 'string': {
      let text = pick(words)
      while (text.length < (s.minLength ?? 0)) text += 'a'
      return text.slice(0, s.maxLength ?? text.length)
    }
    case 'array': {
      const min = s.minItems ?? 0
      const length = depth >= maxDepth ? min : int(min, Math.max(min, Math.min(s.maxItems ?? 5, min + 5)))
      return Array.from({ length }, () => schemaValue(s.items, random, depth + 1))
    }
    case 'object': return schemaObject(s, random, depth + 1)
    default: return s.properties !== undefined ? schemaObject(s, random, depth + 1) : int(0, 999)
  }
}

/** An object with every required property and each optional one half of the time. */
export function schemaObject (schema: object | undefined, random: () => number, depth = 0): Record<string, unknown> {
  const s = (schema ?? {}) as Schema
  const required = new Set(s.required ?? [])
  const result: Record<string, unknown> = {}
  for (const [name, property] of Object.entries(s.properties ?? {})) {
    if (required.has(name) || (depth < maxDepth && random() < 0.5)) result[name] = schemaValue(property, random, depth)
  }
  return result
}
