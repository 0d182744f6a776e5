// The part of JSON Schema that tool parameter schemas use and that the value generators read
// (the checker's random agent, the test backend's seeded policy). Anything else in a schema is
// ignored by them, and the schema's own validator still has the last word.
export interface JsonSchemaSubset {
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  minLength?: number
  maxLength?: number
  minItems?: number
  maxItems?: number
  items?: JsonSchemaSubset
  properties?: Record<string, JsonSchemaSubset>
  required?: string[]
  anyOf?: JsonSchemaSubset[]
  oneOf?: JsonSchemaSubset[]
}
