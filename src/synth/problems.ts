// Reads the problems JSONL (schemas/synth.schema.json, SynthProblem), one problem a line.
import { readFile } from 'node:fs/promises'
import { synthDefinition } from '../schemas/validate.ts'
import type { SynthProblem } from '../schemas/synth.generated.ts'

const validateProblem = synthDefinition<SynthProblem>('SynthProblem', 'problem')

/** The problems file cannot be used: the file and line, and why. */
export class ProblemsFileError extends Error {
  override readonly name = 'ProblemsFileError'
}

export function parseProblems (text: string, file = 'problems'): SynthProblem[] {
  const problems: SynthProblem[] = []
  const ids = new Set<string>()
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue
    const where = `${file} line ${index + 1}`
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch (error) {
      throw new ProblemsFileError(`${where} is not JSON: ${(error as Error).message}`)
    }
    if (!validateProblem(value)) throw new ProblemsFileError(`${where}: ${validateProblem.lastError}`)
    if (ids.has(value.id)) throw new ProblemsFileError(`${where}: problem id ${value.id} is used twice`)
    ids.add(value.id)
    problems.push(value)
  }
  if (problems.length === 0) throw new ProblemsFileError(`${file} holds no problems`)
  return problems
}

export async function readProblems (path: string): Promise<SynthProblem[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new ProblemsFileError(`cannot read ${path}: ${(error as Error).message}`)
  }
  return parseProblems(text, path)
}
