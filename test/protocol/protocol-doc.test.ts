// PROTOCOL.md is checked against the sources it documents: the ops and error codes of
// src/contract/protocol/catalogue.ts, the schemas, the limit defaults and the server's close codes.
// The document is read by structure: one `### \`op\`` heading per op under "## Operations", and
// tables whose first column is a code in backticks under fixed headings.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { errorCatalogue, ops } from '../../src/contract/protocol/catalogue.ts'
import { defaultSandboxPoolOptions } from '../../src/sandbox/limits.ts'
import { envSchema, protocolDefinition, protocolSchema } from '../../src/schemas/validate.ts'
import { closeCodes } from '../../src/contract/protocol/constants.ts'
import { advertisedLimits, defaultServerLimits } from '../../src/server/limits.ts'

const doc = readFileSync(new URL('../../PROTOCOL.md', import.meta.url), 'utf8')
const lines = doc.split('\n')

/** The lines of the section under a heading, up to the next heading of the same or a higher level. */
function section (heading: string): string[] {
  const start = lines.indexOf(heading)
  if (start < 0) throw new Error(`PROTOCOL.md has no heading ${JSON.stringify(heading)}`)
  const level = heading.indexOf(' ')
  const end = lines.findIndex((line, index) => {
    if (index <= start) return false
    const match = /^(#+) /.exec(line)
    return match !== null && match[1]!.length <= level
  })
  return lines.slice(start + 1, end < 0 ? undefined : end)
}

/** Lines of a section before its first sub-heading. */
function sectionBody (heading: string): string[] {
  const body = section(heading)
  const sub = body.findIndex((line) => line.startsWith('#'))
  return sub < 0 ? body : body.slice(0, sub)
}

/** Table rows of some lines whose first cell is `code`: code → the other cells. */
function codeRows (sectionLines: readonly string[]): Map<string, string[]> {
  const rows = new Map<string, string[]>()
  for (const line of sectionLines) {
    const match = /^\|\s*`([^`]+)`\s*\|(.*)\|\s*$/.exec(line)
    if (match === null) continue
    if (rows.has(match[1]!)) throw new Error(`${match[1]} has two rows`)
    rows.set(match[1]!, match[2]!.split('|').map((cell) => cell.trim()))
  }
  return rows
}

function constsOf (schema: Record<string, unknown>, name: string): string[] {
  const defs = schema.$defs as Record<string, { oneOf: { const: string }[] }>
  return defs[name]!.oneOf.map((entry) => entry.const)
}

const sorted = (values: Iterable<string>): string[] => [...values].sort()

await t.test('every op has a section, and every section names an op', async (t) => {
  const headings = section('## Operations')
    .filter((line) => line.startsWith('### '))
    .map((line) => /^### `([^`]+)`$/.exec(line)?.[1] ?? line)
  t.same(sorted(headings), sorted(ops), 'the ### headings under ## Operations are exactly the ops')
  t.equal(new Set(headings).size, headings.length, 'no op has two sections')
  t.same(headings, [...ops], 'sections follow the order of the schema')
})

await t.test('the error-code table lists every error code and no other', async (t) => {
  const rows = codeRows(section('## Error codes'))
  t.same(sorted(rows.keys()), sorted(errorCatalogue.keys()))
  const protocolCodes = new Set(constsOf(protocolSchema, 'ProtocolErrorCode'))
  for (const [code, [layer]] of rows) {
    t.equal(layer, protocolCodes.has(code) ? 'protocol' : 'runtime', `${code} is in the right layer`)
  }
})

await t.test('the rollback-code table lists every RollbackCode and no other', async (t) => {
  const rows = codeRows(section('### Rollback codes'))
  t.same(sorted(rows.keys()), sorted(constsOf(envSchema, 'RollbackCode')))
})

await t.test('the limits table lists every advertised limit with its default', async (t) => {
  const properties = Object.keys((protocolSchema.$defs as { Limits: { properties: object } }).Limits.properties)
  const defaults = advertisedLimits(defaultServerLimits, defaultSandboxPoolOptions) as unknown as Record<string, number>
  const rows = codeRows(sectionBody('## Limits'))
  t.same(sorted(rows.keys()), sorted(properties), 'one row per Limits property')
  for (const name of properties) {
    const cells = rows.get(name)
    if (cells === undefined) continue
    const [unit, defaultCell] = cells
    t.ok(unit !== undefined && unit.length > 0, `${name} has a unit`)
    t.equal(Number(/^\d+/.exec(defaultCell ?? '')?.[0]), defaults[name], `${name} default`)
  }
})

await t.test('every close code the server uses is documented, and no other', async (t) => {
  const rows = codeRows(section('## Close codes'))
  t.same(sorted(rows.keys()), sorted(Object.values(closeCodes).map(String)))
})

await t.test('every example message is well-formed', async (t) => {
  const validateRequest = protocolDefinition<{ id: number, op: string }>('Request', 'request')
  const validateResponse = protocolDefinition<{ id: number | null, result?: unknown }>('Response', 'response')
  const validateEvent = protocolDefinition('Event', 'event')
  const blocks = [...doc.matchAll(/^```json\n([\s\S]*?)^```$/gm)].map((match) => match[1]!)
  t.ok(blocks.length > 20, 'the document has examples')
  // A response is checked against the result shape of the last request shown with its id.
  const lastOpOf = new Map<number, string>()
  for (const block of blocks) {
    let message: unknown
    try {
      message = JSON.parse(block)
    } catch (error) {
      t.fail(`example is not JSON: ${(error as Error).message}\n${block}`)
      continue
    }
    if (typeof message === 'object' && message !== null && 'op' in message) {
      t.ok(validateRequest(message), `request ${validateRequest.lastError}`)
      if (validateRequest(message)) lastOpOf.set(message.id, message.op)
    } else if (typeof message === 'object' && message !== null && 'event' in message) {
      t.ok(validateEvent(message), `event ${validateEvent.lastError}`)
    } else {
      t.ok(validateResponse(message), `response ${validateResponse.lastError}`)
      if (!validateResponse(message) || message.result === undefined || message.id === null) continue
      const op = lastOpOf.get(message.id)
      if (op === undefined) continue
      const validateResult = protocolDefinition(`Operations/properties/${op}/properties/result`, `${op} result`)
      t.ok(validateResult(message.result), `${op} result (id ${message.id}) ${validateResult.lastError}`)
    }
  }
})
