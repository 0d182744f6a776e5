import { fileURLToPath } from 'node:url'
import { basename, join } from 'node:path'

/** The repository's schemas/ folder: the single source of every shape on disk and on the wire. */
export const schemasDir = fileURLToPath(new URL('../../schemas/', import.meta.url))

export const schemaFiles: readonly string[] = ['env.schema.json', 'protocol.schema.json', 'synth.schema.json'].map((name) => join(schemasDir, name))

/** src/schemas/<name>.generated.ts for schemas/<name>.schema.json */
export function generatedTypesPath (schemaPath: string): string {
  const name = basename(schemaPath, '.schema.json')
  return fileURLToPath(new URL(`./${name}.generated.ts`, import.meta.url))
}
