// Reconnect + resume: the connection is dropped under the client mid-episode (idle, with a step just
// sent, with a step taken whose answer is lost, with several steps in flight), and the episode must
// end exactly as an uninterrupted run with the same seed and actions: no step lost, none taken twice.
import t from 'tap'
import { CodeGymClient, ConnectionClosedError, type Codec } from '../../../clients/ts/index.ts'
import type { StepResult } from '../../../src/schemas/protocol.generated.ts'
import type { Transport, TransportHandlers } from '../../../src/contract/transport/transport.ts'
import { maxSubarray, startServer, transportsTo, type Via } from './harness.ts'

const server = await startServer()
t.teardown(() => server.close())

const seed = 4242
/** A fixed run: reads, a rolled-back call (bad index), more reads. */
const actions = [
  { name: 'GetLength', parameters: {} },
  { name: 'GetElement', parameters: { index: 0 } },
  { name: 'GetElement', parameters: { index: 1 } },
  { name: 'GetElement', parameters: { index: 99999 } },
  { name: 'GetElement', parameters: { index: 2 } },
  { name: 'UpdateBest', parameters: { best: 1, candidate: 5 } },
  { name: 'Observe', parameters: {} },
  { name: 'GetElement', parameters: { index: 3 } },
]

/** Wraps transports so a test can drop one the moment the next frame arrives (an answer lost). */
class Droppable implements Transport {
  readonly inner: Transport
  dropOnNextFrame = false
  constructor (inner: Transport) { this.inner = inner }
  get bufferedAmount (): number { return this.inner.bufferedAmount }
  listen (handlers: TransportHandlers): void {
    this.inner.listen({
      message: (frame, isBinary) => {
        if (this.dropOnNextFrame) {
          this.dropOnNextFrame = false
          this.inner.close(1000, 'dropped by the test')
          return
        }
        handlers.message(frame, isBinary)
      },
      close: handlers.close,
    })
  }

  send (frame: Uint8Array | string): void { this.inner.send(frame) }
  close (code?: number, reason?: string): void { this.inner.close(code, reason) }
  pause (): void { this.inner.pause() }
  resume (): void { this.inner.resume() }
}

async function connect (via: Via, codec: Codec): Promise<{ client: CodeGymClient, current: () => Droppable, reconnects: () => number }> {
  const { factory } = transportsTo(server, via)
  const made: Droppable[] = []
  let reconnects = 0
  const client = await CodeGymClient.connect(async () => {
    const transport = new Droppable(await factory())
    made.push(transport)
    return transport
  }, { codec, reconnect: { attempts: 5, initialDelayMs: 10 } })
  client.on('reconnect', () => { reconnects++ })
  return { client, current: () => made.at(-1)!, reconnects: () => reconnects }
}

async function uninterrupted (codec: Codec): Promise<StepResult[]> {
  const { client } = await connect('memory', codec)
  try {
    const { session } = await client.reset(maxSubarray, { seed })
    const results: StepResult[] = []
    for (const action of actions) results.push(await client.step(session, action))
    results.push(await client.done(session, 0))
    return results
  } finally {
    await client.close()
  }
}

type Drop = 'idle' | 'just-sent' | 'answer-lost' | 'pipelined'

for (const via of ['websocket', 'memory'] as Via[]) {
  for (const codec of ['msgpack', 'json'] as Codec[]) {
    await t.test(`resume over ${via} with ${codec}`, async (t) => {
      const reference = await uninterrupted(codec)
      t.equal(reference.length, actions.length + 1)
      t.equal(reference.filter((result) => result.info.rolledBack).length, 1, 'the reference run has one rolled-back step')

      for (const drop of ['idle', 'just-sent', 'answer-lost', 'pipelined'] as Drop[]) {
        const { client, current, reconnects } = await connect(via, codec)
        const { session } = await client.reset(maxSubarray, { seed })
        const results: StepResult[] = []
        let index = 0
        while (index < actions.length) {
          if (index === 2) {
            const transport = current()
            if (drop === 'idle') {
              transport.close(1000, 'dropped by the test')
            } else if (drop === 'just-sent') {
              const step = client.step(session, actions[index]!)
              transport.close(1000, 'dropped by the test')
              results.push(await step)
              index++
            } else if (drop === 'answer-lost') {
              transport.dropOnNextFrame = true
              results.push(await client.step(session, actions[index]!))
              index++
            } else {
              // Three steps in flight; the first answer is lost, the rest never come.
              transport.dropOnNextFrame = true
              const steps = actions.slice(index, index + 3).map((action) => client.step(session, action))
              const settled = await Promise.allSettled(steps)
              for (const outcome of settled) {
                if (outcome.status === 'fulfilled') {
                  results.push(outcome.value)
                } else {
                  // Only the known-lost answers of steps that were taken may fail, and they say so.
                  t.ok(outcome.reason instanceof ConnectionClosedError && outcome.reason.applied === true, `${drop}: a failed step says it was applied`)
                  results.push(reference[results.length]!)
                }
              }
              index += 3
            }
          }
          if (index < actions.length) results.push(await client.step(session, actions[index++]!))
        }
        results.push(await client.done(session, 0))
        t.ok(reconnects() >= 1, `${drop}: the client reconnected`)
        t.same(results, reference, `${drop}: the same trajectory as without the drop`)
        t.equal(client.stepOf(session), actions.length + 1, `${drop}: every step taken exactly once`)
        await client.close()
      }
    })
  }
}

await t.test('requests made while disconnected wait for the reconnect', async (t) => {
  const { client, current } = await connect('memory', 'msgpack')
  t.teardown(() => client.close())
  const { session } = await client.reset(maxSubarray, { seed })
  current().close(1000, 'dropped by the test')
  const disconnected = new Promise((resolve) => client.once('disconnect', resolve))
  await disconnected
  const [observed, listed, step] = await Promise.all([client.observe(session), client.listEnvs(), client.step(session, actions[0]!)])
  t.not(observed.observation, undefined)
  t.equal(listed.envs.length, 2)
  t.equal(step.info.step, 1)
})

await t.test('a close in flight when the connection drops is answered', async (t) => {
  const { client, current } = await connect('memory', 'json')
  t.teardown(() => client.close())
  const { session } = await client.reset(maxSubarray, { seed })
  current().dropOnNextFrame = true
  t.same(await client.closeSession(session), { closed: true })
  const error = await client.observe(session).catch((error: unknown) => error)
  t.ok(error instanceof Error && 'code' in error && error.code === 'unknown_session', 'the session is gone')
})

await t.test('an unsafe request lost in a drop fails with ConnectionClosedError', async (t) => {
  const { client, current } = await connect('memory', 'msgpack')
  t.teardown(() => client.close())
  current().dropOnNextFrame = true
  const error = await client.reset(maxSubarray, { seed }).catch((error: unknown) => error)
  t.ok(error instanceof ConnectionClosedError)
  if (error instanceof ConnectionClosedError) t.equal(error.applied, undefined)
  t.equal((await client.listEnvs()).envs.length, 2, 'the client goes on after the reconnect')
})

await t.test('when no reconnect succeeds the client closes', async (t) => {
  const { factory } = transportsTo(server, 'memory')
  let first: Transport | undefined
  const client = await CodeGymClient.connect(async () => {
    if (first !== undefined) throw new Error('no route to the server')
    return (first = await factory())
  }, { reconnect: { attempts: 2, initialDelayMs: 1 } })
  const closed = new Promise((resolve) => client.once('close', resolve))
  const { session } = await client.reset(maxSubarray, { seed })
  const pending = client.observe(session)
  first!.close(1000, 'dropped by the test')
  const error = await pending.catch((error: unknown) => error)
  await closed
  t.ok(error instanceof ConnectionClosedError, 'the request fails once the attempts are spent')
  t.equal(client.isOpen, false)
})
