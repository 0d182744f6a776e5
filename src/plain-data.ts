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
/** The one key a plain object may not have: assigning it replaces the object's prototype. */
const prototypeKey = '__proto__'

/** Deepest nesting accepted in decoded data. */
export const maxPlainDataDepth = 64

/**
 * True when value is JSON-shaped: null, booleans, finite numbers, strings, arrays and plain
 * objects only (and byte arrays, where allowed: MessagePack bin). Decoders can produce Dates,
 * typed arrays, Maps, BigInts or objects with a replaced prototype from crafted bytes.
 */
export function isPlainData (value: unknown, allowBytes = false, depth = 0): boolean {
  switch (typeof value) {
    case 'string': case 'boolean': return true
    case 'number': return Number.isFinite(value)
    case 'object': break
    default: return false
  }
  if (value === null) return true
  if (allowBytes && value instanceof Uint8Array) return true
  if (depth >= maxPlainDataDepth) return false
  if (Array.isArray(value)) return value.every((item) => isPlainData(item, allowBytes, depth + 1))
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return false
  for (const key in value) {
    // JSON.parse makes "__proto__" an own property; a later Object.assign would make it the prototype.
    if (key === prototypeKey) return false
    if (!isPlainData((value as Record<string, unknown>)[key], allowBytes, depth + 1)) return false
  }
  return true
}
