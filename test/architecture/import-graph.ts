// The import graph of the repository's own modules, read from the source text (import and export
// statements, literal dynamic imports), for the layering test. Paths are relative to the repository
// root, with '/' separators.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize, relative, sep } from 'node:path'
import ts from 'typescript'

export type Graph = Map<string, Set<string>>

const toPosix = (path: string): string => path.split(sep).join('/')

/** Every file under `dir` (relative to root) whose name ends with one of `extensions`. */
export function listFiles (root: string, dir: string, extensions: readonly string[]): string[] {
  const found: string[] = []
  const walk = (relativeDir: string): void => {
    let entries
    try {
      entries = readdirSync(join(root, relativeDir), { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      const path = `${relativeDir}/${entry.name}`
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(path)
      } else if (extensions.some((extension) => entry.name.endsWith(extension))) {
        found.push(path)
      }
    }
  }
  walk(dir)
  return found.sort()
}

/** Each TypeScript or JavaScript file's imports of other files of the repository (not packages). */
export function typescriptGraph (root: string, files: readonly string[]): Graph {
  const graph: Graph = new Map()
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true)
    const targets = new Set<string>()
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue
      targets.add(toPosix(normalize(relative(root, join(root, dirname(file), fileName)))))
    }
    graph.set(file, targets)
  }
  return graph
}

/** A Python package's imports between its own modules (`from .x import y`, `from . import x`), lazy ones included. */
export function pythonGraph (root: string, packageDir: string): Graph {
  const files = listFiles(root, packageDir, ['.py'])
  const known = new Set(files)
  const graph: Graph = new Map()
  for (const file of files) {
    const targets = new Set<string>()
    const here = dirname(file)
    for (const match of readFileSync(join(root, file), 'utf8').matchAll(/^\s*from\s+(\.+)([\w.]*)\s+import\s+\(?([\w\s,*]+)/gm)) {
      let base = here
      for (let level = 1; level < match[1]!.length; level++) base = dirname(base)
      const modulePath = match[2] === '' ? base : `${base}/${match[2]!.replaceAll('.', '/')}`
      const asModule = (path: string): string | undefined => [`${path}.py`, `${path}/__init__.py`].find((candidate) => known.has(candidate))
      if (match[2] === '') {
        // `from . import a, b`: each name is a submodule, or else a name from the package itself.
        for (const name of match[3]!.split(',').map((part) => part.trim().split(/\s+/)[0]!).filter((name) => name !== '')) {
          const target = asModule(`${modulePath}/${name}`) ?? asModule(modulePath)
          if (target !== undefined && target !== file) targets.add(target)
        }
      } else {
        const target = asModule(modulePath)
        if (target !== undefined && target !== file) targets.add(target)
      }
    }
    graph.set(file, targets)
  }
  return graph
}

/** The strongly connected components with more than one file (Tarjan): each holds a cycle. */
export function cycles (graph: Graph): string[][] {
  let counter = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (node: string): void => {
    index.set(node, counter)
    low.set(node, counter)
    counter++
    stack.push(node)
    onStack.add(node)
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue
      if (!index.has(next)) {
        visit(next)
        low.set(node, Math.min(low.get(node)!, low.get(next)!))
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!))
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = []
      let member: string
      do {
        member = stack.pop()!
        onStack.delete(member)
        component.push(member)
      } while (member !== node)
      if (component.length > 1) found.push(component.sort())
    }
  }
  for (const node of graph.keys()) if (!index.has(node)) visit(node)
  return found
}

/** Whether `to` is reachable from `from`. */
export function reaches (graph: Graph, from: string, to: string): boolean {
  const seen = new Set<string>([from])
  const queue = [from]
  while (queue.length > 0) {
    const node = queue.shift()!
    if (node === to) return true
    for (const next of graph.get(node) ?? []) if (!seen.has(next)) { seen.add(next); queue.push(next) }
  }
  return false
}
