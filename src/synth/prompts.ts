// Prompt templates: files under prompts/, each with a front matter that names its version. The
// version goes into every artefact made with the prompt, so a corpus records how it was made.
import { readFileSync } from 'node:fs'

export type PromptName = 'gym' | 'inputs' | 'solver'

export interface PromptTemplate {
  name: PromptName
  /** From the front matter, e.g. gym-v1. */
  version: string
  body: string
}

/** The file of each prompt; a new version is a new file, the old one stays for the record. */
export const promptFiles: Readonly<Record<PromptName, string>> = Object.freeze({
  gym: 'gym.v1.md',
  inputs: 'inputs.v1.md',
  solver: 'solver.v1.md',
})

const frontMatter = /^---\n([\s\S]*?)\n---\n/

export function parsePrompt (name: PromptName, text: string): PromptTemplate {
  const match = frontMatter.exec(text)
  if (match === null) throw new Error(`prompt ${name}: no front matter`)
  const fields = new Map<string, string>()
  for (const line of match[1]!.split('\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim())
  }
  const version = fields.get('version')
  if (version === undefined || version === '') throw new Error(`prompt ${name}: the front matter has no version`)
  return { name, version, body: text.slice(match[0].length) }
}

const cache = new Map<PromptName, PromptTemplate>()

export function loadPrompt (name: PromptName): PromptTemplate {
  let template = cache.get(name)
  if (template === undefined) {
    template = parsePrompt(name, readFileSync(new URL(`./prompts/${promptFiles[name]}`, import.meta.url), 'utf8'))
    cache.set(name, template)
  }
  return template
}

/**
 * Fills {{name}} for each given variable, in one pass, so text put in (a statement that itself
 * holds {{...}}) is never filled again. Placeholders of other names stay: the gym prompt shows the
 * statement template syntax to the model. A variable the template lacks is a bug in the caller.
 */
export function renderPrompt (template: PromptTemplate, variables: Readonly<Record<string, string | number>>): string {
  for (const name of Object.keys(variables)) {
    if (!template.body.includes(`{{${name}}}`)) throw new Error(`prompt ${template.version} has no {{${name}}}`)
  }
  return template.body.replace(/\{\{([A-Za-z][A-Za-z0-9]*)\}\}/g, (whole, name: string) => Object.hasOwn(variables, name) ? String(variables[name]) : whole)
}

/** The marker each prompt starts with: it names the stage, the problem and the attempt. */
export const promptMarker = /\[codegym-synth stage=([a-z]+) problem=([a-z0-9_-]+) attempt=(\d+)\]/

/** Files in an LLM answer: fenced code blocks whose info string names a file (```js env.js). */
export function extractFiles (answer: string): Map<string, string> {
  const files = new Map<string, string>()
  const fence = /^(`{3,}|~{3,})[ \t]*([A-Za-z0-9_+-]*)[ \t]+([A-Za-z0-9_.-]+\.[A-Za-z0-9]+)[ \t]*\n([\s\S]*?)^\1[ \t]*$/gm
  for (const match of answer.matchAll(fence)) {
    if (!files.has(match[3]!)) files.set(match[3]!, match[4]!)
  }
  return files
}
