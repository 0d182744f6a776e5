// `codegym bench --quick` runs end to end: baselines, full stack, half peak, idle, sweep; every
// response is checked by the generators (a wrong one makes the run exit non-zero).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

const outDir = mkdtempSync(join(tmpdir(), 'codegym-bench-'))
t.teardown(() => rmSync(outDir, { recursive: true, force: true }))

const run = spawnSync(process.execPath, ['bin/codegym.js', 'bench', '--quick', '--sweep', '--out-dir', outDir], { encoding: 'utf8', timeout: 120_000 })
t.equal(run.status, 0, `bench --quick exits 0 (stderr: ${run.stderr.slice(-2000)})`)

const result = JSON.parse(readFileSync(join(outDir, 'result.json'), 'utf8')) as Record<string, any>
t.same(JSON.parse(run.stdout), result, 'stdout carries the same JSON as result.json')
for (const phase of ['fullStack', 'halfPeak'] as const) {
  t.ok(result[phase].requestsPerSecond > 0, `${phase} measured requests/s`)
  t.ok(result[phase].latencyMs.p99 >= result[phase].latencyMs.p50, `${phase} p99 ≥ p50`)
}
t.ok(result.baselines.echo.requestsPerSecond > 0, 'echo baseline measured')
t.ok(result.baselines.inProcess.stepsPerSecond > 0, 'in-process baseline measured')
t.ok(result.fullStack.ratioToEcho > 0, 'ratio to the echo baseline reported')
t.ok(result.fullStack.rollbackShare > 0, 'the mix includes rolled-back calls')
t.same(Object.keys(result.fullStack.errors), ['tool_error'], 'the only errors are the intended rollbacks')
t.ok(result.fullStack.server.rssBytes > 0 && result.fullStack.server.processes >= 2, 'server RSS is read over its sandbox processes too')
t.equal(result.idle.sessions, 2000, 'every idle session was created and held')
t.ok(result.idle.bytesPerSession > 0, 'memory per idle session reported')
t.equal(result.sweep.length, 2, 'the quick sweep has two session counts')
t.equal(result.connectionSweep.length, 2, 'and two connection counts')
t.ok(result.correctness.responsesChecked > 1000 && result.correctness.wrong === 0, 'responses were checked')
t.match(result.gitCommit, /^[0-9a-f]{40}$|^unknown$/, 'the commit is recorded')
t.ok(result.targets.every((target: { met: unknown }) => typeof target.met === 'boolean'), 'each target says whether it is met')
t.match(readFileSync(join(outDir, 'summary.md'), 'utf8'), /\| full stack \|/, 'the Markdown summary has the full-stack row')
t.match(readFileSync(join(outDir, 'sweep.svg'), 'utf8'), /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, 'the sweep chart is an SVG')
