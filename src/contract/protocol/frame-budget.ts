// A frame's structural cost, measured on its bytes before any object is built: how many values it
// holds (map keys included), how deep it nests and how many bytes its strings hold. A decoder builds
// one object per value, so a 1 MiB frame of empty maps is a million objects (tens of MiB of heap,
// and a blocked event loop); measured first, such a frame costs one pass over its bytes and nothing
// else. The MessagePack scan also refuses what the plain-data decoder would otherwise change
// silently: map keys that are not strings (msgpackr turns 1 into "1"), and a "__proto__" key.
import { maxPlainDataDepth } from '../plain-data.ts'

export interface FrameBudget {
  /** Values in one frame, map keys and containers included. */
  maxFrameElements: number
  /** Bytes of all strings (keys included) in one frame, as encoded. */
  maxFrameStringBytes: number
}

/** Why a frame is refused before it is decoded. */
export class FrameBudgetError extends Error {
  /** over_budget: a cost limit; malformed: bytes a decoder would refuse or change. */
  readonly kind: 'over_budget' | 'malformed'
  constructor (kind: 'over_budget' | 'malformed', message: string) {
    super(message)
    this.kind = kind
  }
}

const prototypeKey = Buffer.from('__proto__')
/** msgpackr's extension type for typed arrays ("t"), which a msgpackr client with default options may send for a Uint8Array. */
const typedArrayExtension = 0x74

/**
 * Walks MessagePack bytes without decoding them; throws FrameBudgetError when the frame is over
 * budget, nests deeper than maxPlainDataDepth, holds an extension type, a non-string map key or a
 * "__proto__" key, or is cut short. Trailing bytes are left to the decoder to report.
 */
export function checkMsgpackBudget (bytes: Uint8Array, budget: FrameBudget): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const end = bytes.byteLength
  let offset = 0
  let elements = 0
  let stringBytes = 0
  // For each open container: values still to read, and whether the next one is a map key.
  const remaining: number[] = []
  const isMap: boolean[] = []
  const keyNext: boolean[] = []
  const need = (count: number): void => {
    if (offset + count > end) throw new FrameBudgetError('malformed', 'the MessagePack data ends in the middle of a value')
  }
  const open = (count: number, map: boolean): void => {
    if (remaining.length >= maxPlainDataDepth) throw new FrameBudgetError('malformed', `the message nests deeper than ${maxPlainDataDepth} levels`)
    const values = map ? count * 2 : count
    // Every value takes at least one byte: a header that promises more than the frame holds is a lie.
    if (values > end - offset) throw new FrameBudgetError('malformed', `a ${map ? 'map' : 'array'} header promises ${count} entries in a frame of ${end} bytes`)
    if (elements + values > budget.maxFrameElements) overBudget(elements + values)
    if (values === 0) return
    remaining.push(values)
    isMap.push(map)
    keyNext.push(map)
  }
  const overBudget = (count: number): never => {
    throw new FrameBudgetError('over_budget', `the frame holds at least ${count} values (map keys included); the limit is maxFrameElements = ${budget.maxFrameElements}`)
  }
  do {
    const depth = remaining.length
    const asKey = depth > 0 && keyNext[depth - 1] === true
    if (depth > 0) {
      remaining[depth - 1]!--
      if (isMap[depth - 1] === true) keyNext[depth - 1] = !asKey
    }
    need(1)
    const type = view.getUint8(offset++)
    elements++
    if (elements > budget.maxFrameElements) overBudget(elements)
    let stringLength = -1
    if (type <= 0x7f || type >= 0xe0) { /* fixint */ } else if (type <= 0x8f) open(type & 0x0f, true)
    else if (type <= 0x9f) open(type & 0x0f, false)
    else if (type <= 0xbf) stringLength = type & 0x1f
    else {
      switch (type) {
        case 0xc0: case 0xc2: case 0xc3: break
        case 0xc4: need(1); skip(view.getUint8(offset), 1); break
        case 0xc5: need(2); skip(view.getUint16(offset), 2); break
        case 0xc6: need(4); skip(view.getUint32(offset), 4); break
        case 0xca: need(4); offset += 4; break
        case 0xcb: case 0xcf: case 0xd3: need(8); offset += 8; break
        case 0xcc: case 0xd0: need(1); offset += 1; break
        case 0xcd: case 0xd1: need(2); offset += 2; break
        case 0xce: case 0xd2: need(4); offset += 4; break
        case 0xd9: need(1); stringLength = view.getUint8(offset); offset += 1; break
        case 0xda: need(2); stringLength = view.getUint16(offset); offset += 2; break
        case 0xdb: need(4); stringLength = view.getUint32(offset); offset += 4; break
        case 0xdc: need(2); offset += 2; open(view.getUint16(offset - 2), false); break
        case 0xdd: need(4); offset += 4; open(view.getUint32(offset - 4), false); break
        case 0xde: need(2); offset += 2; open(view.getUint16(offset - 2), true); break
        case 0xdf: need(4); offset += 4; open(view.getUint32(offset - 4), true); break
        case 0xc7: need(1); extension(view.getUint8(offset), 1); break
        case 0xc8: need(2); extension(view.getUint16(offset), 2); break
        case 0xc9: need(4); extension(view.getUint32(offset), 4); break
        case 0xd4: extension(1, 0); break
        case 0xd5: extension(2, 0); break
        case 0xd6: extension(4, 0); break
        case 0xd7: extension(8, 0); break
        case 0xd8: extension(16, 0); break
        default: throw new FrameBudgetError('malformed', 'the byte 0xc1 is never used in MessagePack')
      }
    }
    if (asKey && stringLength < 0) throw new FrameBudgetError('malformed', `map keys must be strings; this one has MessagePack type byte 0x${type.toString(16)}`)
    if (stringLength >= 0) {
      need(stringLength)
      stringBytes += stringLength
      if (stringBytes > budget.maxFrameStringBytes) {
        throw new FrameBudgetError('over_budget', `the frame's strings hold more than maxFrameStringBytes = ${budget.maxFrameStringBytes} bytes`)
      }
      if (asKey && stringLength === prototypeKey.length && prototypeKey.equals(bytes.subarray(offset, offset + stringLength))) {
        throw new FrameBudgetError('malformed', 'a map key "__proto__" is not accepted')
      }
      offset += stringLength
    }
    while (remaining.length > 0 && remaining[remaining.length - 1] === 0) {
      remaining.pop()
      isMap.pop()
      keyNext.pop()
    }
  } while (remaining.length > 0)

  /** Only msgpackr's typed-array extension is read, as bytes (plain-data.ts refuses any but Uint8Array). */
  function extension (length: number, header: number): void {
    offset += header
    need(1)
    const extensionType = view.getUint8(offset)
    if (extensionType !== typedArrayExtension) throw new FrameBudgetError('malformed', `MessagePack extension type ${extensionType} is not plain data`)
    offset += 1
    need(length)
    offset += length
  }

  function skip (length: number, header: number): void {
    offset += header
    need(length)
    offset += length
  }
}

// Byte values used by the JSON scan.
const quote = 0x22
const backslash = 0x5c

/**
 * The same budget for JSON text, counted in one pass over its UTF-8 bytes: each string, number,
 * literal, array and object is one value (keys included). Syntax is left to JSON.parse; on text it
 * accepts, the count is exact.
 */
export function checkJsonBudget (bytes: Uint8Array, budget: FrameBudget): void {
  let elements = 0
  let stringBytes = 0
  let depth = 0
  let expectValue = true
  const end = bytes.byteLength
  for (let offset = 0; offset < end; offset++) {
    const byte = bytes[offset]!
    if (byte === quote) {
      const start = offset + 1
      for (offset = start; offset < end && bytes[offset] !== quote; offset++) if (bytes[offset] === backslash) offset++
      stringBytes += offset - start
      if (stringBytes > budget.maxFrameStringBytes) {
        throw new FrameBudgetError('over_budget', `the frame's strings hold more than maxFrameStringBytes = ${budget.maxFrameStringBytes} bytes`)
      }
      elements++
      expectValue = false
    } else if (byte === 0x5b || byte === 0x7b) { // [ {
      if (++depth > maxPlainDataDepth) throw new FrameBudgetError('malformed', `the message nests deeper than ${maxPlainDataDepth} levels`)
      elements++
      expectValue = true
    } else if (byte === 0x5d || byte === 0x7d) { // ] }
      depth--
      expectValue = false
    } else if (byte === 0x2c || byte === 0x3a) { // , :
      expectValue = true
    } else if (expectValue && (byte === 0x2d || (byte >= 0x30 && byte <= 0x39) || byte === 0x74 || byte === 0x66 || byte === 0x6e)) { // - 0-9 t f n
      elements++
      expectValue = false
    } else {
      continue
    }
    if (elements > budget.maxFrameElements) {
      throw new FrameBudgetError('over_budget', `the frame holds at least ${elements} values (map keys included); the limit is maxFrameElements = ${budget.maxFrameElements}`)
    }
  }
}
