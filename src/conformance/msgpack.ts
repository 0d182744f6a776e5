// MessagePack written from the format specification, for the conformance kit: a strict decoder
// that reports how each number was encoded (a server that sends a whole number as float64 breaks
// typed clients, and a lenient decoder such as msgpackr hides it), and an encoder that writes
// integers in their smallest integer format. Nothing here is shared with the server's codec.

export class MsgpackFormatError extends Error {
  override readonly name = 'MsgpackFormatError'
}

/** A float that holds a whole number, with the JSON Pointer of where it was in the message. */
export interface WholeFloat { readonly path: string, readonly value: number }

export interface StrictDecoded {
  readonly value: unknown
  /** Every float32/float64 that holds a whole number (a typed peer expects an integer there). */
  readonly wholeFloats: readonly WholeFloat[]
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Decodes exactly one MessagePack value that fills the bytes. Throws MsgpackFormatError on the
 * reserved byte 0xc1, extension types, non-string map keys, duplicate keys, invalid UTF-8, integers
 * beyond ±(2^53 − 1), truncated data or trailing bytes. bin decodes to a Uint8Array.
 */
export function decodeStrict (bytes: Uint8Array): StrictDecoded {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const wholeFloats: WholeFloat[] = []
  let offset = 0

  const need = (count: number): number => {
    if (offset + count > bytes.byteLength) throw new MsgpackFormatError(`truncated at byte ${offset}: ${count} more bytes needed`)
    const at = offset
    offset += count
    return at
  }
  const integer = (value: number | bigint): number => {
    if (typeof value === 'bigint') {
      if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) throw new MsgpackFormatError(`integer ${value} is beyond ±(2^53 − 1)`)
      return Number(value)
    }
    return value
  }
  const float = (value: number, path: string): number => {
    if (!Number.isFinite(value)) throw new MsgpackFormatError(`non-finite float at ${path || '/'}`)
    if (Number.isInteger(value)) wholeFloats.push({ path: path || '/', value })
    return value
  }
  const text = (length: number): string => {
    const at = need(length)
    try {
      return utf8.decode(bytes.subarray(at, at + length))
    } catch {
      throw new MsgpackFormatError(`str at byte ${at} is not valid UTF-8`)
    }
  }
  const binary = (length: number): Uint8Array => {
    const at = need(length)
    return bytes.slice(at, at + length)
  }
  const array = (length: number, path: string, depth: number): unknown[] => {
    const items: unknown[] = []
    for (let index = 0; index < length; index++) items.push(read(`${path}/${index}`, depth + 1))
    return items
  }
  const map = (length: number, path: string, depth: number): Record<string, unknown> => {
    const object: Record<string, unknown> = Object.create(null) as Record<string, unknown>
    for (let index = 0; index < length; index++) {
      const key = read(path, depth + 1)
      if (typeof key !== 'string') throw new MsgpackFormatError(`map key at ${path || '/'} is not a str`)
      if (Object.hasOwn(object, key)) throw new MsgpackFormatError(`map at ${path || '/'} has the key ${JSON.stringify(key)} twice`)
      object[key] = read(`${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`, depth + 1)
    }
    return Object.setPrototypeOf(object, Object.prototype) as Record<string, unknown>
  }

  function read (path: string, depth: number): unknown {
    if (depth > 1000) throw new MsgpackFormatError('nesting deeper than 1000')
    const type = bytes[need(1)]!
    if (type <= 0x7f) return type
    if (type >= 0xe0) return type - 0x100
    if (type >= 0x80 && type <= 0x8f) return map(type & 0x0f, path, depth)
    if (type >= 0x90 && type <= 0x9f) return array(type & 0x0f, path, depth)
    if (type >= 0xa0 && type <= 0xbf) return text(type & 0x1f)
    switch (type) {
      case 0xc0: return null
      case 0xc2: return false
      case 0xc3: return true
      case 0xc4: return binary(view.getUint8(need(1)))
      case 0xc5: return binary(view.getUint16(need(2)))
      case 0xc6: return binary(view.getUint32(need(4)))
      case 0xca: return float(view.getFloat32(need(4)), path)
      case 0xcb: return float(view.getFloat64(need(8)), path)
      case 0xcc: return view.getUint8(need(1))
      case 0xcd: return view.getUint16(need(2))
      case 0xce: return view.getUint32(need(4))
      case 0xcf: return integer(view.getBigUint64(need(8)))
      case 0xd0: return view.getInt8(need(1))
      case 0xd1: return view.getInt16(need(2))
      case 0xd2: return view.getInt32(need(4))
      case 0xd3: return integer(view.getBigInt64(need(8)))
      case 0xd9: return text(view.getUint8(need(1)))
      case 0xda: return text(view.getUint16(need(2)))
      case 0xdb: return text(view.getUint32(need(4)))
      case 0xdc: return array(view.getUint16(need(2)), path, depth)
      case 0xdd: return array(view.getUint32(need(4)), path, depth)
      case 0xde: return map(view.getUint16(need(2)), path, depth)
      case 0xdf: return map(view.getUint32(need(4)), path, depth)
      default: throw new MsgpackFormatError(`byte 0x${type.toString(16)} at ${offset - 1} is ${type === 0xc1 ? 'reserved' : 'an extension type'}, not plain data`)
    }
  }

  const value = read('', 0)
  if (offset !== bytes.byteLength) throw new MsgpackFormatError(`${bytes.byteLength - offset} bytes after the value`)
  return { value, wholeFloats }
}

/** Encodes plain data: whole numbers within ±(2^53 − 1) in their smallest integer format, other numbers as float64. */
export function encodeStrict (value: unknown): Buffer {
  const chunks: Buffer[] = []
  const header = (type: number, size: number, length: number): void => {
    const chunk = Buffer.alloc(1 + size)
    chunk[0] = type
    if (size === 1) chunk.writeUInt8(length, 1)
    else if (size === 2) chunk.writeUInt16BE(length, 1)
    else if (size === 4) chunk.writeUInt32BE(length, 1)
    chunks.push(chunk)
  }
  const write = (item: unknown): void => {
    if (item === null || item === undefined) return void chunks.push(Buffer.from([0xc0]))
    if (typeof item === 'boolean') return void chunks.push(Buffer.from([item ? 0xc3 : 0xc2]))
    if (typeof item === 'number') return void chunks.push(encodeNumber(item))
    if (typeof item === 'string') {
      const bytes = Buffer.from(item, 'utf8')
      if (bytes.length < 32) header(0xa0 | bytes.length, 0, 0)
      else if (bytes.length < 0x100) header(0xd9, 1, bytes.length)
      else if (bytes.length < 0x10000) header(0xda, 2, bytes.length)
      else header(0xdb, 4, bytes.length)
      return void chunks.push(bytes)
    }
    if (item instanceof Uint8Array) {
      if (item.length < 0x100) header(0xc4, 1, item.length)
      else if (item.length < 0x10000) header(0xc5, 2, item.length)
      else header(0xc6, 4, item.length)
      return void chunks.push(Buffer.from(item))
    }
    if (Array.isArray(item)) {
      if (item.length < 16) header(0x90 | item.length, 0, 0)
      else if (item.length < 0x10000) header(0xdc, 2, item.length)
      else header(0xdd, 4, item.length)
      for (const element of item) write(element)
      return
    }
    if (typeof item === 'object') {
      const entries = Object.entries(item).filter(([, element]) => element !== undefined)
      if (entries.length < 16) header(0x80 | entries.length, 0, 0)
      else if (entries.length < 0x10000) header(0xde, 2, entries.length)
      else header(0xdf, 4, entries.length)
      for (const [key, element] of entries) {
        write(key)
        write(element)
      }
      return
    }
    throw new TypeError(`cannot encode a ${typeof item} as MessagePack`)
  }
  write(value)
  return Buffer.concat(chunks)
}

function encodeNumber (value: number): Buffer {
  if (!Number.isSafeInteger(value)) {
    const chunk = Buffer.alloc(9)
    chunk[0] = 0xcb
    chunk.writeDoubleBE(value, 1)
    return chunk
  }
  if (value >= 0) {
    if (value < 0x80) return Buffer.from([value])
    if (value < 0x100) return Buffer.from([0xcc, value])
    if (value < 0x10000) return withInteger(0xcd, 2, (chunk) => chunk.writeUInt16BE(value, 1))
    if (value < 0x100000000) return withInteger(0xce, 4, (chunk) => chunk.writeUInt32BE(value, 1))
    return withInteger(0xcf, 8, (chunk) => chunk.writeBigUInt64BE(BigInt(value), 1))
  }
  if (value >= -32) return Buffer.from([0x100 + value])
  if (value >= -0x80) return withInteger(0xd0, 1, (chunk) => chunk.writeInt8(value, 1))
  if (value >= -0x8000) return withInteger(0xd1, 2, (chunk) => chunk.writeInt16BE(value, 1))
  if (value >= -0x80000000) return withInteger(0xd2, 4, (chunk) => chunk.writeInt32BE(value, 1))
  return withInteger(0xd3, 8, (chunk) => chunk.writeBigInt64BE(BigInt(value), 1))
}

function withInteger (type: number, size: number, fill: (chunk: Buffer) => void): Buffer {
  const chunk = Buffer.alloc(1 + size)
  chunk[0] = type
  fill(chunk)
  return chunk
}
