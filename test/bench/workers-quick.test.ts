// `codegym bench --quick --server-workers 1,2` runs end to end: a server at each worker count,
// every response checked, steps/s and the ratio to the first count reported from the same run.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

const outDir = mkdtempSync(join(tmpdir(), 'codegym-bench-workers-'))
t.teardown(() => rmSync(outDir, { recursive: true, force: true }))

const run = spawnSync(process.execPath, ['bin/codegym.js', 'bench', '--quick', '--server-workers', '1,2', '--sessions', '64', '--duration-s', '0.5', '--out-dir', outDir], { encoding: 'utf8', timeout: 120_000 })
t.equal(run.status, 0, `bench --server-workers exits 0 (stderr: ${run.stderr.slice(-2000)})`)

const result = JSON.parse(readFileSync(join(outDir, 'workers.json'), 'utf8')) as Record<string, any>
t.same(JSON.parse(run.stdout), result, 'stdout carries the same JSON as workers.json')
t.same(result.points.map((point: { serverWorkers: number }) => point.serverWorkers), [1, 2], 'one point per worker count, in the order given')
const [one, two] = result.points as Array<{ stepsPerSecond: number, ratioToBaseline: number, serverProcesses: number, p50Ms: number, p99Ms: number }>
t.ok(one!.stepsPerSecond > 0 && two!.stepsPerSecond > 0, 'steps/s measured at both counts')
t.equal(one!.ratioToBaseline, 1, 'the first count is the baseline')
t.equal(two!.ratioToBaseline, Number((two!.stepsPerSecond / one!.stepsPerSecond).toFixed(3)), 'the ratio is of the two medians')
// 1 worker: the server and its 2 sandbox processes on this 2-core machine; 2 workers: a primary,
// 2 workers and their sandboxes. Counted from /proc, whatever the cores: the second has more.
t.ok(two!.serverProcesses > one!.serverProcesses, `--workers 2 runs more processes (${one!.serverProcesses} → ${two!.serverProcesses})`)
t.ok(two!.p99Ms >= two!.p50Ms, 'p99 ≥ p50')
t.ok(result.points.every((point: { serverCpuMicrosPerStep: number }) => Number.isFinite(point.serverCpuMicrosPerStep) && point.serverCpuMicrosPerStep > 0), 'server CPU per step at each count')
t.ok(result.correctness.responsesChecked > 100 && result.correctness.wrong === 0, 'responses were checked')
t.match(readFileSync(join(outDir, 'workers.md'), 'utf8'), /\| 2 \| [\d,.]+ \| \*\*[\d.]+×\*\* \|/, 'the Markdown table has the 2-worker row')
const bad = spawnSync(process.execPath, ['bin/codegym.js', 'bench', '--server-workers', '1,x', '--out-dir', outDir], { encoding: 'utf8', timeout: 60_000 })
t.not(bad.status, 0, 'a bad count fails the run')
t.match(bad.stderr, /--server-workers takes whole numbers of at least 1; got NaN/, 'with a clear message')
