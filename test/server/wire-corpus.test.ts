// Replays test/fixtures/wire/ against a real server over real WebSockets: every case gets its
// documented answer, the connection stays usable where the protocol says so, and nothing leaks.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { pack } from 'msgpackr'
import { pino } from 'pino'
import t from 'tap'
import { Runtime } from '../../src/env/runtime.ts'
import { errorCatalogue, ops } from '../../src/contract/protocol/catalogue.ts'
import type { Op, ProtocolErrorCode, Response } from '../../src/schemas/protocol.generated.ts'
import { protocolDefinition } from '../../src/schemas/validate.ts'
import type { ServerLimits } from '../../src/server/limits.ts'
import { CodeGymServer } from '../../src/server/server.ts'
import { eventually, RawClient } from '../helpers/wire.ts'
import type { TestContext } from '../helpers/tap.ts'

interface Frame {
  msgpack?: unknown
  json?: unknown
  hex?: string
  text?: string
  textHex?: string
  repeat?: string
  bytes?: number
  binary?: boolean
  thenRepeat?: string
  times?: number
  end?: string
  close?: string
  closeTimes?: number
  repeatOps?: number
  padTo?: number
}

interface ExpectedResponse {
  id: number | null
  error?: string
  data?: unknown
  op?: Op
  result?: unknown
}

type Setup = 'session' | 'ended_session' | 'closed_session' | 'other_session' | 'slow_session'

interface Case {
  name: string
  server?: 'token'
  phase: 'before_hello' | 'after_hello'
  setup?: Setup
  frames: Frame[]
  sequential?: boolean
  responses: ExpectedResponse[]
  after: 'open' | { close: number }
}

interface ServerFixture {
  limits: Partial<ServerLimits>
  sandbox: Record<string, number>
  envDirs: string[]
  token: string
  setups: Record<Setup, string>
}

const fixtures = new URL('../fixtures/wire/', import.meta.url)
const repoRoot = new URL('../../', import.meta.url)
const readFixture = <T> (name: string): T => JSON.parse(readFileSync(new URL(name, fixtures), 'utf8')) as T
const serverFixture = readFixture<ServerFixture>('server.json')
const corpora: Array<[string, Case[]]> = ['rejected.json', 'accepted.json'].map((name) => [name, readFixture<{ cases: Case[] }>(name).cases])

const validateResponse = protocolDefinition<Response>('Response', 'response')
const resultValidators = new Map(ops.map((op) => [op, protocolDefinition<unknown>(`Operations/properties/${op}/properties/result`, `${op} result`)]))

const logger = pino({ level: 'silent' })
const runtime = await Runtime.create({
  envDirs: serverFixture.envDirs.map((dir) => fileURLToPath(new URL(dir, repoRoot))),
  sandbox: serverFixture.sandbox,
})
const open = await CodeGymServer.start({ port: 0, runtime, limits: serverFixture.limits, logger })
const guarded = await CodeGymServer.start({ port: 0, runtime, limits: serverFixture.limits, logger, token: serverFixture.token })
t.teardown(async () => {
  await open.close()
  await guarded.close()
  await runtime.close()
})

const clients = new Set<RawClient>()
async function connect (server: CodeGymServer): Promise<RawClient> {
  const client = await RawClient.open(server.url)
  clients.add(client)
  return client
}
t.teardown(() => Promise.all([...clients].map((client) => client.close())))

// A neighbour that owns a session, for the cases about another connection's session.
const neighbour = await connect(open)
await neighbour.hello()
const neighbourSession = (await neighbour.call(1, 'reset', { env: 'codegym/max-subarray-v1', options: { task: 'mixed-small' } })).session as string

let setupId = 1_000_000
async function runSetup (client: RawClient, setup: Setup): Promise<string> {
  if (setup === 'other_session') return neighbourSession
  const env = setup === 'slow_session' ? 'test/hostile-v1' : 'codegym/max-subarray-v1'
  const options = setup === 'slow_session' ? {} : { task: 'mixed-small' }
  const session = (await client.call(setupId++, 'reset', { env, options })).session as string
  if (setup === 'ended_session') await client.call(setupId++, 'done', { session, answer: 6 })
  if (setup === 'closed_session') await client.call(setupId++, 'close', { session })
  return session
}

/** Replaces every string "$session" in value. */
function substitute (value: unknown, session: string | undefined): unknown {
  if (value === '$session') return session
  if (Array.isArray(value)) return value.map((item) => substitute(item, session))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, session)]))
  }
  return value
}

function expand (prefix: string, frame: Frame): string {
  return prefix + (frame.thenRepeat ?? '').repeat(frame.times ?? 0) + (frame.end ?? '') + (frame.close ?? '').repeat(frame.closeTimes ?? 0)
}

function buildFrame (frame: Frame, session: string | undefined): { data: Buffer | string, binary: boolean } {
  if (frame.hex !== undefined) {
    const hex = frame.hex.replaceAll('<session>', Buffer.from(pack(session)).toString('hex'))
    return { data: Buffer.from(expand(hex, frame), 'hex'), binary: true }
  }
  if (frame.text !== undefined) return { data: expand(frame.text, frame), binary: false }
  if (frame.textHex !== undefined) return { data: Buffer.from(frame.textHex, 'hex'), binary: false }
  if (frame.repeat !== undefined) {
    const byte = Number.parseInt(frame.repeat, 16)
    return { data: frame.binary === true ? Buffer.alloc(frame.bytes!, byte) : String.fromCharCode(byte).repeat(frame.bytes!), binary: frame.binary === true }
  }
  const binary = frame.msgpack !== undefined
  const message = substitute(binary ? frame.msgpack : frame.json, session) as { params?: { ops?: unknown[], pad?: string } }
  if (frame.repeatOps !== undefined && message.params?.ops !== undefined) {
    message.params.ops = Array.from({ length: frame.repeatOps }, () => message.params!.ops![0])
  }
  const encode = (value: unknown): Buffer | string => binary ? Buffer.from(pack(value)) : JSON.stringify(value)
  if (frame.padTo !== undefined && message.params !== undefined) {
    message.params.pad = ''
    message.params.pad = 'x'.repeat(frame.padTo - Buffer.byteLength(encode(message)))
    // A longer string may need a longer MessagePack length prefix: trim until the size is exact.
    while (Buffer.byteLength(encode(message)) > frame.padTo) message.params.pad = message.params.pad.slice(1)
  }
  return { data: encode(message), binary }
}

/** Every response must be a Response of the schema, with a code from the catalogue. */
function checkWellFormed (t: TestContext, response: Record<string, unknown>): void {
  t.ok(validateResponse(response), `well-formed response ${validateResponse.lastError}`)
  const error = response.error as { code?: string } | undefined
  if (error !== undefined) t.ok(errorCatalogue.has(error.code as ProtocolErrorCode), `error code ${error.code} is in the catalogue`)
}

function checkResponse (t: TestContext, received: Record<string, unknown>, expected: ExpectedResponse, session: string | undefined): void {
  if (expected.error !== undefined) {
    const error = received.error as { code: string, data?: unknown } | undefined
    t.equal(error?.code, expected.error, `id ${expected.id}: error ${expected.error}`)
    if (expected.data !== undefined) t.match(error?.data, expected.data, 'error data')
    return
  }
  t.ok('result' in received, `id ${expected.id}: a result, not ${JSON.stringify(received.error)}`)
  t.match(received.result, substitute(expected.result, session), 'result')
  if (expected.op !== undefined) {
    const validate = resultValidators.get(expected.op)!
    t.ok(validate(received.result), `the result is a ${expected.op} result ${validate.lastError}`)
  }
}

/** A following valid request is answered: the connection is still usable. */
async function checkUsable (t: TestContext, client: RawClient, server: CodeGymServer): Promise<void> {
  const hello = await client.request(999_998, 'hello', server === guarded ? { versions: [1], token: serverFixture.token } : { versions: [1] })
  checkWellFormed(t, hello)
  if ('error' in hello) t.equal((hello.error as { code: string }).code, 'already_hello', 'hello is answered')
  const list = await client.request(999_999, 'envs.list')
  t.ok('result' in list, 'a following envs.list is answered with a result')
}

async function replay (t: TestContext, testCase: Case): Promise<void> {
  const server = testCase.server === 'token' ? guarded : open
  const client = await connect(server)
  if (testCase.phase === 'after_hello') await client.hello(server === guarded ? { versions: [1], token: serverFixture.token } : { versions: [1] })
  const session = testCase.setup === undefined ? undefined : await runSetup(client, testCase.setup)

  const received: Array<Record<string, unknown>> = []
  for (const frame of testCase.frames) {
    const { data, binary } = buildFrame(frame, session)
    client.sendBytes(data, binary)
    if (testCase.sequential === true) received.push(await client.response())
  }
  if (typeof testCase.after === 'object') {
    // The server closes: whatever came before the close must still be well-formed.
    const closed = await client.waitClosed()
    t.equal(closed.code, testCase.after.close, `closed with ${testCase.after.close}`)
    for (;;) {
      const message = await client.next(0).catch(() => undefined)
      if (message === undefined) break
      t.ok(message.message !== undefined, 'decodable frame')
      if (message.message !== undefined) received.push(message.message)
    }
  } else {
    while (received.length < testCase.responses.length) received.push(await client.response())
  }
  for (const response of received) checkWellFormed(t, response)

  const unmatched = [...received]
  for (const expected of testCase.responses) {
    const index = unmatched.findIndex((response) => response.id === expected.id && ('error' in response) === (expected.error !== undefined))
    if (index < 0) {
      t.fail(`a response ${JSON.stringify(expected)}`, { received })
      continue
    }
    checkResponse(t, unmatched.splice(index, 1)[0]!, expected, session)
  }
  if (typeof testCase.after === 'object') {
    t.ok(unmatched.every((response) => (response.error as { code?: string } | undefined)?.code === 'frame_too_large'), 'nothing but frame_too_large before the close', { unmatched })
  } else {
    await checkUsable(t, client, server)
  }
  await client.close()
  clients.delete(client)
}

for (const [file, cases] of corpora) {
  await t.test(file, async (t) => {
    for (const testCase of cases) await t.test(testCase.name, (t) => replay(t, testCase))
  })
}

await t.test('the corpus covers every protocol error code', async (t) => {
  // Codes that need more than one frame's worth of setup are tested where that setup lives.
  const elsewhere: Record<string, string> = {
    too_many_sessions: 'limits.test.ts',
    draining: 'drain.test.ts',
    frame_too_large: 'the WebSocket layer closes with 1009 before the server reads the frame',
    frame_over_budget: 'hostile-decode.test.ts',
    too_many_connections: 'hostile-connections.test.ts',
    internal_error: 'a server bug: never sent on purpose',
  }
  const covered = new Set(corpora.flatMap(([, cases]) => cases.flatMap((c) => c.responses.map((r) => r.error))))
  // The runtime's codes env_error, episode_closed and sandbox_busy need a faulty env, a race or a
  // flooded sandbox: test/env and test/sandbox cover them.
  const runtimeOnly = new Set(['env_error', 'episode_closed', 'sandbox_busy'])
  for (const code of errorCatalogue.keys()) {
    if (runtimeOnly.has(code)) continue
    t.ok(covered.has(code) || code in elsewhere, `${code} is in the corpus or tested elsewhere`)
  }
  for (const code of covered) if (code !== undefined) t.ok(errorCatalogue.has(code as ProtocolErrorCode), `${code} is a documented code`)
})

await t.test('sessions and connections return to zero once clients close', async (t) => {
  await Promise.all([...clients].map((client) => client.close()))
  clients.clear()
  t.ok(await eventually(() => open.connectionCount === 0 && guarded.connectionCount === 0), `no connections left (${open.connectionCount}, ${guarded.connectionCount})`)
  t.ok(await eventually(() => open.sessionCount === 0 && guarded.sessionCount === 0), `no sessions left (${open.sessionCount}, ${guarded.sessionCount})`)
})
