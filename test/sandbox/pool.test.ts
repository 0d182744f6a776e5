// The pool blames the right call when it has to kill a sandbox process, and retries the others.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { SandboxPool } from '../../src/sandbox/pool.ts'

const source = readFileSync(new URL('../fixtures/envs/hostile/env.js', import.meta.url), 'utf8')
// One process, so every call below lands in the same batch.
const pool = new SandboxPool({ workers: 1, callTimeoutMs: 200, watchdogGraceMs: 300, isolateMemoryLimitMb: 64 })
t.teardown(() => pool.close())
pool.register('hostile', source)

const started = await pool.call('hostile', 'reset', '', JSON.stringify({ config: { start: 3 }, seed: 7 }))
if (!started.ok) throw new Error(started.message)
const state = (JSON.parse(started.json) as { state: string }).state
const call = (name: string, parameters: object = {}) => pool.call('hostile', 'tool', state, JSON.stringify({ name, parameters }))
const observationOf = (json: string): unknown => (JSON.parse(json) as { observation: unknown }).observation

await t.test('calls batched around a call that hangs the process', async (t) => {
  const [before, hang, after] = await Promise.all([call('Bump'), call('Misbehave', { kind: 'huge-array' }), call('Bump')])
  t.ok(before.ok, 'the call that finished before the hang is answered')
  if (before.ok) t.equal(observationOf(before.json), 4)
  t.equal(hang.ok, false)
  if (!hang.ok) t.ok(['cpu_time_limit', 'memory_limit', 'sandbox_crashed'].includes(hang.code), `the hanging call is blamed (${hang.code})`)
  t.ok(after.ok, 'the call queued behind it runs again in a new process')
  if (after.ok) t.equal(observationOf(after.json), 4)
})

await t.test('a call that times out inside the isolate does not end the process', async (t) => {
  const restarts = pool.stats().workerRestarts
  const [loop, next] = await Promise.all([call('Misbehave', { kind: 'loop' }), call('Bump')])
  t.same(loop, { ok: false, code: 'cpu_time_limit', message: 'the call ran past the time limit of 200 ms' })
  t.ok(next.ok)
  t.equal(pool.stats().workerRestarts, restarts)
})

await t.test('a closed pool answers sandbox_crashed', async (t) => {
  await pool.close()
  const result = await call('Bump')
  t.equal(result.ok, false)
  if (!result.ok) t.equal(result.code, 'sandbox_crashed')
})
