// The reason-code catalogue: schemas/synth.schema.json is the source; src/synth/README.md lists the same codes, in order.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { synthSchema } from '../../src/schemas/validate.ts'

const readme = readFileSync(new URL('../../src/synth/README.md', import.meta.url), 'utf8')

await t.test('the README table lists every reason code of the schema, in the same order', async (t) => {
  const table = /<!-- reason-codes:start -->\n([\s\S]*?)<!-- reason-codes:end -->/.exec(readme)?.[1] ?? ''
  const documented = [...table.matchAll(/^\| `([a-z_]+)` \|/gm)].map((match) => match[1])
  const defs = synthSchema.$defs as Record<string, { oneOf: Array<{ const: string, description: string }> }>
  const codes = defs.SynthReasonCode!.oneOf.map((entry) => entry.const)
  t.ok(codes.length >= 16)
  t.same(documented, codes)
  for (const entry of defs.SynthReasonCode!.oneOf) t.ok(entry.description.length > 20, `${entry.const} has a description`)
})
