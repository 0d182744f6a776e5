// snapshot, restore, fork, batch, pipelining and the limits a client can run into.
import { isDeepStrictEqual } from 'node:util'
import { CheckSkipped, checkedError, checkedResult, expect, show, type Check, type StepOutcome } from '../context.ts'

/** Largest count of requests a check sends to reach a limit; larger limits are not provoked. */
const largestProvokedCount = 70_000

export const sessionChecks: Check[] = [
  {
    section: 'snapshot',
    level: 'MUST',
    statement: 'snapshot bytes are bin on binary frames and base64 text on text frames; restore continues exactly where they were taken',
    async run (context) {
      const client = await context.client()
      const { session } = await context.episode(client, { seed: 99 })
      await client.step(session, { name: 'Observe' })
      const taken = await client.ok('snapshot', { session }) as { snapshot: Uint8Array | string, step: number }
      if (context.codec === 'msgpack') expect(taken.snapshot instanceof Uint8Array, `the snapshot on a binary frame is ${typeof taken.snapshot}, not bin`)
      else expect(typeof taken.snapshot === 'string', 'the snapshot on a text frame is not a string')
      expect(taken.step === 1, `the snapshot is at step ${taken.step}`)
      const observed = await client.ok('observe', { session })
      const next = await client.step(session, { name: 'Observe' })
      await client.step(session, { name: 'NoSuchTool' })
      const restored = await client.ok('restore', { snapshot: taken.snapshot }) as { session: string, step: number, status: string, env: string }
      expect(restored.step === 1 && restored.status === 'running' && restored.env === context.env.id && restored.session !== session, `restore gave ${show(restored)}`)
      expect(isDeepStrictEqual(await client.ok('observe', { session: restored.session }), observed), 'the restored episode observes differently')
      const replayed = await client.step(restored.session, { name: 'Observe' })
      expect(isDeepStrictEqual(replayed, next), `the restored episode's next step ${show(replayed)} differs from the original's ${show(next)}`)
      await client.ok('close', { session })
      await client.ok('close', { session: restored.session })
    },
  },
  {
    section: 'restore',
    level: 'MUST',
    statement: 'restore accepts base64 text on either frame type; bytes that are not a snapshot are invalid_snapshot, a non-bytes value invalid_params',
    async run (context) {
      const client = await context.client()
      const { session } = await context.episode(client, { maxSteps: 1 })
      await client.step(session, { name: 'Observe' })
      const { snapshot } = await client.ok('snapshot', { session }) as { snapshot: Uint8Array | string }
      const base64 = typeof snapshot === 'string' ? snapshot : Buffer.from(snapshot).toString('base64')
      const restored = await client.ok('restore', { snapshot: base64 }) as { session: string, status: string }
      expect(restored.status === 'truncated', `a snapshot of an ended episode restored as ${show(restored.status)}`)
      await client.fails('restore', { snapshot: Buffer.from('hello').toString('base64') }, 'invalid_snapshot')
      if (context.codec === 'msgpack') await client.fails('restore', { snapshot: new Uint8Array([1, 2, 3]) }, 'invalid_snapshot')
      await client.fails('restore', { snapshot: 12 }, 'invalid_params')
      await client.fails('restore', { snapshot: 'not base64!' }, 'invalid_params')
      await client.ok('close', { session })
      await client.ok('close', { session: restored.session })
    },
  },
  {
    section: 'step',
    level: 'MUST',
    statement: 'step with snapshot: true returns the snapshot right after the action (restoring it gives step info.step)',
    async run (context) {
      const client = await context.client()
      const { session } = await context.episode(client)
      const stepped = await client.step(session, { name: 'Observe' }, { snapshot: true })
      expect(stepped.snapshot !== undefined, 'no snapshot in the result')
      const restored = await client.ok('restore', { snapshot: stepped.snapshot }) as { session: string, step: number }
      expect(restored.step === stepped.info.step, `the snapshot restores at step ${restored.step}, not ${stepped.info.step}`)
      const plain = await client.step(session, { name: 'Observe' })
      expect(plain.snapshot === undefined, 'a step without snapshot: true carried a snapshot')
      await client.ok('close', { session })
      await client.ok('close', { session: restored.session })
    },
  },
  {
    section: 'fork',
    level: 'MUST',
    statement: 'fork makes an independent copy continuing from the same point',
    async run (context) {
      const client = await context.client()
      const { session } = await context.episode(client)
      await client.step(session, { name: 'Observe' })
      const copy = await client.ok('fork', { session }) as { session: string, step: number, status: string }
      expect(copy.step === 1 && copy.status === 'running' && copy.session !== session, `fork gave ${show(copy)}`)
      const inCopy = await client.step(copy.session, { name: 'Observe' })
      const inOriginal = await client.step(session, { name: 'Observe' })
      expect(inCopy.info.step === 2 && inOriginal.info.step === 2, 'a step in the fork moved the original (or the other way round)')
      expect(isDeepStrictEqual(inCopy.observation, inOriginal.observation), 'the fork observes differently from its original')
      await client.ok('close', { session: copy.session })
      await client.ok('observe', { session })
      await client.ok('close', { session })
    },
  },
  {
    section: 'batch',
    level: 'MUST',
    statement: 'batch answers one outcome per operation in order; one failing operation (malformed, unknown, bad params, hello) fails alone',
    async run (context) {
      const client = await context.client()
      const { session } = await context.episode(client)
      const ops = [
        { op: 'step', params: { session, action: { name: 'Observe' } } },
        7,
        { op: 'step', params: { session, action: { name: 'Observe' }, expectStep: 1 } },
        { op: 'teleport' },
        { op: 'envs.list', params: { unexpected: true } },
        { op: 'hello', params: context.helloParams() },
        { op: 'envs.list', extra: true },
        { op: 'observe', params: { session } },
      ]
      const { results } = await client.ok('batch', { ops }) as { results: Array<{ result?: StepOutcome, error?: { code: string } }> }
      expect(results.length === ops.length, `${results.length} outcomes for ${ops.length} operations`)
      const codes = results.map((outcome) => outcome.error?.code ?? 'ok')
      const expected = ['ok', 'invalid_request', 'ok', 'unknown_op', 'invalid_params', 'invalid_request', 'invalid_request', 'ok']
      expect(isDeepStrictEqual(codes, expected), `outcomes ${show(codes)}, expected ${show(expected)}`)
      expect(results[0]!.result!.info.step === 1 && results[2]!.result!.info.step === 2, 'the steps of one session did not run in the order given')
      await client.fails('batch', { ops: [] }, 'invalid_params')
      await client.ok('close', { session })
    },
  },
  {
    section: 'batch',
    level: 'MUST',
    statement: 'a batch of more than maxBatchOps operations is batch_too_large and none runs',
    async run (context) {
      const { maxBatchOps, maxPendingRequests, maxFrameBytes } = context.limits
      if (maxBatchOps! + 1 > maxPendingRequests!) throw new CheckSkipped('maxBatchOps + 1 is over maxPendingRequests: such a batch is too_many_pending')
      if ((maxBatchOps! + 1) * 40 > maxFrameBytes!) throw new CheckSkipped('such a batch does not fit in maxFrameBytes')
      const client = await context.client()
      const { session } = await context.episode(client)
      const ops = Array.from({ length: maxBatchOps! + 1 }, () => ({ op: 'step', params: { session, action: { name: 'Observe' } } }))
      await client.fails('batch', { ops }, 'batch_too_large')
      const snapshot = await client.ok('snapshot', { session })
      expect(snapshot.step === 0, `${show(snapshot.step)} steps of the refused batch ran`)
      await client.ok('close', { session })
    },
  },
  {
    section: 'Pipelining and ordering',
    level: 'MUST',
    statement: 'requests on one session take effect in the order received: a reset, steps and a close sent together',
    async run (context) {
      const client = await context.client()
      const { session } = await context.episode(client)
      await client.step(session, { name: 'Observe' })
      const ids = [client.wire.newId(), client.wire.newId(), client.wire.newId(), client.wire.newId()]
      const reset = { env: context.env.id, session, ...(context.env.task === undefined ? {} : { options: { task: context.env.task } }) }
      client.wire.sendTogether([
        { message: { id: ids[0], op: 'reset', params: reset }, codec: context.codec },
        { message: { id: ids[1], op: 'step', params: { session, action: { name: 'Observe' } } }, codec: context.codec },
        { message: { id: ids[2], op: 'step', params: { session, action: { name: 'Observe' } } }, codec: context.codec },
        { message: { id: ids[3], op: 'close', params: { session } }, codec: context.codec },
      ])
      const answers = await Promise.all(ids.map((id) => client.wire.answer(id)))
      const steps = [checkedResult('step', answers[1]!), checkedResult('step', answers[2]!)] as unknown as StepOutcome[]
      expect(steps[0]!.info.step === 1 && steps[1]!.info.step === 2, `the steps after the reset were at ${steps.map((step) => step.info.step).join(', ')}, not 1, 2`)
      checkedResult('reset', answers[0]!)
      expect(checkedResult('close', answers[3]!).closed === true, 'close did not answer closed')
    },
  },
  {
    section: 'Pipelining and ordering',
    level: 'MUST',
    statement: 'many requests on different sessions may be in flight at once; each response carries its request\'s id',
    async run (context) {
      const client = await context.client()
      const count = Math.max(1, Math.min(8, context.limits.maxSessionsPerConnection!, Math.floor(context.limits.maxPendingRequests! / 3)))
      const sessions = await Promise.all(Array.from({ length: count }, async () => (await context.episode(client)).session))
      const frames = sessions.flatMap((session) => [0, 1, 2].map((expectStep) => ({ message: { id: client.wire.newId(), op: 'step', params: { session, action: { name: 'Observe' }, expectStep } }, codec: context.codec })))
      client.wire.sendTogether(frames)
      for (const frame of frames) {
        const { id, params } = frame.message as { id: number, params: { expectStep: number } }
        const outcome = checkedResult('step', await client.wire.answer(id)) as unknown as StepOutcome
        expect(outcome.info.step === params.expectStep + 1, `request ${id} (expectStep ${params.expectStep}) gave step ${outcome.info.step}`)
      }
      for (const session of sessions) await client.ok('close', { session })
    },
  },
  {
    section: 'How the server reads a frame',
    level: 'MUST',
    statement: 'a request that would put more than maxPendingRequests operations in flight is too_many_pending, and does not run',
    async run (context) {
      const { maxPendingRequests, maxBatchOps, maxFrameBytes } = context.limits
      if (maxPendingRequests! > largestProvokedCount) throw new CheckSkipped(`maxPendingRequests is ${maxPendingRequests}`)
      const client = await context.client()
      const { session } = await context.episode(client)
      // Operations on one session run one after another, so they stay in flight while the rest arrive.
      const perBatch = Math.max(1, Math.min(maxBatchOps!, maxPendingRequests!, Math.floor(maxFrameBytes! / 64)))
      const frames = []
      for (let queued = 0; queued < maxPendingRequests!; queued += perBatch) {
        frames.push({ message: { id: client.wire.newId(), op: 'batch', params: { ops: Array.from({ length: Math.min(perBatch, maxPendingRequests! - queued) }, () => ({ op: 'observe', params: { session } })) } }, codec: context.codec })
      }
      const over = client.wire.newId()
      frames.push({ message: { id: over, op: 'step', params: { session, action: { name: 'Observe' } } }, codec: context.codec })
      client.wire.sendTogether(frames)
      checkedError('step', await client.wire.answer(over), 'too_many_pending')
      for (const frame of frames.slice(0, -1)) checkedResult('batch', await client.wire.answer((frame.message as { id: number }).id))
      const snapshot = await client.ok('snapshot', { session })
      expect(snapshot.step === 0, 'the refused step ran')
      await client.ok('close', { session })
    },
  },
  {
    section: 'Limits',
    level: 'MUST',
    statement: 'a client over maxSessionsPerConnection sessions gets too_many_sessions',
    async run (context) {
      const { maxSessionsPerConnection } = context.limits
      if (maxSessionsPerConnection! > 256) throw new CheckSkipped(`maxSessionsPerConnection is ${maxSessionsPerConnection}; provoked when 256 or less`)
      const client = await context.client()
      const sessions: string[] = []
      for (let index = 0; index < maxSessionsPerConnection!; index++) sessions.push((await context.episode(client)).session)
      await client.fails('reset', { env: context.env.id }, 'too_many_sessions')
      await client.fails('fork', { session: sessions[0] }, 'too_many_sessions')
      for (const session of sessions) await client.ok('close', { session })
    },
  },
  {
    section: 'Transport and framing',
    level: 'MUST',
    statement: 'a frame over maxFrameBytes closes the connection with 1009',
    async run (context) {
      const { maxFrameBytes } = context.limits
      if (maxFrameBytes! > 64 * 1024 * 1024) throw new CheckSkipped(`maxFrameBytes is ${maxFrameBytes}`)
      const client = await context.client()
      const padding = 'x'.repeat(maxFrameBytes! + 1)
      client.wire.send({ id: client.wire.newId(), op: 'envs.list', params: { padding } }, context.codec)
      const closed = await client.wire.waitClosed('the close after an oversized frame')
      expect(closed.code === 1009, `closed with ${closed.code}, not 1009`)
    },
  },
]
