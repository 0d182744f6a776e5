// The sandbox pool: exact blame when it has to kill or lose a process, other calls answered,
// never giving up on a crash loop, a deadline for every call, and watchdogs that act on a busy host.
// No assertion here depends on how fast the machine is: where one call must end before another,
// the other is a CPU-bound loop of seconds and the first a few microseconds of work.
import { readFileSync } from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'
import t from 'tap'
import { CodeGymError } from '../../src/contract/errors.ts'
import { decodeGuestAnswer } from '../../src/env/guest.ts'
import type { SandboxEvent } from '../../src/sandbox/event-log.ts'
import type { SandboxPoolOptions } from '../../src/sandbox/limits.ts'
import { SandboxPool } from '../../src/sandbox/pool.ts'

const source = readFileSync(new URL('../fixtures/envs/hostile/env.js', import.meta.url), 'utf8')

function poolOf (options: Partial<SandboxPoolOptions>, events: SandboxEvent[] = []): SandboxPool {
  const pool = new SandboxPool({ isolateMemoryLimitMb: 64, ...options }, { onEvent: (event) => { events.push(event) } })
  t.teardown(() => pool.close())
  // Two env types with the same source: 'hostile' misbehaves, 'bystander' only counts.
  pool.register('hostile', source)
  pool.register('bystander', source)
  return pool
}

const stateOf = async (pool: SandboxPool): Promise<string> => {
  const started = await pool.call('bystander', 'reset', '', JSON.stringify({ config: { start: 3 }, seed: 7 }))
  if (!started.ok) throw new Error(started.message)
  const answer = decodeGuestAnswer(started.json)
  if (!answer.ok || answer.state === undefined) throw new Error(`reset gave no state: ${started.json}`)
  return answer.state
}
const caller = (pool: SandboxPool, state: string) => (envKey: string, name: string, parameters: object = {}) =>
  pool.call(envKey, 'tool', state, JSON.stringify({ name, parameters }))
const observationOf = (json: string): unknown => {
  const answer = decodeGuestAnswer(json)
  return answer.ok ? answer.observation : answer
}

async function until (condition: () => boolean, what: string, deadlineMs = 60_000): Promise<void> {
  const deadline = performance.now() + deadlineMs
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await delay(5)
  }
}

await t.test('calls batched around a call that hangs the process', async (t) => {
  const events: SandboxEvent[] = []
  // One process, so every call below lands in the same batch.
  const pool = poolOf({ workers: 1, callTimeoutMs: 200, callWallTimeoutMs: 500, watchdogGraceMs: 300 }, events)
  const call = caller(pool, await stateOf(pool))
  const [before, hang, after] = await Promise.all([call('bystander', 'Bump'), call('hostile', 'Misbehave', { kind: 'huge-array' }), call('bystander', 'Bump')])
  t.ok(before.ok, 'the call that finished before the hang is answered')
  if (before.ok) t.equal(observationOf(before.json), 4)
  t.equal(hang.ok, false)
  if (!hang.ok) t.ok(['wall_time_limit', 'memory_limit'].includes(hang.code), `the hanging call, and only it, is blamed (${hang.code})`)
  t.ok(after.ok, 'the call queued behind it runs again in a new process')
  if (after.ok) t.equal(observationOf(after.json), 4)
  const exit = events.find((event) => event.kind === 'process_exit')
  t.ok(exit !== undefined && exit.kind === 'process_exit' && exit.blamed?.envKey === 'hostile', 'the exit is reported with the blamed call')
  t.equal(pool.stats().envsOnProbation, 1, 'the env type that hung is on probation')
  t.ok(events.some((event) => event.kind === 'env_probation' && event.envKey === 'hostile'), 'the probation is reported')
})

await t.test('a call past the CPU limit ends inside the isolate: the process lives on', async (t) => {
  const pool = poolOf({ workers: 1, callTimeoutMs: 200 })
  const call = caller(pool, await stateOf(pool))
  const restarts = pool.stats().workerRestarts
  const [loop, next] = await Promise.all([call('hostile', 'Misbehave', { kind: 'loop' }), call('bystander', 'Bump')])
  t.same(loop, { ok: false, code: 'cpu_time_limit', message: 'the call used more than its CPU time limit of 200 ms' })
  t.ok(next.ok)
  t.equal(pool.stats().workerRestarts, restarts)
})

await t.test('a crash loop never takes the pool down', async (t) => {
  const events: SandboxEvent[] = []
  // What used to end the pool for good: one process, the same memory bomb again and again.
  const pool = poolOf({ workers: 1, callTimeoutMs: 200, callWallTimeoutMs: 500, watchdogGraceMs: 300, maxRestartBackoffMs: 400, isolateMemoryLimitMb: 128 }, events)
  const call = caller(pool, await stateOf(pool))
  for (let i = 0; i < 8; i++) {
    const bomb = await call('hostile', 'Misbehave', { kind: 'huge-fill' })
    t.equal(bomb.ok, false)
    if (!bomb.ok) t.ok(['memory_limit', 'wall_time_limit', 'sandbox_crashed'].includes(bomb.code), `bomb ${i + 1}: ${bomb.code}`)
  }
  const after = await call('bystander', 'Bump')
  t.ok(after.ok, 'another env type is still served')
  const reset = await pool.call('hostile', 'reset', '', JSON.stringify({ config: { start: 1 }, seed: 1 }))
  t.ok(reset.ok, 'and so is a reset of the env type that crashed')
  t.ok(pool.ready, 'the pool is ready')
  const stats = pool.stats()
  t.ok(stats.workerRestarts >= 8, `every crash was followed by a restart (${stats.workerRestarts})`)
  t.ok(stats.exits.out_of_memory + stats.exits.wall_time_limit + stats.exits.crashed >= 8, `the exits are counted by cause (${JSON.stringify(stats.exits)})`)
  t.ok(events.filter((event) => event.kind === 'process_exit').length >= 8, 'each one is reported')
})

await t.test('a call that crashes its process twice, with no limit to explain it, is sandbox_crashed', async (t) => {
  const events: SandboxEvent[] = []
  // At 128 MB this allocation inside one builtin ends the sandbox process (SIGSEGV here) before any limit.
  const pool = poolOf({ workers: 1, isolateMemoryLimitMb: 128 }, events)
  const call = caller(pool, await stateOf(pool))
  const [bomb, bystander] = await Promise.all([call('hostile', 'Misbehave', { kind: 'huge-fill' }), call('bystander', 'Bump')])
  t.ok(bystander.ok, 'the call sent with it is answered')
  t.equal(bomb.ok, false)
  if (!bomb.ok && bomb.code === 'sandbox_crashed') {
    t.match(bomb.message, /crashed its sandbox process twice/)
    const exits = events.filter((event) => event.kind === 'process_exit')
    t.ok(exits.length >= 2, 'it ran on two processes')
  } else if (!bomb.ok) {
    // Where V8 stops this allocation another way, a limit explains it.
    t.ok(['memory_limit', 'wall_time_limit'].includes(bomb.code), `ended by a limit (${bomb.code})`)
  }
})

await t.test('a process that keeps dying before it answers backs off, and calls waiting for it get sandbox_busy', async (t) => {
  const events: SandboxEvent[] = []
  // An RSS limit no process can meet: every process dies at its first memory check, idle or not.
  const pool = poolOf({ workers: 1, maxSandboxProcessRssMb: 1, maxQueueWaitMs: 300, maxRestartBackoffMs: 800 }, events)
  await until(() => pool.stats().exits.rss_limit >= 3, 'three processes were killed for their memory')
  const delays = events.flatMap((event) => event.kind === 'process_exit' ? [event.restartInMs] : [])
  t.ok(delays.length >= 3 && delays[1]! > 0 && delays[2]! > delays[1]!, `restart delays grow: ${delays.join(', ')}`)
  t.ok(delays.every((ms) => ms <= 800), 'up to maxRestartBackoffMs')
  t.ok(events.some((event) => event.kind === 'process_exit' && event.cause === 'rss_limit'), 'the cause is reported')
  await until(() => !pool.ready, 'the pool reports that no process can take calls')
  const waiting = pool.call('bystander', 'observe', '', '{}')
  const outcome = await waiting.then(() => undefined, (error: unknown) => error)
  // Either no process was up for 300 ms (sandbox_busy), or one answered in a window between kills.
  if (outcome !== undefined) {
    t.ok(outcome instanceof CodeGymError && outcome.code === 'sandbox_busy', `rejected with sandbox_busy (${String(outcome)})`)
  }
})

await t.test('calls behind a stalled call are taken back and run elsewhere', async (t) => {
  const pool = poolOf({ workers: 2, callTimeoutMs: 20_000, callWallTimeoutMs: 30_000, stalledCallMs: 50 })
  const call = caller(pool, await stateOf(pool))
  let loopEnded = false
  const loop = call('hostile', 'Misbehave', { kind: 'loop' }).finally(() => { loopEnded = true })
  // Sent at once, these spread over both processes: some land behind the loop.
  const bumps = await Promise.all(Array.from({ length: 16 }, () => call('bystander', 'Bump')))
  t.equal(loopEnded, false, 'every bystander was answered while the loop still ran')
  t.ok(bumps.every((bump) => bump.ok), 'and every one succeeded')
  t.ok(pool.stats().callsDetached > 0, `calls were taken back from the stalled process (${pool.stats().callsDetached})`)
  await pool.close()
  const closed = await loop
  t.equal(closed.ok, false, 'a call still running when the pool closes is answered')
})

await t.test('with a single process, a call waiting behind a stall gets sandbox_busy at maxQueueWaitMs', async (t) => {
  const pool = poolOf({ workers: 1, callTimeoutMs: 20_000, callWallTimeoutMs: 30_000, stalledCallMs: 50, maxQueueWaitMs: 300 })
  // A process starting up can take longer than 300 ms on a busy machine: wait for it first.
  await until(() => pool.ready, 'the sandbox process is ready')
  const call = caller(pool, await stateOf(pool))
  const loop = call('hostile', 'Misbehave', { kind: 'loop' })
  const waiting = await call('bystander', 'Bump').then(() => undefined, (error: unknown) => error)
  t.ok(waiting instanceof CodeGymError && waiting.code === 'sandbox_busy', `the waiting call is refused as sandbox_busy (${String(waiting)})`)
  await pool.close()
  await loop
})

await t.test('the hang watchdog acts while the host event loop lags', async (t) => {
  const pool = poolOf({ workers: 1, callTimeoutMs: 200, callWallTimeoutMs: 300, watchdogGraceMs: 200 })
  const call = caller(pool, await stateOf(pool))
  let settled = false
  const hang = call('hostile', 'Misbehave', { kind: 'huge-array' }).finally(() => { settled = true })
  // Every turn of this process's event loop is late: each block is longer than the whole hang limit.
  for (let turn = 0; !settled; turn++) {
    if (turn > 500) throw new Error('the hang was never ended')
    const busyUntil = performance.now() + 600
    while (performance.now() < busyUntil) { /* the host is busy */ }
    await delay(1)
  }
  const result = await hang
  t.equal(result.ok, false)
  if (!result.ok) t.ok(['wall_time_limit', 'memory_limit'].includes(result.code), `ended as ${result.code}`)
})

await t.test('a closed pool answers sandbox_crashed', async (t) => {
  const pool = poolOf({ workers: 1 })
  const state = await stateOf(pool)
  await pool.close()
  const result = await caller(pool, state)('bystander', 'Bump')
  t.equal(result.ok, false)
  if (!result.ok) t.equal(result.code, 'sandbox_crashed')
})
