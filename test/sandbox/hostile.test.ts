// A hostile env's every misbehaviour is contained: the step is rolled back with a fitting code, the
// committed state is byte-identical, the episode goes on, and a benign episode of another env
// running at the same time never notices.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { setTimeout as delay } from 'node:timers/promises'
import t from 'tap'
import type { TestContext } from '../helpers/tap.ts'
import { Runtime, bundledEnvsDir } from '../../src/env/runtime.ts'
import { defaultSandboxLimits } from '../../src/sandbox/limits.ts'
import type { Episode } from '../../src/env/episode.ts'
import type { JsonValue, RollbackCode, StepResult } from '../../src/schemas/env.generated.ts'

const hostileDir = fileURLToPath(new URL('../fixtures/envs/hostile/', import.meta.url))
const hostileId = 'test/hostile-v1'
const limits = {
  workers: 2,
  callTimeoutMs: 200,
  callWallTimeoutMs: 2000,
  // Generous, so that a fresh isolate's set-up on a loaded machine is never mistaken for a hang.
  watchdogGraceMs: 1000,
  isolateMemoryLimitMb: 64,
  maxStateBytes: 16 * 1024,
  maxObservationBytes: 4 * 1024,
}

const runtime = await Runtime.create({ envDirs: [bundledEnvsDir, hostileDir], sandbox: limits })
t.teardown(() => runtime.close())

interface HostileState { count: number, log: string[] }
const stateOf = (episode: Episode): HostileState => (JSON.parse(episode.committedState) as { s: HostileState }).s

const { episode: hostile } = await runtime.reset(hostileId, { config: { start: 5 } })

// A benign max-subarray episode that keeps reading its array, checking every answer.
const benignValues = [3, -1, 4, -1, -5, 9, -2, 6]
async function benignEpisode (): Promise<Episode> {
  return (await runtime.reset('codegym/max-subarray-v1', { config: { values: benignValues }, maxSteps: 4096 })).episode
}
let benign = await benignEpisode()
let benignIndex = 0
async function benignStep (): Promise<string | undefined> {
  if (benign.stepCount >= benign.maxSteps - 1) benign = await benignEpisode()
  const index = benignIndex++ % benignValues.length
  const result = await benign.step({ name: 'GetElement', parameters: { index } })
  if (result.info.rolledBack || result.observation !== benignValues[index]) {
    return `GetElement(${index}) gave ${JSON.stringify(result.observation)} (${JSON.stringify(result.info.error)})`
  }
  return undefined
}

/** Runs fn while a benign episode steps alongside; every benign step must succeed, during and after. */
async function withBenignTraffic<T> (t: TestContext, fn: () => Promise<T>): Promise<T> {
  let running = true
  let steps = 0
  const failures: string[] = []
  const traffic = (async () => {
    while (running) {
      const failure = await benignStep()
      if (failure !== undefined) failures.push(failure)
      steps++
      await delay(2)
    }
  })()
  try {
    return await fn()
  } finally {
    running = false
    await traffic
    const after = await benignStep()
    t.same(failures, [], 'the benign episode kept working during the hostile call')
    t.equal(after, undefined, 'the benign episode works after the hostile call')
    t.ok(steps >= 1, 'the benign episode took steps during the hostile call')
  }
}

function assertRolledBack (t: TestContext, result: StepResult, codes: readonly RollbackCode[], message?: RegExp): void {
  t.equal(result.info.rolledBack, true, 'rolled back')
  const code = result.info.error?.code
  t.ok(code !== undefined && codes.includes(code), `code ${code} is one of ${codes.join(', ')}`)
  t.equal(result.reward, 0)
  t.equal(result.terminated, false)
  t.equal(result.truncated, false)
  t.equal(typeof result.observation, 'string')
  t.match(result.observation, /^Error: /, 'the error text is the observation')
  if (message !== undefined) t.match(result.info.error?.message, message)
}

/** Takes a hostile action and checks containment: rolled back, state untouched, the episode goes on. */
async function expectContained (t: TestContext, action: unknown, codes: readonly RollbackCode[], message?: RegExp): Promise<StepResult> {
  return withBenignTraffic(t, async () => {
    const before = hostile.committedState
    const beforeState = stateOf(hostile)
    const stepBefore = hostile.stepCount
    const result = await hostile.step(action)
    assertRolledBack(t, result, codes, message)
    t.equal(hostile.committedState, before, 'the committed state is byte-identical')
    t.equal(result.info.step, stepBefore + 1, 'the failed step still counts')
    t.equal(hostile.status, 'running')

    const next = await hostile.step({ name: 'Bump' })
    t.equal(next.info.rolledBack, false, 'a following benign call works')
    t.equal(next.observation, beforeState.count + 1, 'and sees the state from before the failed call')
    t.same(stateOf(hostile), { count: beforeState.count + 1, log: [...beforeState.log, 'bump'] })
    return result
  })
}

const misbehave = (kind: string, size?: number): unknown => ({ name: 'Misbehave', parameters: size === undefined ? { kind } : { kind, size } })
const probe = (kind: string): unknown => ({ name: 'Probe', parameters: { kind } })

await t.test('runaway CPU', async (t) => {
  await t.test('an infinite loop times out', (t) => expectContained(t, misbehave('loop'), ['cpu_time_limit']))
  // Each microtask allocates: the chain may fill the heap before it has used the CPU limit. On a
  // starved machine the wall-clock limit (2 s here) can come first: contained all the same.
  await t.test('an endless chain of microtasks times out', (t) => expectContained(t, misbehave('microtask-loop'), ['cpu_time_limit', 'memory_limit', 'wall_time_limit']))
  await t.test('deep recursion is a tool error', (t) => expectContained(t, misbehave('recursion'), ['tool_error'], /RangeError/))
})

await t.test('memory', async (t) => {
  await t.test('a memory bomb hits the isolate memory limit', async (t) => {
    // The bomb fills the heap in well under the time limit, but a loaded machine may stretch that.
    const codes: RollbackCode[] = []
    for (let attempt = 0; attempt < 3 && !codes.includes('memory_limit'); attempt++) {
      const result = await expectContained(t, misbehave('memory-bomb'), ['memory_limit', 'cpu_time_limit'])
      codes.push(result.info.error!.code)
    }
    t.ok(codes.includes('memory_limit'), `memory_limit was reported (got ${codes.join(', ')})`)
  })
  await t.test('array buffers past the memory limit are refused', (t) => expectContained(t, misbehave('buffer-bomb'), ['tool_error', 'memory_limit']))
  // These can hang the isolate where its own limits do not reach: the pool's watchdog ends them.
  // The pool knows which call was running when it killed or lost a process: the blame is exact.
  await t.test('a huge allocation inside one builtin', (t) => expectContained(t, misbehave('huge-array'), ['wall_time_limit', 'memory_limit']))
  await t.test('a huge Map', (t) => expectContained(t, misbehave('huge-map'), ['cpu_time_limit', 'wall_time_limit', 'memory_limit']))
  await t.test('an allocation past the memory limit inside one builtin', (t) => expectContained(t, misbehave('huge-fill'), ['memory_limit', 'wall_time_limit']))
  await t.test('a builtin that cannot be interrupted runs past the CPU limit', (t) => expectContained(t, misbehave('huge-join'), ['cpu_time_limit', 'memory_limit']))
})

await t.test('errors and values that are not plain JSON', async (t) => {
  const cases: Array<[string, RollbackCode, RegExp?]> = [
    ['throw-after-mutate', 'tool_error', /failed halfway/],
    ['throw-non-error', 'tool_error'],
    ['return-function', 'not_json', /function/],
    ['return-cycle', 'not_json', /cycle/],
    ['return-nan', 'not_json', /NaN/],
    ['return-infinity', 'not_json', /Infinity/],
    ['return-instance', 'not_json', /not a plain object/],
    ['return-map', 'not_json'],
    ['return-date', 'not_json'],
    ['return-undefined', 'not_json', /undefined/],
    ['return-getter', 'not_json', /getter/],
    ['return-sparse', 'not_json', /holes/],
    ['return-symbol', 'not_json', /symbol/],
    ['return-bigint', 'not_json', /bigint/],
    ['return-deep', 'not_json', /deeper/],
    ['store-function', 'not_json', /state holds a function/],
    ['store-cycle', 'not_json', /state contains a cycle/],
    ['store-nan', 'not_json', /state holds NaN/],
    ['store-instance', 'not_json', /state holds an object/],
    ['return-promise', 'tool_error', /promise/],
    ['never-resolving', 'tool_error', /promise/],
    ['return-thenable', 'tool_error', /promise/],
  ]
  for (const [kind, code, message] of cases) {
    await t.test(kind, (t) => expectContained(t, misbehave(kind), [code], message))
  }
  await t.test('an observation over maxObservationBytes', (t) =>
    expectContained(t, misbehave('return-huge-string', limits.maxObservationBytes + 1), ['observation_too_large']))
  await t.test('a state over maxStateBytes', (t) =>
    expectContained(t, misbehave('store-huge', limits.maxStateBytes + 1), ['state_too_large']))
  await t.test('a state far over the limit is refused before it is serialized', async (t) => {
    // Serializing 40 MB of state would need another 40 MB: past the 64 MB isolate limit, it would be
    // memory_limit. Refused while it is walked, it is state_too_large.
    await expectContained(t, misbehave('store-huge', 40 * 1024 * 1024), ['state_too_large'])
  })
  await t.test('an error message that quotes a huge property name is cut to maxErrorChars', async (t) => {
    // Under maxObservationBytes (4 KB here), so that the size is not what is refused first.
    const result = await expectContained(t, misbehave('return-huge-key', 3000), ['not_json'])
    const message = result.info.error?.message ?? ''
    t.ok(message.length <= defaultSandboxLimits.maxErrorChars + 3, `message of ${message.length} characters`)
    t.ok((result.observation as string).length <= defaultSandboxLimits.maxErrorChars + 10, 'and so is the observation')
  })
  await t.test('a state just under maxStateBytes is committed', async (t) => {
    const { episode } = await runtime.reset(hostileId, { config: { start: 1 } })
    const result = await episode.step(misbehave('store-huge', limits.maxStateBytes - 200))
    t.equal(result.info.rolledBack, false)
    t.equal(stateOf(episode).count, 1001)
  })
})

await t.test('what a guest must not reach', async (t) => {
  const unreachable: Array<[string, RegExp]> = [
    ['process', /process is not defined/],
    ['require', /require is not defined/],
    ['import', /./],
    ['constructor-escape', /process is not defined/],
    ['date-now', /clock is not available/],
    ['new-date', /clock is not available/],
    ['date-call', /clock is not available/],
    ['date-via-prototype', /clock is not available/],
    ['math-random', /Math.random is not available/],
    ['webassembly', /WebAssembly is not defined/],
    ['shared-array-buffer', /SharedArrayBuffer is not defined/],
    ['atomics', /Atomics is not defined/],
    ['intl', /Intl is not defined/],
    ['performance', /performance is not defined/],
    ['set-timeout', /setTimeout is not defined/],
  ]
  for (const [kind, message] of unreachable) {
    await t.test(kind, (t) => expectContained(t, probe(kind), ['tool_error'], message))
  }

  await t.test('globalThis holds nothing of the host', async (t) => {
    const result = await hostile.step(probe('global-names'))
    t.equal(result.info.rolledBack, false)
    const names = result.observation as string[]
    for (const name of ['process', 'require', 'module', 'Buffer', 'WebAssembly', 'SharedArrayBuffer', 'Atomics', 'WeakRef',
      'FinalizationRegistry', 'Intl', 'setTimeout', 'setInterval', 'queueMicrotask', 'fetch', 'performance', '_ivm', 'ivm']) {
      t.notOk(names.includes(name), `no global ${name}`)
    }
    t.ok(names.includes('Object') && names.includes('JSON'), 'the language intrinsics are there')
    t.equal((await hostile.step(probe('global-process'))).observation, 'undefined')
    t.equal((await hostile.step(probe('function-this'))).observation, 'undefined')
  })

  await t.test('dates from explicit times work, in UTC', async (t) => {
    const result = await hostile.step(probe('fixed-date'))
    t.same(result.observation, [0, 0, 0])
  })

  await t.test('the rng argument is seeded by the committed state', async (t) => {
    const forked = await hostile.fork()
    const [a, b] = await Promise.all([hostile.step(probe('rng')), forked.step(probe('rng'))])
    t.equal(a.info.rolledBack, false)
    t.same(a.observation, b.observation, 'same state, same numbers')
    t.equal(hostile.committedState, forked.committedState)
    const again = await hostile.step(probe('rng'))
    t.not(JSON.stringify(again.observation), JSON.stringify(a.observation), 'the generator moved on')
  })
})

await t.test('nothing carries over from one call to the next', async (t) => {
  // Two episodes written in the same turn go to different sandbox processes when both are free, and
  // so do the two reads after them: whatever the placement, a read runs where a write ran.
  const { episode: other } = await runtime.reset(hostileId, { config: { start: 2 } })
  const clean: Record<string, JsonValue> = {
    'module-let': 0,
    'global-property': 'undefined',
    'sloppy-global': 'undefined',
    'intrinsic-property': 'undefined',
    'replace-intrinsic': '{"a":1}',
    'object-prototype': 'undefined',
    'array-push': [1],
    'function-prototype': 'undefined',
    'array-iterator-prototype': 'undefined',
    'generator-prototype': 'undefined',
    'error-prepare-stack-trace': 'undefined',
    'regexp-statics': [null, null, null, null],
  }
  for (const [kind, expected] of Object.entries(clean)) {
    await t.test(kind, async (t) => {
      const before = [hostile.committedState, other.committedState]
      const writes = await Promise.all([hostile, other].map((episode) => episode.step({ name: 'LeakWrite', parameters: { kind } })))
      for (const write of writes) {
        // A write is either refused (a frozen intrinsic) or takes effect within its own call.
        if (write.info.rolledBack) t.equal(write.info.error?.code, 'tool_error')
        else if (kind === 'module-let') t.equal(write.observation, 1, 'the write took effect within its call')
      }
      const reads = await Promise.all([hostile, other].map((episode) => episode.step({ name: 'LeakRead', parameters: { kind } })))
      for (const read of reads) {
        t.equal(read.info.rolledBack, false)
        t.same(read.observation, expected, 'the read sees nothing of the write')
      }
      t.same([hostile.committedState, other.committedState], before, 'neither call changed the state')
    })
  }
})

/** Sandbox processes of this test's pool, found by their entry file. */
function sandboxPids (): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
  return out.split('\n').filter((line) => line.includes('worker-main')).map((line) => Number.parseInt(line.trim(), 10))
}

await t.test('a sandbox process killed from outside during a call', async (t) => {
  // Both processes answer first, so both are up; then they are killed while the loop runs.
  await Promise.all([hostile.observe(), benign.observe()])
  const pids = sandboxPids()
  // The hostile env is on probation by now: it runs on the quarantine process, one more.
  t.equal(pids.length, limits.workers + 1)
  const before = hostile.committedState
  const restarts = runtime.pool.stats().workerRestarts
  const pending = hostile.step(misbehave('loop'))
  // Killed once the loop runs (killed before it starts, it would just run again elsewhere).
  while (runtime.pool.stats().callsRunning === 0) await delay(1)
  for (const pid of pids) process.kill(pid, 'SIGKILL')
  // Killed from outside, with no limit to blame: the call runs again on a fresh process (where a
  // starved machine may reach the wall-clock limit before the loop has used its CPU time).
  const result = await pending
  assertRolledBack(t, result, ['cpu_time_limit', 'wall_time_limit'])
  t.equal(hostile.committedState, before)
  // A call handed to the idle process before the pool has seen it die would fail as well.
  while (runtime.pool.stats().workerRestarts < restarts + pids.length) await delay(5)
  const next = await hostile.step({ name: 'Bump' })
  t.equal(next.info.rolledBack, false, 'the episode goes on in a new sandbox process')
  t.equal(await benignStep(), undefined, 'so does the benign one')
})

await t.test('the episode still ends normally', async (t) => {
  const result = await hostile.done(5)
  t.equal(result.reward, 1)
  t.equal(result.terminated, true)
})
