// The before/after comparison and the targets of `codegym bench` (bench/load/compare.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { compare, loadReference, targets, type Headline } from '../../bench/load/compare.ts'

const before: Headline = {
  serverCpuMicrosPerStep: 100,
  serverMainCpuMicrosPerStep: 60,
  sandboxCpuMicrosPerStep: 40,
  stepsPerSecond: 17_000,
  ratioToEcho: 0.3,
  activeRssBytesPerSession: 90_000,
  idleRssBytesPerSession: 2400,
  halfPeakP99RatioToEcho: { 256: 10, 4096: 20 },
  halfPeakP99Ms: { 256: 30, 4096: 65 },
}
const after: Headline = { ...before, serverCpuMicrosPerStep: 30, serverMainCpuMicrosPerStep: 20, sandboxCpuMicrosPerStep: 10, stepsPerSecond: 40_000, ratioToEcho: 0.65, activeRssBytesPerSession: 7000, halfPeakP99RatioToEcho: { 256: 2, 4096: 4 }, halfPeakP99Ms: { 256: 3, 4096: 10 } }

const comparison = compare(after, before, 'before/result.json', 'abc')
const figure = (name: string): { before?: number, after?: number, ratio?: number } => comparison.figures.find((each) => each.name === name)!
t.same(figure('server CPU per step, total (µs)'), { name: 'server CPU per step, total (µs)', before: 100, after: 30, ratio: 0.3 }, 'CPU per step: after / before')
t.equal(figure('full stack / echo (steps/s)').ratio, 2.167, 'ratio to echo compared')
t.equal(figure('p99 at half of peak / echo at the same load, 4096 sessions').ratio, 0.2, 'half-peak p99 ratios compared per session count')

const judged = targets(after, 4096, comparison, 100_000)
const target = (start: string): { value?: number, met?: boolean, note?: string } => judged.find((each) => each.name.startsWith(start))!
t.equal(target('server CPU per step').met, true, '0.3 of the reference meets ≤ 1/3')
t.equal(target('full stack / echo').met, true, '0.65 meets ≥ 0.6')
t.equal(target('RSS per active session').met, true, '7,000 bytes meets ≤ 8 KiB')
t.equal(target('p99 at half of peak / echo\'s p99 at the same offered load, 256').met, true, '2× meets ≤ 3×')
t.equal(target('p99 at half of peak / echo\'s p99 at the same offered load, 4096').met, false, '4× does not')
t.equal(target('idle live sessions').met, true, '100,000 idle sessions held')

const unreferenced = targets(before, 4096, undefined, undefined)
const unreferencedCpu = unreferenced.find((each) => each.name.startsWith('server CPU per step'))!
t.same([unreferencedCpu.met, unreferencedCpu.note], [undefined, 'no reference'], 'without a reference the CPU target is not judged')
t.notOk(unreferenced.some((each) => each.name.startsWith('idle')), 'no idle target when idle sessions were not measured')
const smaller = targets(after, 256, comparison, undefined)
t.equal(smaller.find((each) => each.name.startsWith('full stack / echo'))!.met, undefined, 'a target stated at 4,096 sessions is not judged at another count')

const dir = mkdtempSync(join(tmpdir(), 'codegym-compare-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
writeFileSync(join(dir, 'old.json'), JSON.stringify({ gitCommit: 'abc', fullStack: {} }))
t.throws(() => loadReference(join(dir, 'old.json')), /no headline figures/, 'a result without headline figures is refused clearly')
t.throws(() => loadReference(join(dir, 'missing.json')), /--before .*missing\.json: cannot read a result\.json/, 'a missing file too')
writeFileSync(join(dir, 'new.json'), JSON.stringify({ gitCommit: 'def', headline: before }))
t.same(loadReference(join(dir, 'new.json')), { headline: before, gitCommit: 'def' }, 'a result of this bench is read')
