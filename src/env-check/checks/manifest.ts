// manifest: every tool, every parameter and the answer are documented well enough to act on.
import type { CheckContext } from '../context.ts'
import { Findings } from '../findings.ts'
import type { CheckOutcome } from '../types.ts'

const wordCount = (text: string): number => text.trim().split(/\s+/).filter((word) => word !== '').length

export function checkManifest ({ spec }: CheckContext): CheckOutcome {
  const findings = new Findings()
  let parameters = 0
  for (const tool of spec.manifest.tools) {
    findings.expect(wordCount(tool.description) >= 4, () => `tool ${tool.name}: the description "${tool.description}" says too little`)
    for (const [name, property] of Object.entries(tool.parameters.properties)) {
      parameters++
      const description = typeof property?.description === 'string' ? property.description.trim() : ''
      if (!findings.expect(description !== '', () => `tool ${tool.name}: parameter ${name} has no description`)) continue
      const trivial = wordCount(description) < 2 || description.replace(/[^a-z0-9]/gi, '').toLowerCase() === name.replace(/[^a-z0-9]/gi, '').toLowerCase()
      const mentioned = new RegExp(`\\b${name.replace(/[^A-Za-z0-9_]/g, '')}\\b`, 'i').test(tool.description)
      findings.expect(!trivial || mentioned, () => `tool ${tool.name}: parameter ${name} is documented only as "${description}"`)
    }
  }
  const answer = spec.manifest.answer as { description?: unknown }
  findings.expect(typeof answer.description === 'string' && answer.description.trim() !== '', () => 'the answer schema has no description')
  return findings.outcome('manifest', `${spec.manifest.tools.length} tools and ${parameters} parameters documented`)
}
