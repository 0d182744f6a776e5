import { CodedError } from '../errors.ts'
import type { ErrorCode, ErrorObject, ProtocolErrorCode } from '../schemas/protocol.generated.ts'

/** A request refused by the protocol layer, with a code from schemas/protocol.schema.json. */
export class ProtocolError extends CodedError<ProtocolErrorCode> {
  override readonly name = 'ProtocolError'
}

/**
 * The error object for a failed request. Protocol and runtime errors keep their code; anything
 * else is a server bug, reported as internal_error without its details.
 */
export function toErrorObject (error: unknown): { error: ErrorObject, internal: boolean } {
  if (error instanceof CodedError) {
    const object: ErrorObject = { code: error.code as ErrorCode, message: error.message }
    if (error.data !== undefined) object.data = error.data
    return { error: object, internal: false }
  }
  return { error: { code: 'internal_error', message: 'the server failed to handle the request; see its log' }, internal: true }
}
