// Frames: MessagePack on binary frames, JSON on text frames. A response uses its request's codec.
import { isPlainData, packsPrototypeKey, plainPackr, plainUnpackr } from '../plain-data.ts'

export type Codec = 'msgpack' | 'json'

export class FrameDecodeError extends Error {}

export function codecOf (isBinary: boolean): Codec {
  return isBinary ? 'msgpack' : 'json'
}

/** Decodes one frame into plain data, or throws FrameDecodeError. */
export function decodeFrame (data: Uint8Array, codec: Codec): unknown {
  let message: unknown
  try {
    message = codec === 'msgpack'
      ? plainUnpackr.unpack(data)
      : JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'))
  } catch (error) {
    throw new FrameDecodeError(`the frame is not valid ${codec === 'msgpack' ? 'MessagePack' : 'JSON'}: ${(error as Error).message}`)
  }
  if (!isPlainData(message, codec === 'msgpack') || (codec === 'msgpack' && packsPrototypeKey(data))) {
    throw new FrameDecodeError('the frame holds values that are not plain data (extension types, non-finite numbers, nesting too deep, or a "__proto__" key)')
  }
  return message
}

export function encodeFrame (message: unknown, codec: Codec): Buffer | string {
  return codec === 'msgpack' ? plainPackr.pack(message) : JSON.stringify(message)
}
