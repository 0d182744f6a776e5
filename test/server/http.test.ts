// The HTTP side of codegym-serve: /healthz, /readyz, /metrics (Prometheus text), /envs, and what any
// other path or method gets.
import { pino } from 'pino'
import t from 'tap'
import { CodeGymServer } from '../../src/server/server.ts'
import { RawClient } from '../helpers/wire.ts'
import { exampleEnvDirs } from '../helpers/envs.ts'

const server = await CodeGymServer.start({ port: 0, envDirs: exampleEnvDirs, sandbox: { workers: 1 }, limits: { resumeTtlMs: 0 }, logger: pino({ level: 'silent' }) })
t.teardown(() => server.close())
const base = `http://127.0.0.1:${server.address.port}`

// Traffic for the metrics to count: a session, a step, a rolled-back step and an error response.
const client = await RawClient.open(server.url)
t.teardown(() => client.close())
await client.hello()
const session = (await client.call(1, 'reset', { env: 'codegym/max-subarray-v1', options: { task: 'mixed-small' } })).session as string
await client.call(2, 'step', { session, action: { name: 'GetLength' } })
await client.call(3, 'step', { session, action: { name: 'Teleport' } })
await client.request(4, 'teleport')

await t.test('GET /healthz: 200 with JSON', async (t) => {
  const response = await fetch(`${base}/healthz`)
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /^application\/json/)
  t.same(await response.json(), { status: 'ok', sessions: 1, connections: 1, sandboxReady: true })
  t.equal((await fetch(`${base}/healthz?probe=1`)).status, 200, 'a query string is ignored')
})

await t.test('GET /readyz: 200 while a sandbox process can take calls', async (t) => {
  const response = await fetch(`${base}/readyz`)
  t.equal(response.status, 200)
  t.same(await response.json(), { status: 'ready', sessions: 1, connections: 1, sandboxReady: true })
})

await t.test('GET /readyz: 503 while no sandbox process can take calls; /healthz stays 200', async (t) => {
  // An RSS limit no sandbox process can meet: each is killed at its first check, and restarts back off.
  const sick = await CodeGymServer.start({ port: 0, envDirs: exampleEnvDirs, sandbox: { workers: 1, maxSandboxProcessRssMb: 1 }, logger: pino({ level: 'silent' }) })
  t.teardown(() => sick.close())
  const sickBase = `http://127.0.0.1:${sick.address.port}`
  const deadline = performance.now() + 60_000
  const poll = async (what: string, check: () => Promise<boolean>): Promise<void> => {
    while (!(await check())) {
      if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  const rssKills = async (): Promise<number> => {
    const exits = /^codegym_sandbox_exits\{cause="rss_limit"\} (\d+)$/m.exec(await (await fetch(`${sickBase}/metrics`)).text())
    return exits === null ? 0 : Number(exits[1])
  }
  await poll('a sandbox process was killed for its memory', async () => await rssKills() >= 1)
  t.pass('the kills are counted by cause in /metrics')
  let ready = await fetch(`${sickBase}/readyz`)
  await poll('/readyz answers 503', async () => {
    if (ready.status === 503) return true
    await ready.body?.cancel()
    ready = await fetch(`${sickBase}/readyz`)
    return ready.status === 503
  })
  t.same(await ready.json(), { status: 'sandbox_unavailable', sessions: 0, connections: 0, sandboxReady: false })
  t.equal((await fetch(`${sickBase}/healthz`)).status, 200, 'liveness is about the process, not the sandbox')
})

await t.test('GET /metrics: Prometheus text', async (t) => {
  const response = await fetch(`${base}/metrics`)
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  const text = await response.text()
  const value = (series: string): number | undefined => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(series + ' '))
    return line === undefined ? undefined : Number(line.slice(series.length + 1))
  }
  t.match(text, /^# TYPE codegym_sessions gauge$/m)
  t.equal(value('codegym_sessions'), 1, 'codegym_sessions')
  t.equal(value('codegym_connections'), 1, 'codegym_connections')
  t.match(text, /^# TYPE codegym_steps_total counter$/m)
  t.equal(value('codegym_steps_total'), 2, 'codegym_steps_total counts rolled-back steps too')
  t.match(text, /^# TYPE codegym_step_duration_seconds histogram$/m)
  t.equal(value('codegym_step_duration_seconds_count'), 2, 'the histogram counts both steps')
  t.equal(value('codegym_step_duration_seconds_bucket{le="+Inf"}'), 2, 'its +Inf bucket holds them')
  t.ok((value('codegym_step_duration_seconds_sum') ?? -1) >= 0, 'its sum')
  t.equal(value('codegym_rollbacks_total{code="unknown_tool"}'), 1, 'codegym_rollbacks_total by code')
  t.equal(value('codegym_errors_total{code="unknown_op"}'), 1, 'codegym_errors_total by code')
  t.equal(value('codegym_requests_total{op="step"}'), 2, 'codegym_requests_total by op')
  t.equal(value('codegym_resets_total'), 1, 'codegym_resets_total')
  t.ok((value('process_resident_memory_bytes') ?? 0) > 0, 'process memory')
  t.ok((value('nodejs_heap_size_used_bytes') ?? 0) > 0, 'heap used')
  t.equal(value('codegym_sandbox_processes_ready'), 1, 'codegym_sandbox_processes_ready')
  t.equal(value('codegym_sandbox_exits{cause="crashed"}'), 0, 'codegym_sandbox_exits by cause')
  t.equal(value('codegym_sandbox_envs_on_probation'), 0, 'codegym_sandbox_envs_on_probation')
  t.equal(value('codegym_sandbox_calls_expired'), 0, 'codegym_sandbox_calls_expired')
})

await t.test('GET /envs: the env ids', async (t) => {
  const response = await fetch(`${base}/envs`)
  t.equal(response.status, 200)
  t.same(await response.json(), { envs: ['codegym/max-subarray-v1', 'codegym/valid-brackets-v1'] })
})

await t.test('other paths and methods', async (t) => {
  const missing = await fetch(`${base}/nope`)
  t.equal(missing.status, 404, 'an unknown path: 404')
  t.match(await missing.json(), { error: String })
  t.equal((await fetch(`${base}/`)).status, 404, 'the root without an upgrade: 404')
  for (const method of ['POST', 'PUT', 'DELETE']) {
    const response = await fetch(`${base}/healthz`, { method, body: method === 'DELETE' ? undefined : '{}' })
    t.equal(response.status, 405, `${method}: 405`)
    await response.body?.cancel()
  }
  t.ok('result' in await client.request(5, 'envs.list'), 'the WebSocket on the same port is unaffected')
})
