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

const packr = new Packr(plainOptions)

/**
 * Encodes plain data, every integer as a MessagePack integer. msgpackr writes a number outside the
 * 32-bit integer range as float64 even when it is a whole number (a seed, a request id), which a
 * strictly typed peer cannot read into an integer field; as a BigInt it writes it as int64.
 */
export const plainPackr = {
  pack: (value: unknown): Buffer => packr.pack(widenLargeIntegers(value)),
}
export const plainUnpackr = new Unpackr(plainOptions)

/** Integers in [-2^31, 2^32) already pack as MessagePack integers. */
const smallestWideInteger = -(2 ** 31)
const largestNarrowInteger = 2 ** 32 - 1

/** Value with every safe integer beyond 32 bits as a BigInt; the value itself when it has none. */
function widenLargeIntegers (value: unknown): unknown {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && (value > largestNarrowInteger || value < smallestWideInteger) ? BigInt(value) : value
  }
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index]
      const widened = widenLargeIntegers(item)
      if (widened !== item) (copy ??= value.slice())[index] = widened
    }
    return copy ?? value
  }
  let copy: Record<string, unknown> | undefined
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key]
    const widened = widenLargeIntegers(item)
    if (widened !== item) (copy ??= { ...value as Record<string, unknown> })[key] = widened
  }
  return copy ?? value
}
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
