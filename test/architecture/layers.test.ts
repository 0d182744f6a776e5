// The layering of ARCHITECTURE.md, held by the import graph: arrows run one way (a file imports its
// own layer or a lower one), clients never link the server or the runtime, and no import cycle
// exists, in TypeScript or in the Python client; client code imports src/ only through the
// contract's entry, and nothing under src/ imports app/, clients/, bench/ or tools/. A known
// violation would be listed, edge by edge, in `pending`; an entry no longer needed fails the test.
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { cycles, listFiles, pythonGraph, reaches, typescriptGraph, type Graph } from './import-graph.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))

/** Layers, top to bottom; the first prefix that matches a path gives its layer. */
const layers = ['entry', 'clients-and-tools', 'server', 'runtime', 'contract'] as const
type Layer = typeof layers[number]
const layerPrefixes: ReadonlyArray<[string, Layer]> = [
  ['bin/', 'entry'],
  ['app/', 'entry'],
  ['clients/', 'clients-and-tools'],
  ['bench/', 'clients-and-tools'],
  ['tools/', 'clients-and-tools'],
  ['src/synth/', 'clients-and-tools'],
  ['src/env-check/', 'clients-and-tools'],
  ['src/conformance/', 'clients-and-tools'],
  ['src/server/', 'server'],
  ['src/env/', 'runtime'],
  ['src/sandbox/', 'runtime'],
  // src/contract (codec, catalogue, transport, errors, plain data, prompt rendering; index.ts is its
  // entry), src/schemas (generated types, validators) and the other leaf modules.
  ['src/', 'contract'],
]
/**
 * Code that speaks the protocol from the outside (the client libraries and the conformance kit)
 * imports from src/ only the contract's one entry, whatever the layers allow.
 */
const contractEntry = 'src/contract/index.ts'
const outsideSpeakers = ['clients/', 'src/conformance/']
const speaksFromOutside = (path: string): boolean => outsideSpeakers.some((prefix) => path.startsWith(prefix))

function layerOf (path: string): Layer | undefined {
  return layerPrefixes.find(([prefix]) => path.startsWith(prefix))?.[1]
}
const rank = (layer: Layer): number => layers.length - layers.indexOf(layer)

/**
 * Known violations, each an exact edge 'from -> to' with why it is still there (today none). An
 * entry must be deleted with the import it excuses: the test fails on one no longer needed.
 */
const pending: ReadonlyMap<string, string> = new Map<string, string>([])

const sourceDirs = ['app', 'src', 'clients/ts', 'clients/grpo', 'bench', 'tools', 'bin']
const files = sourceDirs.flatMap((dir) => listFiles(root, dir, ['.ts', '.js'])).filter((file) => !file.startsWith('src/sandbox/guest/'))
const graph = typescriptGraph(root, files)

function layerViolations (): Map<string, string> {
  const found = new Map<string, string>()
  for (const [from, targets] of graph) {
    const fromLayer = layerOf(from)
    for (const to of targets) {
      const toLayer = layerOf(to)
      if (fromLayer === undefined || toLayer === undefined) continue
      if (rank(toLayer) > rank(fromLayer)) found.set(`${from} -> ${to}`, `${fromLayer} imports ${toLayer}, a higher layer`)
      else if (from.startsWith('src/') && !to.startsWith('src/') && !to.startsWith('node_modules/')) found.set(`${from} -> ${to}`, 'the library imports something outside src/ (an app, client, bench or tool)')
      else if (speaksFromOutside(from) && to.startsWith('src/') && !speaksFromOutside(to) && to !== contractEntry) found.set(`${from} -> ${to}`, `a client imports ${to} instead of ${contractEntry}`)
    }
  }
  return found
}

await t.test('every source file is in a layer and every relative import resolves to a file', async (t) => {
  const known = new Set(files)
  t.same(files.filter((file) => layerOf(file) === undefined), [], 'files outside every layer')
  const unresolved = [...graph].flatMap(([from, targets]) => [...targets].filter((to) => !known.has(to) && !to.startsWith('node_modules/')).map((to) => `${from} -> ${to}`))
  // Imports of files outside the scanned folders (scripts/, test/) would escape the check.
  t.same(unresolved, [], 'imports of files outside the checked folders')
})

await t.test('imports run down the layers; clients import src/ only through the contract entry', async (t) => {
  const violations = layerViolations()
  const unexpected = [...violations].filter(([edge]) => !pending.has(edge)).map(([edge, why]) => `${edge}: ${why}`)
  t.same(unexpected, [], 'imports against the layering')
})

await t.test('no import cycle outside the pending edges', async (t) => {
  const withoutPending: Graph = new Map([...graph].map(([from, targets]) => [from, new Set([...targets].filter((to) => !pending.has(`${from} -> ${to}`)))]))
  t.same(cycles(withoutPending), [], 'import cycles')
})

await t.test('every pending exception is still needed', async (t) => {
  const violations = layerViolations()
  for (const [edge, why] of pending) {
    const [from, to] = edge.split(' -> ') as [string, string]
    const present = graph.get(from)?.has(to) === true
    t.ok(present, `${edge} (${why}) still exists; if it is gone, delete it from pending`)
    if (!present) continue
    t.ok(violations.has(edge) || reaches(graph, to, from), `${edge} (${why}) still breaks the layering or closes a cycle; if not, delete it from pending`)
  }
})

await t.test('the Python client has no import cycle', async (t) => {
  const python = pythonGraph(root, 'clients/python/codegym_client')
  t.ok(python.size > 5, 'the package was read')
  t.ok([...python.values()].some((targets) => targets.size > 0), 'its imports were read')
  t.same(cycles(python), [], 'import cycles in codegym_client')
})
