// No dead exports: every exported function, class or constant of the project's modules is imported
// somewhere (a test counts) or used in its own file. Public entries (a client library's index.ts)
// are exempt: their exports are the API. A known dead export that cannot go yet is listed in
// `pending` (today none); an entry that is no longer dead fails the test.
import { readFileSync } from 'node:fs'
import { dirname, join, normalize, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import ts from 'typescript'
import { listFiles } from './import-graph.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const toPosix = (path: string): string => path.split(sep).join('/')

/** Modules whose exports are a public API, used by programs outside this repository. */
const publicEntries = new Set(['clients/ts/index.ts', 'clients/grpo/index.ts', 'tools/test-backend/index.ts'])

/** Dead exports still there, as 'file#name'; delete each with the export. */
const pending = new Set<string>([])

const checked = ['app', 'src', 'clients/ts', 'clients/grpo', 'bench', 'tools', 'scripts'].flatMap((dir) => listFiles(root, dir, ['.ts']))
  .filter((file) => !file.endsWith('.generated.ts') && !publicEntries.has(file))
// bin/ counts as a user: its scripts import src/ with import() (after the Node version check).
const users = [...checked, ...publicEntries, ...listFiles(root, 'test', ['.ts']), ...listFiles(root, 'bin', ['.js'])]

/** Names each file imports (or re-exports) from each other file; '*' for a namespace import or `export *`. */
const imported = new Map<string, Set<string>>()
const mark = (file: string, name: string): void => {
  let names = imported.get(file)
  if (names === undefined) imported.set(file, names = new Set())
  names.add(name)
}
/** `const { a, b } = await import('./x')`: the names taken from x; a bare import() takes them all. */
function markDynamicImports (file: string, source: ts.SourceFile): void {
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const specifier = node.arguments[0]
      if (specifier !== undefined && ts.isStringLiteral(specifier) && specifier.text.startsWith('.')) {
        const target = toPosix(normalize(relative(root, join(root, dirname(file), specifier.text))))
        const awaited = ts.isAwaitExpression(node.parent) ? node.parent : undefined
        const binding = awaited !== undefined && ts.isVariableDeclaration(awaited.parent) ? awaited.parent.name : undefined
        if (binding !== undefined && ts.isObjectBindingPattern(binding)) {
          for (const element of binding.elements) {
            const name = element.propertyName ?? element.name
            if (ts.isIdentifier(name)) mark(target, name.text)
          }
        } else {
          mark(target, '*')
        }
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
}

const sources = new Map<string, ts.SourceFile>()
for (const file of new Set(users)) {
  const source = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.Latest, true)
  sources.set(file, source)
  markDynamicImports(file, source)
  for (const statement of source.statements) {
    if (!(ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement))) continue
    const specifier = statement.moduleSpecifier
    if (specifier === undefined || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) continue
    const target = toPosix(normalize(relative(root, join(root, dirname(file), specifier.text))))
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause
      if (clause === undefined) continue
      if (clause.name !== undefined) mark(target, 'default')
      const bindings = clause.namedBindings
      if (bindings !== undefined && ts.isNamespaceImport(bindings)) mark(target, '*')
      else for (const element of bindings?.elements ?? []) mark(target, (element.propertyName ?? element.name).text)
    } else if (statement.exportClause === undefined) {
      mark(target, '*')
    } else if (ts.isNamedExports(statement.exportClause)) {
      for (const element of statement.exportClause.elements) mark(target, (element.propertyName ?? element.name).text)
    }
  }
}

/** Exported functions, classes, enums and variables declared in a file (types are left out). */
function exportedValues (source: ts.SourceFile): string[] {
  const names: string[] = []
  for (const statement of source.statements) {
    const exported = ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword) === true
    if (!exported) continue
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) if (ts.isIdentifier(declaration.name)) names.push(declaration.name.text)
    } else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isEnumDeclaration(statement)) && statement.name !== undefined) {
      names.push(statement.name.text)
    }
  }
  return names
}

/** How many identifiers in the file spell `name` (its declaration is one). */
function mentions (source: ts.SourceFile, name: string): number {
  let count = 0
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && node.text === name) count++
    ts.forEachChild(node, visit)
  }
  visit(source)
  return count
}

const dead = new Set<string>()
for (const file of checked) {
  const names = imported.get(file)
  if (names?.has('*') === true) continue
  const source = sources.get(file)!
  for (const name of exportedValues(source)) {
    if (names?.has(name) !== true && mentions(source, name) <= 1) dead.add(`${file}#${name}`)
  }
}

await t.test('the scan read the modules', async (t) => {
  t.ok(checked.length > 100, `${checked.length} modules checked`)
  t.ok(imported.size > 100, `${imported.size} modules imported somewhere`)
})

await t.test('no export is unused everywhere', async (t) => {
  t.same([...dead].filter((entry) => !pending.has(entry)).sort(), [], 'exports that nothing imports and their own file does not use')
})

await t.test('every pending dead export is still dead', async (t) => {
  for (const entry of pending) t.ok(dead.has(entry), `${entry} is still a dead export (once it is not, delete it from pending)`)
})
