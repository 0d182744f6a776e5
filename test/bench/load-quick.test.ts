// `codegym bench --quick` runs end to end: baselines, full stack and its CPU per step, half peak
// against echo, rollback cost, active and idle sessions, sweep; every response is checked by the
// generators (a wrong one makes the run exit non-zero). Then `--before` that result.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

const outDir = mkdtempSync(join(tmpdir(), 'codegym-bench-'))
t.teardown(() => rmSync(outDir, { recursive: true, force: true }))

const run = spawnSync(process.execPath, ['bin/codegym.js', 'bench', '--quick', '--sweep', '--duration-s', '0.5', '--warmup-s', '0.25', '--out-dir', outDir], { encoding: 'utf8', timeout: 240_000 })
t.equal(run.status, 0, `bench --quick exits 0 (stderr: ${run.stderr.slice(-2000)})`)

const result = JSON.parse(readFileSync(join(outDir, 'result.json'), 'utf8')) as Record<string, any>
t.same(JSON.parse(run.stdout), result, 'stdout carries the same JSON as result.json')
t.ok(result.fullStack.requestsPerSecond > 0, 'fullStack measured requests/s')
t.ok(result.fullStack.latencyMs.p99 >= result.fullStack.latencyMs.p50, 'fullStack p99 ≥ p50')
t.ok(result.baselines.echo.requestsPerSecond > 0, 'echo baseline measured')
t.ok(result.baselines.inProcess.stepsPerSecond > 0, 'in-process baseline measured')
t.ok(result.fullStack.ratioToEcho > 0, 'ratio to the echo baseline reported')
t.ok(result.fullStack.rollbackShare > 0 && result.fullStack.rollbackShare < 1, 'the mix includes rolled-back calls, counted over the measured window')
t.same(Object.keys(result.fullStack.errors), ['tool_error'], 'the only errors are the intended rollbacks')
t.same(Object.keys(result.fullStack.latencyByKindMs).sort(), ['done', 'fail', 'observe', 'valid'], 'latency is reported by kind of step')

// Server CPU per step, over the measured window, split by role; the echo server's and the generator's.
const finitePositive = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value) && value > 0
const cpu = result.serverCpuPerStep
t.ok(finitePositive(cpu.mainMicros) && finitePositive(cpu.sandboxMicros), `CPU per step of the main and the sandbox processes (${cpu.mainMicros} / ${cpu.sandboxMicros} µs)`)
t.ok(Math.abs(cpu.mainMicros + cpu.sandboxMicros - cpu.totalMicros) < 0.02, 'the total is main + sandbox')
t.equal(cpu.sessions, 256, 'at --sessions')
t.ok(finitePositive(cpu.atHalfPeakSessions.totalMicros), 'and at the smaller count')
t.ok(finitePositive(cpu.cpuRatioToEcho), 'server CPU per step / echo CPU per request')
t.ok(finitePositive(result.echoCpuPerRequest.totalMicros) && result.echoCpuPerRequest.sandboxMicros === 0, 'echo server CPU per request (one process)')
t.ok(finitePositive(result.generatorCpuMicrosPerRequest.fullStack) && finitePositive(result.generatorCpuMicrosPerRequest.echo), 'generator CPU per request')
t.equal(result.headline.serverCpuMicrosPerStep, cpu.totalMicros, 'the headline carries the CPU per step')
t.same(Object.keys(result.rounds).sort(), ['256', '64'], 'rounds at both session counts')

// p99 at half of peak against echo at the same offered load, at both counts.
t.same(result.halfPeak.map((point: { sessions: number }) => point.sessions), [64, 256], 'half peak at the smaller count and at --sessions')
for (const point of result.halfPeak) {
  t.ok(finitePositive(point.offeredRequestsPerSecond) && finitePositive(point.fullStack.requestsPerSecond) && finitePositive(point.echo.requestsPerSecond), `${point.sessions}: both paced phases ran`)
  t.ok(finitePositive(point.p99RatioToEcho), `${point.sessions}: p99 ratio to echo (${point.p99RatioToEcho})`)
}

// Rollback cost in CPU: every call valid against every call failing.
t.ok(finitePositive(result.rollbackCost.valid.cpuMicrosPerStep) && finitePositive(result.rollbackCost.fail.cpuMicrosPerStep) && finitePositive(result.rollbackCost.cpuRatio), 'CPU per valid and per rolled-back step')
t.equal(result.rollbackCost.valid.rollbackShare, 0, 'the valid-only phase rolls nothing back')
t.equal(result.rollbackCost.fail.rollbackShare, 1, 'the fail-only phase rolls every call back')

// RSS per active session.
const active = result.activeSessions
t.equal(active.sessions, 256, 'active sessions at --sessions')
t.ok(active.samples >= 2 && active.rssPeakBytes >= active.rssBeforeBytes && active.rssPeakBytes >= active.rssEndBytes, 'RSS sampled during the phase; the peak is the largest reading')
t.ok(Number.isFinite(active.peakBytesPerSession) && Number.isFinite(active.endBytesPerSession), 'bytes per active session (peak and end)')

// Targets: no reference given, so the CPU target is not judged.
const cpuTarget = result.targets.find((target: { name: string }) => target.name.startsWith('server CPU per step'))
t.equal(cpuTarget.note, 'no reference', 'without --before the CPU target shows no reference')
t.equal(result.comparison, undefined, 'and there is no comparison')
t.ok(result.targets.every((target: { met: unknown, note?: string }) => typeof target.met === 'boolean' || typeof target.note === 'string'), 'each target says whether it is met, or why not')
t.equal(result.idle.sessions, 2000, 'every idle session was created and held')
t.ok(result.idle.bytesPerSession > 0, 'memory per idle session reported')
t.equal(result.sweep.length, 2, 'the quick sweep has two session counts')
t.equal(result.connectionSweep.length, 2, 'and two connection counts')
t.ok(result.correctness.responsesChecked > 1000 && result.correctness.wrong === 0, 'responses were checked')
t.match(result.gitCommit, /^[0-9a-f]{40}$|^unknown$/, 'the commit is recorded')
const summary = readFileSync(join(outDir, 'summary.md'), 'utf8')
t.match(summary, /^# codegym-serve load benchmark\n(?:[^#].*\n|\n)*## Server CPU per step\n/, 'the summary starts with the server CPU per step')
t.match(summary, /\| full stack, 256 sessions \|/, 'the Markdown summary has the full-stack row')
t.match(readFileSync(join(outDir, 'sweep.svg'), 'utf8'), /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, 'the sweep chart is an SVG')
