// bench/load/hop-profile.ts: each sample's self time goes to the hop of the innermost frame a rule
// matches; unmatched samples stay visible as "other: …"; idle is not busy; with run.json only the
// measured window counts and µs per step comes from the measured CPU per step.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { analyseProfiles } from '../../bench/load/hop-profile.ts'

const dir = mkdtempSync(join(tmpdir(), 'codegym-hops-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const root = process.cwd()
const file = (path: string): string => pathToFileURL(join(root, path)).href

// A fake env-runner source: line 2 calls into the isolate, line 3 does not.
const runnerPath = join(dir, 'runner.js')
writeFileSync(runnerPath, 'function call () {\n  return dispatch.applySync(undefined, [])\n  return other()\n}\n')

interface Frame { functionName: string, url: string }
/** A profile whose nodes are chains under a root; each sample names a chain's leaf; 1 ms apart. */
function profile (chains: Array<{ frames: Frame[], samples: number, positionTicks?: Array<{ line: number, ticks: number }> }>, startTime = 1_000_000): object {
  const nodes: Array<{ id: number, callFrame: Frame & { lineNumber: number }, children: number[], positionTicks?: Array<{ line: number, ticks: number }> }> = [{ id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [] }]
  const samples: number[] = []
  for (const chain of chains) {
    let parent = nodes[0]!
    for (const frame of chain.frames) {
      const node = { id: nodes.length + 1, callFrame: { ...frame, lineNumber: 0 }, children: [] as number[] }
      parent.children.push(node.id)
      nodes.push(node)
      parent = node
    }
    if (chain.positionTicks !== undefined) parent.positionTicks = chain.positionTicks
    for (let i = 0; i < chain.samples; i++) samples.push(parent.id)
  }
  return { nodes, startTime, endTime: startTime + samples.length * 1000, samples, timeDeltas: samples.map(() => 1000) }
}

const serverProfile = profile([
  { frames: [{ functionName: 'receive', url: file('node_modules/ws/lib/receiver.js') }, { functionName: 'emit', url: 'node:events' }, { functionName: 'onFrame', url: file('src/server/connection.ts') }], samples: 30 },
  { frames: [{ functionName: 'dispatch', url: file('src/server/handlers.ts') }, { functionName: 'validate12', url: '' }], samples: 10 },
  { frames: [{ functionName: 'sendFrame', url: file('node_modules/ws/lib/sender.js') }, { functionName: 'writeBuffer', url: '' }], samples: 20 },
  { frames: [{ functionName: 'helper', url: file('src/somewhere/new-module.ts') }, { functionName: 'parse', url: '' }], samples: 15 },
  { frames: [{ functionName: '(garbage collector)', url: '' }], samples: 5 },
  { frames: [{ functionName: '(idle)', url: '' }], samples: 100 },
])
const sandboxProfile = profile([
  { frames: [{ functionName: '', url: file('src/sandbox/worker-main.ts') }, { functionName: 'call', url: pathToFileURL(runnerPath).href }], samples: 40, positionTicks: [{ line: 2, ticks: 30 }, { line: 3, ticks: 10 }] },
  { frames: [{ functionName: '(program)', url: '' }], samples: 10 },
])
writeFileSync(join(dir, 'CPU.20261207.120000.100.0.001.cpuprofile'), JSON.stringify(serverProfile))
writeFileSync(join(dir, 'CPU.20261207.120000.101.0.001.cpuprofile'), JSON.stringify(sandboxProfile))

const breakdown = analyseProfiles(dir, 100)
const role = (name: string) => breakdown.roles.find((each) => each.role === name)!
const share = (roleName: string, hop: string): number | undefined => role(roleName).hops.find((each) => each.hop === hop)?.busyShare
t.same(breakdown.roles.map((each) => each.role), ['sandbox processes', 'server main process'], 'a profile with the sandbox process loop is a sandbox process')
t.equal(role('server main process').samples, 80, 'idle samples are not busy')
t.equal(share('server main process', 'connection'), 30 / 80, 'emit (no rule) passes its time to the connection frame below it')
t.equal(share('server main process', 'schema validation (ajv)'), 10 / 80, 'a compiled ajv validator is schema validation')
t.equal(share('server main process', 'WebSocket framing (ws)'), 20 / 80, 'a native write under ws is ws')
t.equal(share('server main process', 'other: src/somewhere/new-module.ts'), 15 / 80, 'an unmatched sample stays visible, by its project file')
t.equal(share('server main process', 'GC'), 5 / 80, 'GC')
t.equal(share('sandbox processes', 'isolate (env code, copy in/out)'), (30 + 10) / 50, 'the line that calls into the isolate, and (program) in a sandbox process, are the isolate')
t.equal(share('sandbox processes', 'sandbox process loop'), 10 / 50, 'the rest of that function keeps its own hop (here its caller\'s)')
t.equal(role('server main process').hops.find((each) => each.hop === 'connection')!.microsPerStep, 300, 'without run.json µs per step is profile time / --steps')

// With run.json: a window that keeps the first 30 samples, and the measured CPU per step.
writeFileSync(join(dir, 'run.json'), JSON.stringify({ windowMicros: [1_000_000, 1_030_000], steps: 10, serverPid: 100, cpuMicrosPerStep: { 'server main process': 50, 'sandbox processes': 20 } }))
const windowed = analyseProfiles(dir)
const main = windowed.roles.find((each) => each.role === 'server main process')!
t.equal(main.samples, 30, 'only samples inside the measured window count')
t.same(main.hops.map((each) => [each.hop, each.microsPerStep]), [['connection', 50]], 'µs per step = share × the measured CPU per step')
t.equal(windowed.combined.find((each) => each.hop === 'connection')!.microsPerStep, 50, 'the combined table sums the roles')

const cli = spawnSync(process.execPath, ['bench/load/hop-profile.ts', dir, '--steps', '10', '--out-dir', dir], { encoding: 'utf8', timeout: 60_000 })
t.equal(cli.status, 0, `the standalone command runs (stderr: ${cli.stderr})`)
t.match(readFileSync(join(dir, 'hops.md'), 'utf8'), /\| connection \| 100\.0% \| 50\.00 \|/, 'and writes hops.md')
t.ok(JSON.parse(readFileSync(join(dir, 'hops.json'), 'utf8')).roles.length === 2, 'and hops.json')
const bad = spawnSync(process.execPath, ['bench/load/hop-profile.ts', dir, '--steps', 'x'], { encoding: 'utf8', timeout: 60_000 })
t.match(bad.stderr, /--steps takes a whole number above 0; got x/, 'a bad --steps is refused clearly')
