// The recorded LLM of the synthesis fixtures (test/fixtures/synth/): pipeline prompts are answered
// from answers/<problem>/<stage>-<attempt>.md; the reference policy's episodes are played by a
// scripted agent that solves the count-odds env (too easy) and submits a wrong answer elsewhere.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promptMarker } from '../../src/synth/prompts.ts'
import type { TestPolicy, TestPolicyInput, TestReply } from '../../tools/test-backend/index.ts'

export const synthFixturesDir = fileURLToPath(new URL('../fixtures/synth/', import.meta.url))
export const problemsPath = `${synthFixturesDir}problems.jsonl`

/** What a model says when it has nothing useful: no code block, so the stage finds no file. */
export const refusal = 'I am sorry, I cannot write this program.'

export interface FixtureLlmCounts {
  pipeline: number
  policy: number
}

export function fixturePolicy (counts: FixtureLlmCounts): TestPolicy {
  return (input) => {
    const marker = promptMarker.exec(input.promptText)
    if (marker !== null) {
      counts.pipeline++
      const [, stage, problem, attempt] = marker
      try {
        return { kind: 'text', text: readFileSync(`${synthFixturesDir}answers/${problem}/${stage}-${attempt}.md`, 'utf8') }
      } catch {
        return { kind: 'text', text: refusal }
      }
    }
    counts.policy++
    return input.tools.some((tool) => tool.name === 'IsOdd') ? countOddsAgent(input) : { kind: 'call', name: 'Done', arguments: { answer: 123456789 } }
  }
}

/** Reads the length, then every element, then submits how many are odd: it solves every count-odds task. */
function countOddsAgent (input: TestPolicyInput): TestReply {
  // The chat template (Qwen2.5's) shows each tool result in a <tool_response> block.
  const observations = [...input.promptText.matchAll(/<tool_response>\n([\s\S]*?)\n<\/tool_response>/g)].map((match) => JSON.parse(match[1]!) as number)
  if (input.turn === 0) return { kind: 'call', name: 'GetLength', arguments: {} }
  const length = observations[0]!
  if (input.turn <= length) return { kind: 'call', name: 'GetElement', arguments: { index: input.turn - 1 } }
  const odd = observations.slice(1).filter((value) => Math.abs(value % 2) === 1).length
  return { kind: 'call', name: 'Done', arguments: { answer: odd } }
}
