// Runs of calls: a sandbox process runs the calls of one env type that arrive together in one entry
// into the isolate. A run must answer exactly what the calls answer alone, leak nothing from one
// call to the next, and never let a hostile call among them blame or delay the others for good.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { decodeGuestAnswer } from '../../src/env/guest.ts'
import { IsolateRunner } from '../../src/sandbox/isolate-runner.ts'
import { defaultSandboxPoolOptions, type SandboxLimits } from '../../src/sandbox/limits.ts'
import { SandboxPool } from '../../src/sandbox/pool.ts'
import type { GuestOp } from '../../src/sandbox/protocol.ts'

const source = readFileSync(new URL('../fixtures/envs/hostile/env.js', import.meta.url), 'utf8')
const { callTimeoutMs, callWallTimeoutMs, maxStateBytes, maxObservationBytes, maxErrorChars, watchdogGraceMs } = defaultSandboxPoolOptions
const limits: SandboxLimits = { callTimeoutMs: 200, callWallTimeoutMs, isolateMemoryLimitMb: 64, maxStateBytes, maxObservationBytes, maxErrorChars, watchdogGraceMs }
void callTimeoutMs

function runnerWithState (): { runner: IsolateRunner, state: string } {
  const runner = new IsolateRunner(limits)
  t.teardown(() => runner.dispose())
  runner.load('hostile', source)
  const started = runner.call('hostile', 'reset', '', JSON.stringify({ config: { start: 3 }, seed: 7 }))
  if (!started.ok) throw new Error(started.message)
  return { runner, state: stateIn(started.json) }
}

/** The state of a reset answer, the observation of any other. */
const stateIn = (json: string): string => {
  const answer = decodeGuestAnswer(json)
  if (!answer.ok || answer.state === undefined) throw new Error(`no state in ${json}`)
  return answer.state
}
const observationIn = (json: string): unknown => {
  const answer = decodeGuestAnswer(json)
  return answer.ok ? answer.observation : answer
}

const tool = (state: string, name: string, parameters: object = {}): { op: GuestOp, state: string, args: string } =>
  ({ op: 'tool', state, args: JSON.stringify({ name, parameters }) })

await t.test('a run answers exactly what each call answers alone', async (t) => {
  const { runner, state } = runnerWithState()
  const calls = [
    tool(state, 'Bump'),
    tool(state, 'Misbehave', { kind: 'throw-after-mutate' }),
    tool(state, 'Misbehave', { kind: 'return-nan' }),
    tool(state, 'Misbehave', { kind: 'store-cycle' }),
    tool(state, 'Probe', { kind: 'rng' }),
    tool(state, 'Peek'),
    { op: 'observe' as const, state, args: '{}' },
    tool(state, 'NoSuchTool'),
  ]
  const alone = calls.map((call) => runner.call('hostile', call.op, call.state, call.args))
  const together = runner.callMany('hostile', calls)
  t.same(together, alone, 'the same answers, in order, byte for byte')
  t.ok(alone.every((answer) => answer.ok), 'guest failures are answers too (rolled back by the host)')
})

await t.test('nothing a call leaves behind reaches the next call of the run', async (t) => {
  const { runner, state } = runnerWithState()
  for (const kind of ['module-let', 'global-property', 'sloppy-global', 'intrinsic-property', 'replace-intrinsic', 'object-prototype', 'array-push', 'regexp-statics']) {
    const fresh = runner.call('hostile', 'tool', state, JSON.stringify({ name: 'LeakRead', parameters: { kind } }))
    const answers = runner.callMany('hostile', [tool(state, 'LeakWrite', { kind }), tool(state, 'LeakRead', { kind })])
    t.ok(answers !== undefined, `${kind}: the run finished`)
    t.same(answers?.[1], fresh, `${kind}: the read after a write in the same run sees what a first call sees`)
  }
})

await t.test('a run stopped by a limit is given up; the runner goes on', async (t) => {
  const { runner, state } = runnerWithState()
  t.equal(runner.callMany('hostile', [tool(state, 'Bump'), tool(state, 'Misbehave', { kind: 'loop' }), tool(state, 'Bump')]), undefined, 'a loop: the run gives up at the time limit')
  t.equal(runner.callMany('hostile', [tool(state, 'Bump'), tool(state, 'Misbehave', { kind: 'memory-bomb' }), tool(state, 'Bump')]), undefined, 'a memory bomb: the run gives up')
  const after = runner.callMany('hostile', [tool(state, 'Bump'), tool(state, 'Bump')])
  t.same(after?.map((answer) => answer.ok && observationIn(answer.json)), [4, 4], 'and the next run is answered')
})

await t.test('in the pool, a hostile call in a run of its env type blames itself only', async (t) => {
  // One process, so every call below arrives in one batch, and the same env type for all, so they
  // run together; the loop is in the middle of the run.
  const pool = new SandboxPool({ workers: 1, callTimeoutMs: 200, isolateMemoryLimitMb: 64 })
  t.teardown(() => pool.close())
  pool.register('hostile', source)
  const started = await pool.call('hostile', 'reset', '', JSON.stringify({ config: { start: 3 }, seed: 7 }))
  if (!started.ok) throw new Error(started.message)
  const state = stateIn(started.json)
  const call = (name: string, parameters: object = {}): ReturnType<SandboxPool['call']> => pool.call('hostile', 'tool', state, JSON.stringify({ name, parameters }))
  for (const kind of ['loop', 'memory-bomb']) {
    const answers = await Promise.all([call('Bump'), call('Bump'), call('Misbehave', { kind }), call('Bump'), call('Bump')])
    const bumps = [answers[0], answers[1], answers[3], answers[4]]
    t.same(bumps.map((answer) => answer?.ok && observationIn(answer.json)), [4, 4, 4, 4], `${kind}: every other call of the run is answered`)
    const hostile = answers[2]!
    t.equal(hostile.ok, false, `${kind}: the hostile call fails`)
    if (!hostile.ok) t.ok(['cpu_time_limit', 'memory_limit'].includes(hostile.code), `${kind}: and is blamed with its own limit (${hostile.code})`)
  }
})

await t.test('in the pool, a run whose process dies or stalls is run again call by call', async (t) => {
  // huge-fill runs V8 out of memory outside the isolate's limit (the process dies); huge-join is
  // one builtin call that no time limit interrupts (the process stalls past stalledCallMs).
  const pool = new SandboxPool({ workers: 1, callTimeoutMs: 200, callWallTimeoutMs: 1000, watchdogGraceMs: 300, stalledCallMs: 50, isolateMemoryLimitMb: 128 })
  t.teardown(() => pool.close())
  for (const kind of ['huge-fill', 'huge-join']) {
    // A fresh env type each time: the one that misbehaved is on probation afterwards.
    const envKey = `hostile-${kind}`
    pool.register(envKey, source)
    const started = await pool.call(envKey, 'reset', '', JSON.stringify({ config: { start: 3 }, seed: 7 }))
    if (!started.ok) throw new Error(started.message)
    const state = stateIn(started.json)
    const call = (name: string, parameters: object = {}): ReturnType<SandboxPool['call']> => pool.call(envKey, 'tool', state, JSON.stringify({ name, parameters }))
    const answers = await Promise.all([call('Bump'), call('Misbehave', { kind, size: 2 ** 27 }), call('Bump'), call('Bump')])
    const bumps = [answers[0], answers[2], answers[3]]
    t.same(bumps.map((answer) => answer?.ok && observationIn(answer.json)), [4, 4, 4], `${kind}: every other call of the run is answered`)
    const hostile = answers[1]!
    // A join this long may also finish in time on a fast machine: then it is answered.
    if (!hostile.ok) t.ok(['cpu_time_limit', 'wall_time_limit', 'memory_limit', 'sandbox_crashed'].includes(hostile.code), `${kind}: blamed on itself (${hostile.code})`)
  }
})
