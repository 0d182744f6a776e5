// `node bench/cluster.ts --quick` runs end to end: 1 vs 3 servers, snapshots off vs every step,
// idle sessions held; every step's observation is checked (a wrong one makes the run exit non-zero).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

const outDir = mkdtempSync(join(tmpdir(), 'codegym-cluster-bench-'))
t.teardown(() => rmSync(outDir, { recursive: true, force: true }))

const run = spawnSync(process.execPath, ['bench/cluster.ts', '--quick', '--out-dir', outDir], { encoding: 'utf8', timeout: 120_000 })
t.equal(run.status, 0, `bench/cluster.ts --quick exits 0 (stderr: ${run.stderr.slice(-2000)})`)

const result = JSON.parse(readFileSync(join(outDir, 'result.json'), 'utf8')) as Record<string, any>
t.same(JSON.parse(run.stdout), result, 'stdout carries the same JSON as result.json')
for (const [phase, a, b] of [['throughput', 'oneServer', 'threeServers'], ['snapshots', 'off', 'everyStep']] as const) {
  t.ok(result[phase][a].stepsPerSecond > 0 && result[phase][b].stepsPerSecond > 0, `${phase}: both configurations measured`)
  t.equal(result[phase].rounds.a.length, 1, `${phase}: one quick round each`)
  t.equal(result[phase][a].migrations + result[phase][b].migrations, 0, `${phase}: no session moved in a run without faults`)
}
const roundRatio = (a: { stepsPerSecond: number }, b: { stepsPerSecond: number }): number => Number((a.stepsPerSecond / b.stepsPerSecond).toFixed(3))
t.equal(result.throughput.ratio, roundRatio(result.throughput.rounds.b[0], result.throughput.rounds.a[0]), 'with one round, the paired 3-vs-1 ratio is that round\'s')
t.equal(result.throughput.ratioOfMedians, roundRatio(result.throughput.threeServers, result.throughput.oneServer), 'the ratio of the medians')
t.equal(result.snapshots.costRatio, roundRatio(result.snapshots.rounds.a[0], result.snapshots.rounds.b[0]), 'the snapshot cost is off / every step')
t.equal(result.snapshots.costRatioOfMedians, roundRatio(result.snapshots.off, result.snapshots.everyStep), 'and of the medians')
t.equal(result.snapshots.met, result.snapshots.costRatio <= 1.3, 'the target verdict follows the ratio')
t.ok(result.snapshots.snapshotBytes > 0, 'snapshot size reported')
t.ok(result.snapshots.cpu.offMicrosPerStep > 0 && result.snapshots.cpu.everyStepMicrosPerStep > 0, 'CPU time per step measured for both')
t.equal(result.held.oneServer.sessions, 600, 'one server held every idle session')
t.equal(result.held.threeServers.sessions, 600, 'three servers held every idle session')
t.same(result.held.threeServers.sessionsPerServer, [200, 200, 200], 'least-loaded placement spread them evenly')
t.ok(result.correctness.stepsChecked > 100 && result.correctness.wrong === 0, 'steps were checked')
t.match(result.gitCommit, /^[0-9a-f]{40}$|^unknown$/, 'the commit is recorded')
t.match(readFileSync(join(outDir, 'summary.md'), 'utf8'), /\| steps\/s, 1 server \/ 3 servers \(medians\) \|/, 'the Markdown summary has the 1-vs-3 row')
