// wrong-answer: Done with a schema-valid wrong answer scores 0 and ends the episode.
import { isDeepStrictEqual } from 'node:util'
import { doneToolName } from '../../contract/builtin-tools.ts'
import type { EnvSpec } from '../../env/package.ts'
import type { JsonValue } from '../../schemas/env.generated.ts'
import type { CheckContext } from '../context.ts'
import { Findings } from '../findings.ts'
import type { CheckOutcome } from '../types.ts'

function alterString (text: string): string[] {
  if (text === '') return ['a', '0']
  const first = text.charAt(0)
  const replacement = /[0-8]/.test(first) ? String(Number(first) + 1) : first === '9' ? '0' : /[a-y]/i.test(first) ? String.fromCharCode(first.charCodeAt(0) + 1) : first === 'z' ? 'a' : first === 'Z' ? 'A' : 'a'
  return [replacement + text.slice(1), text + text.charAt(text.length - 1), text.slice(1), text + 'x', '']
}

/** Values of the truth's type that differ from it, most like it first. */
function wrongCandidates (truth: JsonValue, depth = 0): JsonValue[] {
  if (depth > 4) return []
  if (typeof truth === 'number') return [truth + 1, truth - 1, -truth - 1, truth + 0.5]
  if (typeof truth === 'boolean') return [!truth]
  if (typeof truth === 'string') return alterString(truth)
  if (Array.isArray(truth)) {
    const candidates: JsonValue[] = []
    if (truth.length > 0) {
      for (const first of wrongCandidates(truth[0]!, depth + 1).slice(0, 2)) candidates.push([first, ...truth.slice(1)])
      candidates.push(truth.slice(0, -1))
      candidates.push([...truth, truth.at(-1)!])
    } else {
      candidates.push([0], ['a'], [true], [[]], [{}])
    }
    return candidates
  }
  if (truth !== null && typeof truth === 'object') {
    const candidates: JsonValue[] = []
    for (const [key, value] of Object.entries(truth)) {
      for (const other of wrongCandidates(value as JsonValue, depth + 1).slice(0, 2)) candidates.push({ ...truth, [key]: other })
    }
    return candidates
  }
  return []
}

/** A schema-valid answer that is not the truth, or undefined when none can be derived. */
export function wrongAnswer (spec: EnvSpec, truth: JsonValue): JsonValue | undefined {
  const validate = spec.parameterValidators.get(doneToolName)!
  const schema = spec.manifest.answer as { enum?: JsonValue[] }
  const candidates = [...(schema.enum ?? []).filter((value) => !isDeepStrictEqual(value, truth)), ...wrongCandidates(truth)]
  return candidates.find((candidate) => !isDeepStrictEqual(candidate, truth) && validate({ answer: candidate }))
}

export async function checkWrongAnswer (context: CheckContext): Promise<CheckOutcome> {
  const findings = new Findings()
  const underived: string[] = []
  let submitted = 0
  for (const [index, seed] of context.seeds.entries()) {
    const difficulty = context.difficulties[index % context.difficulties.length]!
    const { episode } = await context.runtime.reset(context.envId, { seed, difficulty })
    const truth = context.runtime.snapshotContent(await episode.snapshot()).truth
    const wrong = wrongAnswer(context.spec, truth)
    if (wrong === undefined) {
      underived.push(JSON.stringify(truth))
      episode.close()
      continue
    }
    submitted++
    const result = await episode.done(wrong)
    const what = `${difficulty} seed ${seed}: Done(${JSON.stringify(wrong)}) against ${JSON.stringify(truth)}`
    findings.expect(!result.info.rolledBack, () => `${what} was rolled back: ${JSON.stringify(result.observation)}`)
    findings.expect(result.reward === 0 && result.info.correct === false, () => `${what} was judged correct`)
    findings.expect(result.terminated, () => `${what} did not end the episode`)
  }
  if (submitted === 0 && findings.count === 0) {
    return { check: 'wrong-answer', status: 'skip', detail: `no schema-valid wrong answer can be derived from the truth (${underived[0] ?? '?'})`, problems: [] }
  }
  return findings.outcome('wrong-answer', `${submitted} wrong answers scored 0` + (underived.length > 0 ? ` (none derivable for ${underived.length})` : ''))
}
