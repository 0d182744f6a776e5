// The reconnect policy of PROTOCOL.md ("Reconnect policy"): the final close codes of the table are the
// client's, every other close is reconnected with capped, jittered backoff until the server's
// resumeTtlMs has passed since the drop, and a 1001 (the end of a drain) is reconnected like any other.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { CodeGymClient, connectWebSocket, finalCloseCodes, reconnectDelayMs, type TransportFactory } from '../../../clients/ts/client.ts'
import { closeCodes } from '../../../src/contract/protocol/constants.ts'
import { maxSubarray, startServer } from './harness.ts'

const doc = readFileSync(new URL('../../../PROTOCOL.md', import.meta.url), 'utf8')

/** The rows of the "Reconnect policy" table: close code → the client column. */
function policyRows (): Map<string, string> {
  const start = doc.indexOf('### Reconnect policy\n')
  const end = doc.indexOf('\n#', start + 1)
  const rows = new Map<string, string>()
  for (const line of doc.slice(start, end).split('\n')) {
    const cells = line.split('|').slice(1, -1).map((cell) => cell.trim())
    const code = /^`(\d{4})`$/.exec(cells[0] ?? '')?.[1]
    if (code !== undefined) rows.set(code, cells[2] ?? '')
  }
  return rows
}

await t.test('PROTOCOL.md\'s final close codes are the client\'s; every other documented code is reconnected', async (t) => {
  const rows = policyRows()
  t.ok(rows.size >= 5, `the table has rows (${rows.size})`)
  const documentedFinal = [...rows].filter(([, client]) => client === 'final').map(([code]) => Number(code)).sort()
  t.same(documentedFinal, [...finalCloseCodes].sort(), 'final in the table ⇔ final in the client')
  for (const [code, client] of rows) if (client !== 'final') t.equal(client, 'reconnect and resume', `${code}: reconnect and resume`)
  t.ok(rows.has(String(closeCodes.goingAway)) && rows.get(String(closeCodes.goingAway)) !== 'final', '1001 (drain) is not final')
})

await t.test('backoff: doubles from initialDelayMs, capped at maxDelayMs, shortened by at most the jitter', async (t) => {
  const policy = { initialDelayMs: 100, maxDelayMs: 5000, jitter: 0.5 }
  t.same([2, 3, 4, 8, 20].map((attempt) => reconnectDelayMs(policy, attempt, () => 0)), [100, 200, 400, 5000, 5000])
  t.same([2, 3, 8].map((attempt) => reconnectDelayMs(policy, attempt, () => 1)), [50, 100, 2500])
  await t.rejects(CodeGymClient.connect('ws://127.0.0.1:1', { reconnect: { jitter: 2 } }), RangeError)
  await t.rejects(CodeGymClient.connect('ws://127.0.0.1:1', { reconnect: { attempts: 0 } }), RangeError)
})

await t.test('a dropped client keeps trying until the server\'s resumeTtlMs has passed since the drop', async (t) => {
  const resumeTtlMs = 800
  const server = await startServer({ limits: { resumeTtlMs } })
  const url = server.url
  let attempts = 0
  const factory: TransportFactory = (resumeToken) => {
    attempts++
    return connectWebSocket(url, { resumeToken })
  }
  const client = await CodeGymClient.connect(factory, { reconnect: { initialDelayMs: 10, maxDelayMs: 50 } })
  t.equal(client.helloResult.limits.resumeTtlMs, resumeTtlMs, 'the server advertises its resumeTtlMs')
  const closed = new Promise<{ code: number }>((resolve) => client.once('close', resolve))
  let droppedAt = 0
  client.once('disconnect', () => { droppedAt = performance.now() })
  attempts = 0
  await server.close() // 1001, and nothing listens any more
  const { code } = await closed
  const triedForMs = performance.now() - droppedAt
  t.equal(code, closeCodes.goingAway, 'it gave up on the 1001 it got')
  t.ok(triedForMs >= resumeTtlMs, `it tried for ${Math.round(triedForMs)} ms, no less than resumeTtlMs`)
  t.ok(attempts > 5, `${attempts} attempts, not a fixed small number`)
})

await t.test('1001 is not final: the client reconnects to the server that listens at the address next', async (t) => {
  const first = await startServer({ drainGraceMs: 0 })
  const port = first.address.port
  const client = await CodeGymClient.connect(first.url, { reconnect: { initialDelayMs: 10, maxDelayMs: 50 } })
  t.teardown(() => client.close())
  const session = (await client.reset(maxSubarray, { seed: 3 })).session
  const reconnected = new Promise<{ resumed: unknown[] }>((resolve) => client.once('reconnect', resolve))
  const disconnected = new Promise<{ code: number }>((resolve) => client.once('disconnect', resolve))
  await first.drain()
  t.equal((await disconnected).code, closeCodes.goingAway, 'the drain closed the connection with 1001')
  const second = await startServer({ port })
  t.teardown(() => second.close())
  t.same((await reconnected).resumed, [], 'it reconnected; the new server does not know its sessions')
  await t.rejects(client.step(session, { name: 'GetLength' }), { code: 'unknown_session' }, 'so a step on an old session fails with unknown_session')
  t.ok((await client.reset(maxSubarray, { seed: 3 })).session, 'and new sessions work')
})
