// MessagePack for untrusted bytes: plain data in, plain data out, nothing exotic in between.
import { Packr, Unpackr } from 'msgpackr'

const plainOptions = {
  useRecords: false,
  moreTypes: false,
  structuredClone: false,
  mapsAsObjects: true,
  int64AsType: 'number',
  useBigIntExtension: false,
} as const

export const plainPackr = new Packr(plainOptions)
export const plainUnpackr = new Unpackr(plainOptions)

/** Deepest nesting accepted in decoded data. */
export const maxPlainDataDepth = 64

/**
 * True when value is JSON-shaped: null, booleans, finite numbers, strings, arrays and plain
 * objects only. Decoders can produce Dates, typed arrays, Maps or BigInts from crafted bytes.
 */
export function isPlainData (value: unknown, depth = 0): boolean {
  switch (typeof value) {
    case 'string': case 'boolean': return true
    case 'number': return Number.isFinite(value)
    case 'object': break
    default: return false
  }
  if (value === null) return true
  if (depth >= maxPlainDataDepth) return false
  if (Array.isArray(value)) return value.every((item) => isPlainData(item, depth + 1))
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return false
  for (const key in value) {
    if (!isPlainData((value as Record<string, unknown>)[key], depth + 1)) return false
  }
  return true
}
