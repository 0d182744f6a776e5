// Frames: MessagePack on binary frames, JSON on text frames. A response uses its request's codec.
import { isPlainData, plainPackr, plainUnpackr } from '../plain-data.ts'
import { checkJsonBudget, checkMsgpackBudget, FrameBudgetError, type FrameBudget } from './frame-budget.ts'

export type Codec = 'msgpack' | 'json'

export class FrameDecodeError extends Error {
  /** parse_error: not valid or not plain data; frame_over_budget: over a decode cost limit. */
  readonly code: 'parse_error' | 'frame_over_budget'
  constructor (message: string, code: 'parse_error' | 'frame_over_budget' = 'parse_error') {
    super(message)
    this.code = code
  }
}

/** No cost limit (a client reading its server), but every structural check still applies. */
const unlimitedBudget: FrameBudget = Object.freeze({ maxFrameElements: Infinity, maxFrameStringBytes: Infinity })

export function codecOf (isBinary: boolean): Codec {
  return isBinary ? 'msgpack' : 'json'
}

/**
 * Decodes one frame into plain data, or throws FrameDecodeError. The frame's cost is measured on
 * its bytes first (frame-budget.ts), so an over-budget frame builds no objects at all.
 */
export function decodeFrame (data: Uint8Array, codec: Codec, budget: FrameBudget = unlimitedBudget): unknown {
  try {
    if (codec === 'msgpack') checkMsgpackBudget(data, budget)
    else checkJsonBudget(data, budget)
  } catch (error) {
    if (!(error instanceof FrameBudgetError)) throw error
    throw error.kind === 'over_budget'
      ? new FrameDecodeError(error.message, 'frame_over_budget')
      : new FrameDecodeError(`the frame is not plain ${codec === 'msgpack' ? 'MessagePack' : 'JSON'} data: ${error.message}`)
  }
  let message: unknown
  try {
    message = codec === 'msgpack'
      ? plainUnpackr.unpack(data)
      : JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'))
  } catch (error) {
    throw new FrameDecodeError(`the frame is not valid ${codec === 'msgpack' ? 'MessagePack' : 'JSON'}: ${(error as Error).message}`)
  }
  if (!isPlainData(message, codec === 'msgpack')) {
    throw new FrameDecodeError('the frame holds values that are not plain data (extension types, non-finite numbers, nesting too deep, or a "__proto__" key)')
  }
  return message
}

export function encodeFrame (message: unknown, codec: Codec): Buffer | string {
  return codec === 'msgpack' ? plainPackr.pack(message) : JSON.stringify(message)
}
