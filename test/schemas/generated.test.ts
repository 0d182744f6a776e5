// The generated types match schemas/, and every error code in the catalogue is documented.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { declaredTypes } from '../../scripts/gen-types.ts'
import { generatedTypesPath, schemaFiles } from '../../src/schemas/files.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))

await t.test('src/schemas/*.generated.ts are up to date', async (t) => {
  const run = spawnSync(process.execPath, ['scripts/gen-types.ts', '--check'], { cwd: root, encoding: 'utf8' })
  t.equal(run.status, 0, `gen-types --check passes${run.stderr ? `: ${run.stderr}` : ''}`)
})

await t.test('no type is declared in two generated files: the others re-export the one copy', async (t) => {
  const declaredIn = new Map<string, string[]>()
  for (const path of schemaFiles.map(generatedTypesPath)) {
    for (const name of declaredTypes(readFileSync(path, 'utf8')).keys()) declaredIn.set(name, [...declaredIn.get(name) ?? [], path])
  }
  t.ok(declaredIn.has('StepResult') && declaredIn.has('Request'), 'the generated files were read')
  const twice = [...declaredIn].filter(([, paths]) => paths.length > 1).map(([name, paths]) => `${name}: ${paths.join(', ')}`)
  t.same(twice, [], 'types declared more than once')
})

await t.test('every error code has a description', async (t) => {
  const schema = JSON.parse(readFileSync(new URL('../../schemas/env.schema.json', import.meta.url), 'utf8')) as {
    $defs: Record<string, { oneOf?: Array<{ const?: unknown, description?: unknown }> }>
  }
  for (const name of ['RollbackCode', 'RuntimeErrorCode']) {
    const codes = schema.$defs[name]?.oneOf ?? []
    t.ok(codes.length > 0, `${name} lists its codes`)
    const seen = new Set<unknown>()
    for (const code of codes) {
      t.equal(typeof code.const, 'string', `${name}: each code is a string const`)
      t.ok(typeof code.description === 'string' && code.description.trim().length > 0, `${name} ${String(code.const)} has a description`)
      t.notOk(seen.has(code.const), `${name} ${String(code.const)} is listed once`)
      seen.add(code.const)
    }
  }
})
