// `codegym bench --quick --cpu-prof`: one full-stack phase against a profiled codegym-serve; every
// server process (the main one and its sandbox processes) leaves a profile, and hops.json splits
// the measured CPU per step among hops.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

const outDir = mkdtempSync(join(tmpdir(), 'codegym-bench-prof-'))
t.teardown(() => rmSync(outDir, { recursive: true, force: true }))

const run = spawnSync(process.execPath, ['bin/codegym.js', 'bench', '--quick', '--cpu-prof', '--duration-s', '1', '--out-dir', outDir], { encoding: 'utf8', timeout: 120_000 })
t.equal(run.status, 0, `bench --cpu-prof exits 0 (stderr: ${run.stderr.slice(-2000)})`)

const hops = JSON.parse(readFileSync(join(outDir, 'hops.json'), 'utf8')) as Record<string, any>
t.same(JSON.parse(run.stdout), hops, 'stdout carries the same JSON as hops.json')
t.ok(hops.processes.sandboxPids.length >= 1, 'the server ran sandbox processes')
t.same(hops.processes.withoutProfile, [], 'the main process and every sandbox process wrote a profile')
t.ok(hops.windowed, 'only the measured window counts')
t.same(hops.roles.map((role: { role: string }) => role.role), ['sandbox processes', 'server main process'], 'both roles')
const total = hops.combined.reduce((sum: number, row: { microsPerStep: number }) => sum + row.microsPerStep, 0)
t.ok(Math.abs(total - hops.cpuPerStepProfiled.totalMicros) <= 0.01 * hops.cpuPerStepProfiled.totalMicros + 0.1, `the hops add up to the measured CPU per step (${total.toFixed(2)} of ${hops.cpuPerStepProfiled.totalMicros} µs)`)
const sandbox = hops.roles.find((role: { role: string }) => role.role === 'sandbox processes')
t.ok(sandbox.hops.some((hop: { hop: string, microsPerStep: number }) => hop.hop === 'isolate (env code, copy in/out)' && hop.microsPerStep > 0), 'time inside the isolate is found in the sandbox processes')
const main = hops.roles.find((role: { role: string }) => role.role === 'server main process')
t.ok(main.hops.some((hop: { hop: string }) => hop.hop === 'WebSocket framing (ws)'), 'and ws framing in the main process')
t.match(readFileSync(join(outDir, 'hops.md'), 'utf8'), /## All server processes, µs per step/, 'hops.md has the combined table')
t.notOk(existsSync(join(outDir, 'result.json')), 'the profiled run writes no result.json of its own')
