import type { JsonValue } from '../schemas/env.generated.ts'

const placeholder = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g

/** Fills '{{key}}' from the initial observation; a key it does not have is left as it is. */
export function renderStatement (template: string, observation: JsonValue): string {
  const fields = observation !== null && typeof observation === 'object' && !Array.isArray(observation)
    ? observation as Record<string, JsonValue>
    : {}
  return template.replace(placeholder, (whole, key: string) => {
    if (!Object.hasOwn(fields, key)) return whole
    const value = fields[key]
    return typeof value === 'string' ? value : JSON.stringify(value)
  })
}

/** The placeholders of a template that the observation does not fill (the env checker reports them). */
export function unfilledPlaceholders (template: string, observation: JsonValue): string[] {
  return [...renderStatement(template, observation).matchAll(placeholder)].map((match) => match[1]!)
}
