import { CodedError } from '../contract/errors.ts'
import type { ErrorCode, ErrorObject, ProtocolErrorCode } from '../schemas/protocol.generated.ts'

/** A request refused by the protocol layer, with a code from schemas/protocol.schema.json. */
export class ProtocolError extends CodedError<ProtocolErrorCode> {
  override readonly name = 'ProtocolError'
}

/** Where a failed request is reported: a server bug is logged, and every error counted by its code. */
export interface ErrorReporter {
  readonly logBug: (error: unknown, op: string) => void
  readonly metrics: { readonly errors: { inc: (labels: { code: string }) => void } }
}

/**
 * The error object answered for a failed request, sent alone or as one operation of a batch (the
 * one place both are built). Protocol and runtime errors keep their code, message and data;
 * anything else is a server bug, logged and answered as internal_error without its details.
 */
export function errorResponse (error: unknown, op: string, reporter: ErrorReporter): ErrorObject {
  let object: ErrorObject
  if (error instanceof CodedError) {
    object = { code: error.code as ErrorCode, message: error.message }
    if (error.data !== undefined) object.data = error.data
  } else {
    reporter.logBug(error, op)
    object = { code: 'internal_error', message: 'the server failed to handle the request; see its log' }
  }
  reporter.metrics.errors.inc({ code: object.code })
  return object
}
