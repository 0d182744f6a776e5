// Regenerates the TypeScript types in src/schemas/ from schemas/*.schema.json.
// `node scripts/gen-types.ts --check` exits 1 when a generated file is out of date.
// A schema that refers to env.schema.json gets env's types re-exported from env.generated.ts, not
// declared a second time, so every caller imports one copy of each type.
import { readFile, writeFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { compile } from 'json-schema-to-typescript'
import ts from 'typescript'
import { schemaFiles, schemasDir, generatedTypesPath } from '../src/schemas/files.ts'

const banner = '/* Generated from schemas/ by scripts/gen-types.ts. Do not edit; run `npm run gen:types`. */'
/** The schema whose types the others share: its generated file is the one copy of them. */
const sharedSchema = 'env.schema.json'

async function compileSchema (schemaPath: string): Promise<string> {
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

/** Top-level exported type and interface declarations of a generated file, by name, as their text. */
export function declaredTypes (text: string): Map<string, { text: string, start: number, end: number }> {
  const source = ts.createSourceFile('generated.ts', text, ts.ScriptTarget.Latest, true)
  const found = new Map<string, { text: string, start: number, end: number }>()
  for (const statement of source.statements) {
    if (!(ts.isTypeAliasDeclaration(statement) || ts.isInterfaceDeclaration(statement))) continue
    found.set(statement.name.text, { text: statement.getText(source), start: statement.getFullStart(), end: statement.getEnd() })
  }
  return found
}

/**
 * The generated file with every declaration that the shared file already has (the same name and the
 * same text) replaced by a re-export of the shared one. A name declared differently is an error:
 * two different types must not share a name.
 */
function withSharedTypes (text: string, shared: string, sharedModule: string): string {
  const sharedTypes = declaredTypes(shared)
  const own = declaredTypes(text)
  const reused: string[] = []
  let out = text
  for (const [name, declaration] of [...own].sort(([, a], [, b]) => b.start - a.start)) {
    const original = sharedTypes.get(name)
    if (original === undefined) continue
    if (original.text !== declaration.text) throw new Error(`${name} is declared differently from ${sharedModule}; rename one of them in schemas/`)
    out = out.slice(0, declaration.start) + out.slice(declaration.end)
    reused.push(name)
  }
  if (reused.length === 0) return out
  reused.sort()
  // Imported only where this file's own declarations refer to them; re-exported all the same.
  const referenced = reused.filter((name) => new RegExp(`\\b${name}\\b`).test(out))
  const head = out.indexOf(banner) + banner.length
  const imports = referenced.length > 0 ? `\n\nimport type { ${referenced.join(', ')} } from '${sharedModule}'` : ''
  const reexport = `${imports}\nexport type { ${reused.join(', ')} } from '${sharedModule}'`
  return (out.slice(0, head) + reexport + out.slice(head)).replace(/\n{3,}/g, '\n\n')
}

/** Every generated file's text, by its path. */
export async function renderAllTypes (): Promise<Map<string, string>> {
  const sharedPath = schemaFiles.find((path) => basename(path) === sharedSchema)
  if (sharedPath === undefined) throw new Error(`schemas/${sharedSchema} is missing`)
  const shared = await compileSchema(sharedPath)
  const sharedModule = `./${basename(generatedTypesPath(sharedPath))}`
  const rendered = new Map<string, string>()
  for (const schemaPath of schemaFiles) {
    const text = schemaPath === sharedPath ? shared : withSharedTypes(await compileSchema(schemaPath), shared, sharedModule)
    rendered.set(generatedTypesPath(schemaPath), text)
  }
  return rendered
}

async function main (): Promise<void> {
  const check = process.argv.includes('--check')
  let stale = 0
  for (const [target, fresh] of await renderAllTypes()) {
    const current = await readFile(target, 'utf8').catch(() => '')
    if (fresh === current) continue
    if (check) {
      console.error(`${target} is out of date with schemas/: run npm run gen:types`)
      stale++
    } else {
      await writeFile(target, fresh)
      console.log(`wrote ${target}`)
    }
  }
  process.exitCode = stale > 0 ? 1 : 0
}

if (import.meta.main) await main()
