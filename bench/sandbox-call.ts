// CPU time of one sandboxed call: IsolateRunner.call per guest op, against a raw isolated-vm
// applySync of three strings (the same state) under a timeout, measured in the same run.
//   node bench/sandbox-call.ts [--quick] [--out <file>]
// Prints one JSON object on stdout (and to --out), a short table on stderr. Every answer is checked.
import { readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import ivm from 'isolated-vm'
import { IsolateRunner } from '../src/sandbox/isolate-runner.ts'
import { defaultSandboxLimits } from '../src/sandbox/limits.ts'
import type { GuestOp } from '../src/sandbox/protocol.ts'

const { values: options } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string' } } })
const callsPerOp = options.quick ? 2_000 : 100_000
const warmupCalls = options.quick ? 200 : 20_000

interface Answer { ok: boolean, state?: string, observation?: unknown, config?: unknown, truth?: unknown, correct?: boolean, code?: string }
// The guest's answer as src/env/guest.ts reads it. A guest whose answers are one JSON object (the
// format before the marked fields) is read too, so that one bench measures both sides of a change.
const guestModule = await import('../src/env/guest.ts') as { decodeGuestAnswer?: (text: string) => Answer }
const readAnswer = guestModule.decodeGuestAnswer ?? ((text: string): Answer => JSON.parse(text) as Answer)

const processMicros = (): number => { const usage = process.cpuUsage(); return usage.user + usage.system }
const threadMicros = (): number => { const usage = process.threadCpuUsage(); return usage.user + usage.system }

interface Cost { processUs: number, threadUs: number }
/** CPU per call of fn, whole process (isolated-vm's timer thread included) and this thread alone. */
function measure (fn: () => void, share: number): Cost {
  const calls = Math.round(callsPerOp * share)
  for (let i = 0; i < warmupCalls * share; i++) fn()
  const process0 = processMicros()
  const thread0 = threadMicros()
  for (let i = 0; i < calls; i++) fn()
  const round = (micros: number): number => Math.round(micros / calls * 100) / 100
  return { processUs: round(processMicros() - process0), threadUs: round(threadMicros() - thread0) }
}

function fail (message: string): never {
  process.stderr.write(`sandbox-call: ${message}\n`)
  process.exit(1)
}

const limits = defaultSandboxLimits
const runner = new IsolateRunner(limits)

interface OpCase { op: GuestOp, state: string, args: string, check: (answer: Answer) => boolean }
interface EnvCase { env: string, stateBytes: number, share: number, cases: Record<string, OpCase> }

/** share: the part of callsPerOp this env's ops run (a large state's calls take longer). */
function envCase (dir: string, share: number, config: Record<string, unknown> | undefined, expect: {
  tool: { args: object, observation: (config: Record<string, unknown>) => unknown }
  throwing: object
}): EnvCase {
  const envKey = dir
  runner.load(envKey, readFileSync(new URL(`../envs/${dir}/env.js`, import.meta.url), 'utf8'))
  const call = (op: GuestOp, state: string, args: object): Answer => {
    const result = runner.call(envKey, op, state, JSON.stringify(args))
    if (!result.ok) fail(`${dir} ${op}: ${result.code}: ${result.message}`)
    return readAnswer(result.json)
  }
  const generated = config ?? call('generate', '', { seed: 1, difficulty: 'hard' }).config as Record<string, unknown>
  const resetArgs = { config: generated, seed: 7 }
  const started = call('reset', '', resetArgs)
  if (!started.ok || typeof started.state !== 'string') fail(`${dir}: reset gave no state`)
  const state = started.state
  const observed = call('observe', state, {})
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)
  return {
    env: dir,
    stateBytes: Buffer.byteLength(state),
    share,
    cases: {
      toolOk: { op: 'tool', state, args: JSON.stringify(expect.tool.args), check: (a) => a.ok && typeof a.state === 'string' && same(a.observation, expect.tool.observation(generated)) },
      toolThrows: { op: 'tool', state, args: JSON.stringify(expect.throwing), check: (a) => !a.ok && a.code === 'tool_error' && a.state === undefined },
      observe: { op: 'observe', state, args: '{}', check: (a) => a.ok && same(a.observation, observed.observation) && a.state === undefined },
      check: { op: 'check', state: '', args: JSON.stringify({ submitted: started.truth, truth: started.truth }), check: (a) => a.ok && a.correct === true },
      reset: { op: 'reset', state: '', args: JSON.stringify(resetArgs), check: (a) => a.ok && a.state === state && same(a.truth, started.truth) },
    },
  }
}

const envs: EnvCase[] = [
  envCase('max-subarray', 1, { values: [-2, 1, -3, 4, -1, 2, 1, -5, 4] }, {
    tool: { args: { name: 'GetElement', parameters: { index: 3 } }, observation: () => 4 },
    throwing: { name: 'GetElement', parameters: { index: -1 } },
  }),
  envCase('game-of-life', 1, undefined, {
    tool: { args: { name: 'GetCell', parameters: { row: 1, col: 1 } }, observation: (config) => (config.board as number[][])[1]![1] === 1 },
    throwing: { name: 'GetCell', parameters: { row: -1, col: 0 } },
  }),
  // The largest array its config schema allows: a state of about 7 KB.
  envCase('search-insert-position', 0.1, { values: Array.from({ length: 1000 }, (_, i) => i * 1000 - 500_000), target: 1234 }, {
    tool: { args: { name: 'GetElement', parameters: { index: 500 } }, observation: () => 0 },
    throwing: { name: 'GetElement', parameters: { index: -1 } },
  }),
]

// The baseline: a function that does nothing but read its three strings, called as the runner calls
// the guest (same state, a timeout), in its own isolate.
const baselineIsolate = new ivm.Isolate({ memoryLimit: limits.isolateMemoryLimitMb })
const baselineFn = baselineIsolate.compileScriptSync('(function (op, state, args) { return op.length + state.length + args.length + "" })')
  .runSync(baselineIsolate.createContextSync(), { reference: true }) as ivm.Reference<(op: string, state: string, args: string) => string>

const results = envs.map(({ env, stateBytes, share, cases }) => {
  const state = cases.toolOk!.state
  const args = cases.toolOk!.args
  const expected = String(4 + state.length + args.length)
  const baseline = measure(() => {
    if (baselineFn.applySync(undefined, ['tool', state, args], { timeout: limits.callTimeoutMs }) !== expected) fail('the baseline answered wrongly')
  }, share)
  const ops: Record<string, Cost & { ratioToBaseline: number, readUs: number }> = {}
  for (const [name, { op, state, args, check }] of Object.entries(cases)) {
    const first = runner.call(env, op, state, args)
    if (!first.ok || !check(readAnswer(first.json))) fail(`${env} ${name}: wrong answer ${JSON.stringify(first)}`)
    // Every later answer must be the same text: the first one was checked in full.
    const expectedJson = first.json
    const cost = measure(() => {
      const result = runner.call(env, op, state, args)
      if (!result.ok || result.json !== expectedJson) fail(`${env} ${name}: the answer changed: ${JSON.stringify(result)}`)
    }, share)
    const read = measure(() => { readAnswer(expectedJson) }, share)
    ops[name] = { ...cost, ratioToBaseline: Math.round(cost.processUs / baseline.processUs * 100) / 100, readUs: read.threadUs }
  }
  return { env, stateBytes, calls: Math.round(callsPerOp * share), baseline, ops }
})
runner.dispose()
baselineIsolate.dispose()

const report = {
  bench: 'sandbox-call',
  quick: options.quick,
  node: process.version,
  cpus: availableParallelism(),
  callsPerOp,
  unit: 'µs of CPU per call; processUs counts every thread (isolated-vm runs its timeouts on a thread of its own), threadUs the calling thread; readUs is the host reading the answer (src/env/guest.ts)',
  envs: results,
}
const text = JSON.stringify(report, null, 2) + '\n'
process.stdout.write(text)
if (options.out !== undefined) writeFileSync(options.out, text)
for (const { env, stateBytes, baseline, ops } of results) {
  process.stderr.write(`${env} (state ${stateBytes} B): raw applySync ${baseline.processUs} µs (thread ${baseline.threadUs})\n`)
  for (const [name, cost] of Object.entries(ops)) {
    process.stderr.write(`  ${name.padEnd(11)} ${String(cost.processUs).padStart(7)} µs  thread ${String(cost.threadUs).padStart(7)}  ×${cost.ratioToBaseline} of raw  read ${cost.readUs} µs\n`)
  }
}
