// The HTTP side of codegym-serve: /healthz, /metrics (Prometheus text), /envs, and what any
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
  t.same(await response.json(), { status: 'ok', sessions: 1, connections: 1 })
  t.equal((await fetch(`${base}/healthz?probe=1`)).status, 200, 'a query string is ignored')
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
