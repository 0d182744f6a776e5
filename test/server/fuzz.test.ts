// Bounded fuzzing of the wire: random bytes and mutated valid messages (bit flips, truncation, field
// swaps, type changes) as binary and text frames over a few connections. The server must answer
// each with a well-formed Response or close the connection with a documented code, never crash or
// log a bug, keep serving a control connection, and give back every session and connection.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { pack } from 'msgpackr'
import { pino } from 'pino'
import t from 'tap'
import type { Event, Response } from '../../src/schemas/protocol.generated.ts'
import { protocolDefinition } from '../../src/schemas/validate.ts'
import { CodeGymServer } from '../../src/server/server.ts'
import { eventually, RawClient } from '../helpers/wire.ts'
import { seededRandom } from '../../src/seeded-random.ts'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** Set FUZZ_SEED to replay a failing run; the seed is printed either way. */
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31)
const connections = 4
const rounds = 24
const framesPerRound = 48
const maxFrameBytes = 16 * 1024
/** Close codes the fuzz may provoke: too big, not UTF-8, and hello refused. */
const expectedCloseCodes = new Set([1009, 1007, 4002])
/** heapUsed may sit this far above the baseline after everything closed (caches, JIT, pools). */
const heapSlackBytes = 48 * 1024 * 1024

t.comment(`fuzz seed ${seed} (FUZZ_SEED=${seed} to replay)`)

const processFaults: unknown[] = []
const onFault = (error: unknown): void => { processFaults.push(error) }
process.on('uncaughtException', onFault)
process.on('unhandledRejection', onFault)
t.teardown(() => {
  process.off('uncaughtException', onFault)
  process.off('unhandledRejection', onFault)
})

// Bugs are logged at error level: a stream that keeps them lets the test see every one.
const bugs: string[] = []
const logger = pino({ level: 'error' }, { write: (line: string) => { bugs.push(line) } })
const server = await CodeGymServer.start({
  port: 0,
  logger,
  sandbox: { workers: 1 },
  limits: { maxFrameBytes, resumeTtlMs: 0, maxBatchOps: 8, maxPendingRequests: 256 },
})
t.teardown(() => server.close())

const validateResponse = protocolDefinition<Response>('Response', 'response')
const validateEvent = protocolDefinition<Event>('Event', 'event')

const random = seededRandom(seed)
const below = (n: number): number => Math.floor(random() * n)
const pick = <T> (items: readonly T[]): T => items[below(items.length)]!

const clients = new Set<RawClient>()
t.teardown(() => Promise.all([...clients].map((client) => client.close())))

interface Fuzzed {
  client: RawClient
  session: string | undefined
  /** Frames sent; on a connection that stays open each one gets exactly one response. */
  sent: number
  responses: number
  malformed: unknown[]
}

async function connect (): Promise<RawClient> {
  const client = await RawClient.open(server.url)
  clients.add(client)
  return client
}

// The control connection plays one episode step by step through the whole run.
const control = await connect()
await control.hello()
const controlSession = (await control.call(1, 'reset', { env: 'codegym/max-subarray-v1', options: { task: 'all-positive', maxSteps: 4096 } })).session as string
let controlSteps = 0
let controlId = 10
async function controlStep (): Promise<boolean> {
  const result = await control.call(controlId++, 'step', { session: controlSession, action: { name: 'GetElement', parameters: { index: controlSteps % 8 } }, expectStep: controlSteps })
  controlSteps++
  const info = result.info as { step: number }
  return info.step === controlSteps
}

const envIds = ['codegym/max-subarray-v1', 'codegym/valid-brackets-v1']
function validMessages (session: string | undefined): Array<Record<string, unknown>> {
  const id = below(1000)
  const target = session ?? 's1'
  return [
    { id, op: 'hello', params: { versions: [1] } },
    { id, op: 'envs.list' },
    { id, op: 'envs.describe', params: { env: pick(envIds) } },
    { id, op: 'reset', params: { env: pick(envIds), options: { seed: below(100), difficulty: 'easy' } } },
    { id, op: 'reset', params: { env: 'codegym/max-subarray-v1', session: target, options: { task: 'mixed-small' } } },
    { id, op: 'step', params: { session: target, action: { name: 'GetElement', parameters: { index: below(12) } } } },
    { id, op: 'step', params: { session: target, action: { name: 'GetLength' }, expectStep: below(4) } },
    { id, op: 'observe', params: { session: target } },
    { id, op: 'done', params: { session: target, answer: below(10) } },
    { id, op: 'snapshot', params: { session: target } },
    { id, op: 'fork', params: { session: target } },
    { id, op: 'close', params: { session: controlSession } },
    { id, op: 'batch', params: { ops: [{ op: 'step', params: { session: target, action: { name: 'GetLength' } } }, { op: 'observe', params: { session: target } }] } },
  ]
}

const oddValues: readonly unknown[] = [null, true, 0, -1, 1.5, 2 ** 53, -(2 ** 60), '', 'x'.repeat(40), [], [1, [2]], {}, { a: { b: null } }, new Uint8Array([1, 2, 3]), '__proto__', 's1']

/** Replaces one random node of value (or a key of an object) with something of another type. */
function changeType (value: unknown, depth = 0): unknown {
  if (depth > 0 && (random() < 0.3 || value === null || typeof value !== 'object')) return pick(oddValues)
  if (Array.isArray(value)) {
    if (value.length === 0) return pick(oddValues)
    const copy = [...value] as unknown[]
    const index = below(copy.length)
    copy[index] = changeType(copy[index], depth + 1)
    return copy
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const copy = { ...value } as Record<string, unknown>
    const keys = Object.keys(copy)
    if (keys.length === 0) return pick(oddValues)
    const key = pick(keys)
    const roll = random()
    if (roll < 0.15) delete copy[key]
    else if (roll < 0.3) copy[pick(['extra', 'id', 'op', 'params', 'session', 'x'])] = pick(oddValues)
    else copy[key] = changeType(copy[key], depth + 1)
    return copy
  }
  return pick(oddValues)
}

/** Swaps the values of two fields of the top-level message. */
function swapFields (message: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(message)
  const a = pick(keys)
  const b = pick(keys)
  return { ...message, [a]: message[b], [b]: message[a] }
}

function flipBits (bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes)
  for (let flips = 1 + below(4); flips > 0 && copy.length > 0; flips--) copy[below(copy.length)]! ^= 1 << below(8)
  return copy
}

function mutateText (text: string): string {
  const chars = [...text]
  for (let edits = 1 + below(3); edits > 0; edits--) {
    const at = below(chars.length + 1)
    const roll = random()
    if (roll < 0.33) chars.splice(at, 1)
    else if (roll < 0.66) chars.splice(at, 0, pick(['{', '}', '[', ']', '"', ',', ':', '\\', '0', '-', 'e', 'null', '\u0000', '\u{1F600}']))
    else chars[at] = pick(['"', '1', 'x', ' '])
  }
  return chars.join('')
}

/** One fuzzed frame for a connection. */
function fuzzFrame (session: string | undefined): { data: Buffer | string, binary: boolean } {
  const message = pick(validMessages(session))
  const roll = random()
  // Frames that end the connection (not UTF-8, too large) are rare, so connections live long enough.
  if (roll < 0.003) return { data: Buffer.from(Array.from({ length: 1 + below(64) }, () => 0x80 + below(64))), binary: false }
  if (roll < 0.006) return { data: Buffer.alloc(maxFrameBytes + 1 + below(64), below(256)), binary: random() < 0.5 }
  if (roll < 0.08) return { data: Buffer.from(Array.from({ length: below(64) }, () => below(256))), binary: true }
  if (roll < 0.1) return { data: String.fromCodePoint(...Array.from({ length: below(64) }, () => below(0xd800))), binary: false }
  if (roll < 0.25) return { data: flipBits(Buffer.from(pack(message))), binary: true }
  if (roll < 0.35) {
    const bytes = Buffer.from(pack(message))
    return { data: bytes.subarray(0, below(bytes.length)), binary: true }
  }
  if (roll < 0.45) {
    const text = JSON.stringify(message)
    return { data: text.slice(0, below(text.length)), binary: false }
  }
  if (roll < 0.55) return { data: mutateText(JSON.stringify(message)), binary: false }
  if (roll < 0.65) return { data: Buffer.from(pack(swapFields(message))), binary: true }
  if (roll < 0.9) {
    const changed = changeType(message)
    // JSON cannot carry bytes: a Uint8Array becomes an object of indices, which is fine.
    return random() < 0.5 ? { data: Buffer.from(pack(changed)), binary: true } : { data: JSON.stringify(changed), binary: false }
  }
  return { data: Buffer.from(pack(message)), binary: true }
}

function send (fuzzed: Fuzzed, data: Buffer | string, binary: boolean): void {
  fuzzed.client.sendBytes(data, binary)
  fuzzed.sent++
}

/**
 * Reads what the server has sent: every message must be a Response or an Event. With waitForId,
 * reads until that response (and returns it); without, only what has already arrived.
 */
async function drainInbox (fuzzed: Fuzzed, waitForId?: number): Promise<Record<string, unknown> | undefined> {
  for (;;) {
    const next = await fuzzed.client.next(waitForId === undefined ? 0 : 5000).catch(() => undefined)
    if (next === undefined) return undefined
    const { message } = next
    if (message === undefined || !(validateResponse(message) || validateEvent(message))) {
      fuzzed.malformed.push(message ?? next.raw.toString('hex'))
      continue
    }
    if ('id' in message) fuzzed.responses++
    if (waitForId !== undefined && message.id === waitForId) return message
  }
}

let sentinel = 2 ** 52

/** A valid request; returns its response once every message before it has been read. */
async function ask (fuzzed: Fuzzed, op: string, params?: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
  const id = sentinel++
  send(fuzzed, Buffer.from(pack(params === undefined ? { id, op } : { id, op, params })), true)
  return drainInbox(fuzzed, id)
}

/** A new fuzzed connection; sometimes garbage before hello. */
async function openFuzzed (): Promise<Fuzzed> {
  const fuzzed: Fuzzed = { client: await connect(), session: undefined, sent: 0, responses: 0, malformed: [] }
  if (random() < 0.3) {
    for (let n = below(4); n > 0; n--) {
      const { data, binary } = fuzzFrame(undefined)
      send(fuzzed, data, binary)
    }
  }
  const hello = await ask(fuzzed, 'hello', { versions: [1] })
  if (hello !== undefined && 'result' in hello) {
    const reset = await ask(fuzzed, 'reset', { env: 'codegym/max-subarray-v1', options: { task: 'mixed-small' } })
    fuzzed.session = (reset?.result as { session?: string } | undefined)?.session
  }
  return fuzzed
}

const fuzzedConnections: Fuzzed[] = []
const results = { frames: 0, responses: 0, reconnects: 0, closeCodes: new Map<number, number>(), malformed: [] as unknown[] }

// Warm up, then take the heap baseline: code paths compiled, pools started, caches filled.
for (let i = 0; i < connections; i++) fuzzedConnections.push(await openFuzzed())
gc()
const heapBaseline = process.memoryUsage().heapUsed
const startedAt = Date.now()

await t.test('fuzzed frames', async (t) => {
  let controlOk = true
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < fuzzedConnections.length; i++) {
      let fuzzed = fuzzedConnections[i]!
      if (!fuzzed.client.isOpen) {
        await drainInbox(fuzzed)
        const code = (await fuzzed.client.waitClosed()).code
        results.closeCodes.set(code, (results.closeCodes.get(code) ?? 0) + 1)
        if (fuzzed.responses > fuzzed.sent) t.fail(`${fuzzed.responses} responses to ${fuzzed.sent} frames`)
        results.responses += fuzzed.responses
        results.malformed.push(...fuzzed.malformed)
        clients.delete(fuzzed.client)
        fuzzed = fuzzedConnections[i] = await openFuzzed()
        results.reconnects++
      }
      for (let n = 0; n < framesPerRound && fuzzed.client.isOpen; n++) {
        const { data, binary } = fuzzFrame(fuzzed.session)
        send(fuzzed, data, binary)
        results.frames++
      }
      // A valid request after the burst: once it is answered, the burst has been read.
      if (fuzzed.client.isOpen) await ask(fuzzed, 'envs.list')
    }
    controlOk &&= await controlStep()
  }
  for (const fuzzed of fuzzedConnections) {
    // Steps of the last burst may still be in the sandbox: wait for their answers.
    const deadline = Date.now() + 5000
    while (fuzzed.client.isOpen && fuzzed.responses < fuzzed.sent && Date.now() < deadline) {
      await drainInbox(fuzzed)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    await drainInbox(fuzzed)
    if (fuzzed.client.isOpen) t.equal(fuzzed.responses, fuzzed.sent, 'on a connection that stayed open, every frame got exactly one response')
    results.responses += fuzzed.responses
    results.malformed.push(...fuzzed.malformed)
  }
  t.comment(`${results.frames} frames, ${results.responses} responses, ${results.reconnects} reconnects, closes ${JSON.stringify([...results.closeCodes])}, ${Date.now() - startedAt} ms`)
  t.ok(results.frames >= rounds * framesPerRound, 'the fuzz sent its frames')
  t.ok(results.responses > 0, 'the server answered')
  t.same(results.malformed, [], 'every message from the server is a well-formed Response or Event')
  for (const code of results.closeCodes.keys()) t.ok(expectedCloseCodes.has(code), `close code ${code} is one the fuzz can provoke`)
  t.ok(controlOk, 'the control connection took every step, in order, throughout')
  t.equal(controlSteps, rounds)
})

await t.test('nothing crashed, nothing leaked', async (t) => {
  t.same(processFaults, [], 'no uncaught exception or unhandled rejection')
  t.same(bugs, [], 'the server logged no internal error')
  const list = await control.request(controlId++, 'envs.list')
  t.ok('result' in list, 'the control connection still works')
  await Promise.all([...clients].map((client) => client.close()))
  clients.clear()
  t.ok(await eventually(() => server.connectionCount === 0), `no connection left (${server.connectionCount})`)
  t.ok(await eventually(() => server.sessionCount === 0), `no session left (${server.sessionCount})`)
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  const heapAfter = process.memoryUsage().heapUsed
  t.comment(`heapUsed ${(heapBaseline / 2 ** 20).toFixed(1)} MiB before, ${(heapAfter / 2 ** 20).toFixed(1)} MiB after`)
  t.ok(heapAfter < heapBaseline + heapSlackBytes, 'the heap returns near its baseline')
})
