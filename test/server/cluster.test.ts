// codegym-serve --workers 2: one port, two server processes. Connections land on both; sessions
// work on each; a resume reaches the worker that holds the sessions (the codegym-resume header);
// /healthz, /metrics and /envs answer for the whole node; a killed worker is replaced (its sessions
// are lost); SIGTERM drains every worker and the process exits 0.
import t from 'tap'
import { CodeGymClient, connectWebSocket } from '../../clients/ts/index.ts'
import { resumeHeader } from '../../src/contract/protocol/constants.ts'
import type { Transport } from '../../src/contract/transport/transport.ts'
import { exampleEnvDirs } from '../helpers/envs.ts'
import { seriesValue, ServeProcess } from '../../tools/serve-process.ts'
import type { TestContext } from '../helpers/tap.ts'
import { RawClient } from '../helpers/wire.ts'

// Clients that later subtests go on using are closed when the whole file ends, not when a subtest does.
const top = t

const drainGraceMs = 400
const server = await ServeProcess.start(['--workers', '2', '--sandbox-workers', '1', '--envs', ...exampleEnvDirs, '--drain-grace-ms', String(drainGraceMs)])
t.teardown(() => server.kill())

const env = 'codegym/max-subarray-v1'
const task = { task: 'mixed-small' }
const workerOf = (token: string): number => Number(token.split('.')[0])

interface Player { client: RawClient, token: string, session: string, nextId: number }

async function openPlayer (headers: Record<string, string> = {}): Promise<Player> {
  const client = await RawClient.open(server.url, { headers })
  t.teardown(() => client.close())
  const hello = await client.hello()
  const { session } = await client.call(1, 'reset', { env, options: task }) as { session: string }
  return { client, token: hello.resumeToken as string, session, nextId: 2 }
}

async function step (player: Player, action: Record<string, unknown>): Promise<Record<string, unknown>> {
  return player.client.call(player.nextId++, 'step', { session: player.session, action })
}

async function metrics (t: TestContext): Promise<string> {
  const response = await fetch(`${server.httpBase}/metrics`)
  t.equal(response.status, 200, '/metrics answers 200')
  return response.text()
}

const players: Player[] = []

await t.test('the bound URL, the worker and sandbox counts are in the log', async (t) => {
  t.match(server.url, /^ws:\/\/127\.0\.0\.1:\d+$/)
  t.equal(server.log.find((record) => record.msg === 'listening')?.workers, 2)
  const ready = server.log.filter((record) => record.msg === 'ready')
  t.same(ready.map((record) => record.worker).sort(), [0, 1], 'each worker says it is ready')
  t.ok(ready.every((record) => record.sandboxWorkers === 1), '--sandbox-workers sizes each worker\'s pool')
})

await t.test('connections land on both workers, and sessions work on each', async (t) => {
  for (let i = 0; i < 4; i++) players.push(await openPlayer())
  t.same(new Set(players.map((player) => workerOf(player.token))), new Set([0, 1]), 'resume tokens name both workers')
  const results = await Promise.all(players.map((player) => step(player, { name: 'GetLength' })))
  for (const result of results) {
    t.equal((result.info as { step: number }).step, 1)
    t.same(result.observation, results[0]!.observation, 'the same task gives the same observation on either worker')
  }
  t.equal(typeof results[0]!.observation, 'number')
})

await t.test('/healthz, /metrics and /envs answer for the whole node', async (t) => {
  const health = await fetch(`${server.httpBase}/healthz`)
  t.equal(health.status, 200)
  t.same(await health.json(), { status: 'ok', sessions: 4, connections: 4, sandboxReady: true }, 'sessions and connections of both workers')
  const ready = await fetch(`${server.httpBase}/readyz`)
  t.equal(ready.status, 200, '/readyz: every worker has a sandbox that takes calls')
  const text = await metrics(t)
  const perWorker = [0, 1].map((worker) => players.filter((player) => workerOf(player.token) === worker).length)
  t.ok(perWorker.every((count) => count > 0 && count < 4), `each worker holds some of the sessions (${perWorker.join(' + ')})`)
  t.equal(seriesValue(text, 'codegym_sessions'), 4, 'codegym_sessions is the total over both workers')
  t.equal(seriesValue(text, 'codegym_connections'), 4)
  t.equal(seriesValue(text, 'codegym_steps_total'), 4, 'counters are summed')
  t.equal(seriesValue(text, 'codegym_step_duration_seconds_count'), 4, 'histograms are summed')
  t.equal(seriesValue(text, 'codegym_resets_total'), 4)
  t.equal(seriesValue(text, 'codegym_server_workers'), 2, 'the primary counts its ready workers')
  t.equal(seriesValue(text, 'codegym_server_worker_restarts_total'), 0)
  t.match(text, /^# TYPE codegym_sessions gauge$/m)
  const envs = await fetch(`${server.httpBase}/envs`)
  t.same(await envs.json(), { envs: ['codegym/max-subarray-v1', 'codegym/valid-brackets-v1'] })
})

await t.test('a resume after a dropped connection reaches the worker holding the sessions', async (t) => {
  for (const player of players) {
    player.client.socket.terminate()
    await player.client.closed
    const again = await RawClient.open(server.url, { headers: { [resumeHeader]: player.token } })
    top.teardown(() => again.close())
    const hello = await again.hello({ versions: [1], resume: player.token })
    t.same(hello.resumed, [{ session: player.session, env, step: 1, status: 'running', lastResult: (hello.resumed as Array<{ lastResult: unknown }>)[0]!.lastResult }], `worker ${workerOf(player.token)} gave the session back`)
    player.client = again
    t.equal(((await step(player, { name: 'Observe' })).info as { step: number }).step, 2, 'the episode goes on where it was')
  }
})

await t.test('without the header a resume may land on the other worker, which says so', async (t) => {
  const player = await openPlayer()
  player.client.socket.terminate()
  await player.client.closed
  // Two connections in a row go to different workers: one of them is the wrong one.
  const answers = []
  for (let i = 0; i < 2; i++) {
    const client = await RawClient.open(server.url)
    t.teardown(() => client.close())
    answers.push(await client.request(0, 'hello', { versions: [1], resume: player.token }))
  }
  const refused = answers.filter((answer) => 'error' in answer)
  t.equal(refused.length, 1, 'exactly one of the two workers knows the token')
  t.match(refused[0]?.error, { code: 'invalid_resume_token', message: /another worker process/ })
})

await t.test('the TypeScript client sends its resume token when it reconnects', async (t) => {
  const made: Transport[] = []
  const client = await CodeGymClient.connect(async (resumeToken) => {
    const transport = await connectWebSocket(server.url, { resumeToken })
    made.push(transport)
    return transport
  }, { reconnect: { attempts: 3, initialDelayMs: 10 } })
  t.teardown(() => client.close())
  let resumedCount = 0
  client.on('reconnect', ({ resumed }) => { resumedCount += resumed.length })
  const { session } = await client.reset(env, task)
  // Three drops: were the reconnects routed by turn, not by token, one would very likely miss.
  for (let drop = 1; drop <= 3; drop++) {
    const reconnected = new Promise((resolve) => client.once('reconnect', resolve))
    made.at(-1)!.close(1000, 'dropped by the test')
    await reconnected
    t.equal((await client.step(session, { name: 'GetLength' })).info.step, drop, `drop ${drop}: the session is still there`)
  }
  t.equal(resumedCount, 3, 'every reconnect resumed the one session')
})

await t.test('a killed worker is replaced; its sessions are gone, the other worker\'s are not', async (t) => {
  const ready = server.log.filter((record) => record.msg === 'ready')
  const victim = ready.find((record) => record.worker === 0)!
  const onVictim = players.filter((player) => workerOf(player.token) === 0)
  const survivors = players.filter((player) => workerOf(player.token) === 1)
  process.kill(victim.pid as number, 'SIGKILL')
  await server.waitForLog((record) => record.msg === 'ready' && record.worker === 0 && record.pid !== victim.pid)
  t.ok(server.log.some((record) => record.worker === 0 && typeof record.msg === 'string' && record.msg.startsWith('server worker died')), 'the primary logs the death')
  for (const player of onVictim) {
    await player.client.close()
    const again = await RawClient.open(server.url, { headers: { [resumeHeader]: player.token } })
    t.teardown(() => again.close())
    t.match(await again.request(0, 'hello', { versions: [1], resume: player.token }), { error: { code: 'invalid_resume_token' } }, 'a session of the dead worker is gone')
  }
  for (const player of survivors) {
    t.ok(((await step(player, { name: 'GetLength' })).info as { step: number }).step > 1, 'a session on the other worker goes on')
  }
  const text = await metrics(t)
  t.equal(seriesValue(text, 'codegym_server_worker_restarts_total'), 1)
  t.equal(seriesValue(text, 'codegym_server_workers'), 2)
  const fresh = [await openPlayer(), await openPlayer()]
  t.same(new Set(fresh.map((player) => workerOf(player.token))), new Set([0, 1]), 'new connections reach both workers again')
  for (const player of fresh) t.equal(((await step(player, { name: 'GetLength' })).info as { step: number }).step, 1)
  players.push(...fresh)
})

await t.test('SIGTERM drains every worker, then the process exits 0', async (t) => {
  const live = players.filter((player) => player.client.isOpen)
  const onWorkers = new Set(live.map((player) => workerOf(player.token)))
  t.same(onWorkers, new Set([0, 1]), 'connections on both workers when the drain starts')
  server.child.kill('SIGTERM')
  for (const player of live) {
    const { message } = await player.client.next()
    t.match(message, { event: 'draining', data: { deadlineMs: drainGraceMs } }, `worker ${workerOf(player.token)} tells its client`)
  }
  const health = await fetch(`${server.httpBase}/healthz`)
  t.equal(health.status, 503)
  t.match(await health.json(), { status: 'draining' })
  await t.rejects(RawClient.open(server.url), /HTTP 503/, 'new connections are refused')
  const answered = await Promise.all(live.map((player) => step(player, { name: 'Observe' })))
  t.equal(answered.length, live.length, 'requests sent within the grace are answered on both workers')
  for (const player of live) t.equal((await player.client.waitClosed(drainGraceMs + 5000)).code, 1001)
  t.same(await server.exited, { code: 0, signal: null })
  t.ok(server.log.some((record) => record.msg === 'drained' && record.worker === undefined), 'the primary logs the end of the drain')
})
