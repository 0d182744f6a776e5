// Regenerates the TypeScript types in src/schemas/ from schemas/*.schema.json.
// `node scripts/gen-types.ts --check` exits 1 when a generated file is out of date.
import { readFile, writeFile } from 'node:fs/promises'
import { compile } from 'json-schema-to-typescript'
import { schemaFiles, schemasDir, generatedTypesPath } from '../src/schemas/files.ts'

const banner = '/* Generated from schemas/ by scripts/gen-types.ts. Do not edit; run `npm run gen:types`. */'

export async function renderTypes (schemaPath: string): Promise<string> {
  const schema = JSON.parse(await readFile(schemaPath, 'utf8'))
  return compile(schema, schema.title, {
    bannerComment: banner,
    unreachableDefinitions: true,
    additionalProperties: false,
    strictIndexSignatures: true,
    ignoreMinAndMaxItems: true,
    format: true,
    cwd: schemasDir,
    style: { semi: false, singleQuote: true },
  })
}

async function main (): Promise<void> {
  const check = process.argv.includes('--check')
  let stale = 0
  for (const schemaPath of schemaFiles) {
    const target = generatedTypesPath(schemaPath)
    const fresh = await renderTypes(schemaPath)
    const current = await readFile(target, 'utf8').catch(() => '')
    if (fresh === current) continue
    if (check) {
      console.error(`${target} is out of date with ${schemaPath}: run npm run gen:types`)
      stale++
    } else {
      await writeFile(target, fresh)
      console.log(`wrote ${target}`)
    }
  }
  process.exitCode = stale > 0 ? 1 : 0
}

if (import.meta.main) await main()
