// The protocol's catalogues, read from schemas/protocol.schema.json so that code, PROTOCOL.md and
// tests agree with one source.
import { envSchema, protocolDefinition, protocolSchema, type Validator } from '../../schemas/validate.ts'
import type { BatchOperation, ErrorCode, Op, Operations, Request } from '../../schemas/protocol.generated.ts'

interface ConstEntry { const: string, description: string }

function constEntries (schema: Record<string, unknown>, name: string): ConstEntry[] {
  const defs = schema.$defs as Record<string, { oneOf?: ConstEntry[] }>
  const entries = defs[name]?.oneOf
  if (entries === undefined) throw new Error(`schema has no oneOf list $defs/${name}`)
  return entries
}

/** Every op, in the order the schema lists them. */
export const ops: readonly Op[] = constEntries(protocolSchema, 'Op').map((entry) => entry.const as Op)

/** Every error code a response can carry, with its description. */
export const errorCatalogue: ReadonlyMap<ErrorCode, string> = new Map(
  [...constEntries(protocolSchema, 'ProtocolErrorCode'), ...constEntries(envSchema, 'RuntimeErrorCode')]
    .map((entry) => [entry.const as ErrorCode, entry.description]))

export const validateRequest = protocolDefinition<Request>('Request', 'request')
export const validateBatchOperation = protocolDefinition<BatchOperation>('BatchOperation', 'batch operation')

export type OpParams<O extends Op> = Operations[O]['params']
export type OpResult<O extends Op> = Operations[O]['result']

export const paramsValidators: ReadonlyMap<Op, Validator<unknown>> = new Map(
  ops.map((op) => [op, protocolDefinition<unknown>(`Operations/properties/${op}/properties/params`, 'params')]))
