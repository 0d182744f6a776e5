// What a policy needs from a prompt that arrives as text or token ids: the tools it offers and how
// many assistant turns it already holds. Tools come from Hermes `<tools>` lines (Qwen's template)
// or from the paper's `functions` JSON list; turns are counted from ChatML markers.
import type { TestPolicyTool } from './types.ts'

const hermesToolsOpen = '<tools>\n'
const hermesToolsClose = '\n</tools>'
const paperFunctionsMarker = 'You have access to the following functions:\n'
const assistantHeader = '<|im_start|>assistant'
const turnEnd = '<|im_end|>'

export function toolsFromPrompt (promptText: string): TestPolicyTool[] {
  const open = promptText.indexOf(hermesToolsOpen)
  if (open !== -1) {
    const close = promptText.indexOf(hermesToolsClose, open)
    if (close !== -1) {
      const lines = promptText.slice(open + hermesToolsOpen.length, close).split('\n')
      return lines.map(parseJson).map(toolEntry).filter((tool) => tool !== undefined)
    }
  }
  const marker = promptText.indexOf(paperFunctionsMarker)
  if (marker !== -1) {
    const list = parseJson(balancedJson(promptText, marker + paperFunctionsMarker.length) ?? '')
    if (Array.isArray(list)) return list.map(toolEntry).filter((tool) => tool !== undefined)
  }
  return []
}

/** Completed assistant turns: every assistant header except an open one at the end (the generation prompt). */
export function assistantTurns (promptText: string): number {
  let count = 0
  let last = -1
  for (let at = promptText.indexOf(assistantHeader); at !== -1; at = promptText.indexOf(assistantHeader, at + 1)) {
    count++
    last = at
  }
  if (last !== -1 && promptText.indexOf(turnEnd, last) === -1) count--
  return count
}

/** A tool as OpenAI's `tools` entry (`{type, function}`) or bare (`{name, ...}`), if it names one. */
export function toolEntry (value: unknown): TestPolicyTool | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const entry = value as { function?: unknown, name?: unknown, description?: unknown, parameters?: unknown }
  const tool = (typeof entry.function === 'object' && entry.function !== null ? entry.function : entry) as typeof entry
  if (typeof tool.name !== 'string') return undefined
  return {
    name: tool.name,
    ...(typeof tool.description === 'string' ? { description: tool.description } : {}),
    ...(typeof tool.parameters === 'object' && tool.parameters !== null ? { parameters: tool.parameters } : {}),
  }
}

function parseJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The JSON array or object that starts at `from`, up to its matching bracket (strings skipped). */
function balancedJson (text: string, from: number): string | undefined {
  const first = text[from]
  if (first !== '[' && first !== '{') return undefined
  let depth = 0
  let inString = false
  for (let index = from; index < text.length; index++) {
    const char = text[index]
    if (inString) {
      if (char === '\\') index++
      else if (char === '"') inString = false
    } else if (char === '"') inString = true
    else if (char === '[' || char === '{') depth++
    else if (char === ']' || char === '}') {
      depth--
      if (depth === 0) return text.slice(from, index + 1)
    }
  }
  return undefined
}
