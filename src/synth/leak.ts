// The leak check: an env's docs must not give the answer away. Concretely, the docs are the
// statement template, every tool's name and description, every parameter description and the
// answer description, and per test input also the statement as rendered at reset and the initial
// observation. They leak when
//   1. a tool is a solver: its name contains solve/solution/answer, or its description says it
//      returns the final/whole answer or solves the whole problem;
//   2. they copy the reference solution's code: a run of copyTokens tokens of the solution (its
//      comments removed), at least one of them code punctuation, appears in a doc;
//   3. they show the ground truth: a distinctive truth value (not a boolean, null, a one-digit
//      integer or a short string) appears as a whole token in the docs of at least half of the
//      inputs that have one.
import type { EnvManifest, JsonValue } from '../schemas/env.generated.ts'

export type LeakKind = 'solver_tool' | 'solution_copy' | 'truth_value'

export interface LeakFinding {
  kind: LeakKind
  message: string
}

/** Tokens in a row that count as a copy of the solution. */
export const copyTokens = 12

const solverName = /solve|solution|answer/i
const solverDescriptions: readonly RegExp[] = [
  /\b(final|whole|complete|entire|full)\s+(answer|result|solution)\b/i,
  /\b(solves?|computes?|returns?|answers?)\s+(the\s+)?(whole|entire|complete|full|original)\s+(problem|task|question)\b/i,
  /\breturns?\s+the\s+(correct\s+)?answer\b/i,
]

interface DocText {
  where: string
  text: string
}

export function manifestDocs (manifest: EnvManifest): DocText[] {
  const docs: DocText[] = [{ where: 'the statement', text: manifest.statement }]
  for (const tool of manifest.tools) {
    docs.push({ where: `tool ${tool.name}`, text: `${tool.name}: ${tool.description}` })
    for (const [name, property] of Object.entries(tool.parameters.properties)) {
      const description = (property as { description?: unknown } | undefined)?.description
      if (typeof description === 'string') docs.push({ where: `tool ${tool.name} parameter ${name}`, text: description })
    }
  }
  const answer = (manifest.answer as { description?: unknown }).description
  if (typeof answer === 'string') docs.push({ where: 'the answer description', text: answer })
  return docs
}

export function findSolverTools (manifest: EnvManifest): LeakFinding[] {
  const findings: LeakFinding[] = []
  for (const tool of manifest.tools) {
    if (solverName.test(tool.name)) {
      findings.push({ kind: 'solver_tool', message: `tool ${tool.name} is named as a solver of the problem` })
      continue
    }
    const pattern = solverDescriptions.find((regex) => regex.test(tool.description))
    if (pattern !== undefined) findings.push({ kind: 'solver_tool', message: `tool ${tool.name} is described as solving the problem: "${tool.description.match(pattern)?.[0] ?? ''}"` })
  }
  return findings
}

const tokenPattern = /[A-Za-z_$][\w$]*|\d+(?:\.\d+)?|[^\s\w]/g
const codePunctuation = /^[(){}[\];=]$/

function tokens (text: string): string[] {
  return text.match(tokenPattern) ?? []
}

function stripComments (source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ')
}

export function findSolutionCopy (manifest: EnvManifest, solution: string): LeakFinding[] {
  const solutionTokens = tokens(stripComments(solution))
  const runs = new Set<string>()
  for (let i = 0; i + copyTokens <= solutionTokens.length; i++) {
    const run = solutionTokens.slice(i, i + copyTokens)
    if (run.some((token) => codePunctuation.test(token))) runs.add(run.join(' '))
  }
  const findings: LeakFinding[] = []
  for (const doc of manifestDocs(manifest)) {
    const docTokens = tokens(doc.text)
    for (let i = 0; i + copyTokens <= docTokens.length; i++) {
      const run = docTokens.slice(i, i + copyTokens).join(' ')
      if (runs.has(run)) {
        findings.push({ kind: 'solution_copy', message: `${doc.where} copies the reference solution: "${run}"` })
        break
      }
    }
  }
  return findings
}

/** Whether a truth value is specific enough that finding it in the docs is no coincidence. */
export function isDistinctive (truth: JsonValue): boolean {
  if (truth === null || typeof truth === 'boolean') return false
  if (typeof truth === 'number') return !(Number.isInteger(truth) && Math.abs(truth) <= 9)
  if (typeof truth === 'string') return truth.trim().length >= 3
  return JSON.stringify(truth).length >= 5
}

function occurs (needle: string, haystack: string): boolean {
  const escaped = needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`(?<![\\w.])${escaped}(?![\\w]|\\.\\d)`).test(haystack)
}

export interface TruthCase {
  taskId: string
  truth: JsonValue
  /** What the agent sees of this task before its first call: rendered statement, initial observation. */
  shown: string[]
}

export function findTruthLeaks (manifest: EnvManifest, cases: readonly TruthCase[]): LeakFinding[] {
  const docs = manifestDocs(manifest).map((doc) => doc.text)
  const distinctive = cases.filter((item) => isDistinctive(item.truth))
  const hits: string[] = []
  for (const item of distinctive) {
    const needles = [JSON.stringify(item.truth)]
    if (typeof item.truth === 'string') needles.push(item.truth)
    const texts = [...docs, ...item.shown]
    if (needles.some((needle) => texts.some((text) => occurs(needle, text)))) hits.push(`${item.taskId} (${JSON.stringify(item.truth)})`)
  }
  if (distinctive.length === 0 || hits.length < Math.max(1, Math.ceil(distinctive.length / 2))) return []
  return [{ kind: 'truth_value', message: `the docs or the initial observation show the ground truth of ${hits.length} of ${distinctive.length} inputs: ${hits.slice(0, 3).join(', ')}` }]
}
