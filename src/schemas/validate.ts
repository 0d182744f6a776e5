// Compiled validators for the shapes in schemas/, and for the JSON Schemas that env packages declare.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import { schemasDir } from './files.ts'
import type { Action, EnvManifest, ResetOptions, Snapshot, Task } from './env.generated.ts'

const envSchemaId = 'https://codegym-ts.invalid/schemas/env.schema.json'
const protocolSchemaId = 'https://codegym-ts.invalid/schemas/protocol.schema.json'
const synthSchemaId = 'https://codegym-ts.invalid/schemas/synth.schema.json'

/** Keywords that only annotate schemas for code generation. */
const annotationKeywords = ['tsType']

/**
 * `msgpackType: "bin"` holds for MessagePack bin, which decodes to bytes: JSON Schema has no type
 * for bytes, and ajv's "object" would accept them (SnapshotBytes, and what JsonValue excludes).
 */
const msgpackTypeKeyword = {
  keyword: 'msgpackType',
  schemaType: 'string',
  errors: false,
  validate: (type: string, value: unknown): boolean => type === 'bin' && value instanceof Uint8Array,
} as const

function createAjv (): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true, verbose: true })
  for (const keyword of annotationKeywords) ajv.addKeyword(keyword)
  ajv.addKeyword(msgpackTypeKeyword)
  return ajv
}

const readSchema = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(schemasDir, name), 'utf8')) as Record<string, unknown>

/** The parsed schema files, for code that reads the catalogues in them (ops, error codes). */
export const envSchema = readSchema('env.schema.json')
export const protocolSchema = readSchema('protocol.schema.json')
export const synthSchema = readSchema('synth.schema.json')

const ajv = createAjv()
ajv.addSchema(envSchema)
ajv.addSchema(protocolSchema)
ajv.addSchema(synthSchema)

/** A compiled validator that narrows its input and explains a rejection in one line. */
export interface Validator<T> {
  (value: unknown): value is T
  /** Why the last rejected value was rejected; empty after an accepted one. */
  readonly lastError: string
}

function wrap<T> (validate: ValidateFunction, subject: string): Validator<T> {
  let lastError = ''
  const check = (value: unknown): value is T => {
    if (validate(value)) {
      lastError = ''
      return true
    }
    lastError = formatSchemaErrors(validate.errors ?? [], subject)
    return false
  }
  Object.defineProperty(check, 'lastError', { get: () => lastError })
  return check as Validator<T>
}

function definition<T> (name: string, subject: string, schemaId = envSchemaId): Validator<T> {
  const validate = ajv.getSchema(`${schemaId}#/$defs/${name}`)
  if (validate === undefined) throw new Error(`${schemaId} has no $defs/${name}`)
  return wrap<T>(validate, subject)
}

/** A validator for a definition of schemas/protocol.schema.json, or a path inside one. */
export function protocolDefinition<T> (pointer: string, subject: string): Validator<T> {
  return definition<T>(pointer, subject, protocolSchemaId)
}

/** A validator for a definition of schemas/synth.schema.json. */
export function synthDefinition<T> (name: string, subject: string): Validator<T> {
  return definition<T>(name, subject, synthSchemaId)
}

export const validateManifest = definition<EnvManifest>('EnvManifest', 'env.json')
export const validateTask = definition<Task>('Task', 'task')
export const validateAction = definition<Action>('Action', 'action')
export const validateResetOptions = definition<ResetOptions>('ResetOptions', 'reset options')
export const validateSnapshot = definition<Snapshot>('Snapshot', 'snapshot')

/** Compiles a JSON Schema that an env package declares (tool parameters, config, answer). */
const envAjv = createAjv()
export function compileEnvSchema<T = unknown> (schema: object, subject: string): Validator<T> {
  return wrap<T>(envAjv.compile(schema), subject)
}

/** The most useful errors first, at most this many, so a message stays readable to an agent. */
const maxReportedErrors = 3

/** "parameters/index must be integer; parameters must NOT have additional property 'x'" */
export function formatSchemaErrors (errors: readonly ErrorObject[], subject: string): string {
  // A failed oneOf/anyOf/if reports its branches' errors too; the branch errors say more.
  const specific = errors.filter((error) => !['oneOf', 'anyOf', 'if'].includes(error.keyword))
  const lines = (specific.length > 0 ? specific : errors).slice(0, maxReportedErrors).map((error) => {
    const where = subject + error.instancePath
    switch (error.keyword) {
      case 'additionalProperties':
        return `${where} has an unexpected property '${String(error.params.additionalProperty)}'`
      case 'required':
        return `${where} is missing the required property '${String(error.params.missingProperty)}'`
      case 'enum':
        return `${where} must be one of ${JSON.stringify(error.params.allowedValues)}`
      case 'not':
        return `${where} is invalid: ${String((error.schema as { description?: string }).description ?? 'it matches a forbidden shape')}`
      case 'const':
        return `${where} must be ${JSON.stringify(error.params.allowedValue)}`
      default:
        return `${where} ${error.message ?? 'is invalid'}`
    }
  })
  const more = errors.length > maxReportedErrors ? ` (and ${errors.length - maxReportedErrors} more)` : ''
  return lines.join('; ') + more
}
