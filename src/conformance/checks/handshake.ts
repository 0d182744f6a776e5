// hello, the close codes it leads to, and resume: nothing lost, nothing applied twice.
import { isDeepStrictEqual } from 'node:util'
import { protocolDefinition } from '../../contract/index.ts'
import { CheckSkipped, checkedError, checkedResult, expect, show, type Check, type StepOutcome } from '../context.ts'
import { WireConnection } from '../wire.ts'

const validateLimits = protocolDefinition<Record<string, number>>('Limits', 'limits')

export const handshakeChecks: Check[] = [
  {
    section: 'Versioning and the hello handshake',
    level: 'MUST',
    statement: 'the server picks the highest version it shares with the client and sends its limits',
    async run (context) {
      const wire = await context.connect()
      const hello = checkedResult('hello', await wire.call('hello', context.helloParams({ versions: [99, 1] }), context.codec))
      expect(hello.version === 1, `version ${show(hello.version)} was chosen from [99, 1]`)
      expect(validateLimits(hello.limits), `limits: ${validateLimits.lastError}`)
      expect(typeof hello.resumeToken === 'string' && hello.resumeToken.length > 0, 'no resumeToken')
    },
  },
  {
    section: 'Versioning and the hello handshake',
    level: 'MUST',
    statement: 'no version in common is unsupported_version with data.versions, then close 4002',
    async run (context) {
      const wire = await context.connect()
      const error = checkedError('hello', await wire.call('hello', context.helloParams({ versions: [99] }), context.codec), 'unsupported_version')
      const versions = (error.data as { versions?: unknown } | undefined)?.versions
      expect(Array.isArray(versions) && versions.includes(1), `data.versions is ${show(versions)}`)
      const closed = await wire.waitClosed('the close after unsupported_version')
      expect(closed.code === 4002, `closed with ${closed.code}, not 4002`)
    },
  },
  {
    section: 'Versioning and the hello handshake',
    level: 'MUST',
    statement: 'a server with a token answers a wrong or missing token unauthorized and closes with 4001',
    async run (context) {
      if (context.options.token === undefined) throw new CheckSkipped('no --token given: the server is taken to need none')
      for (const token of [`${context.options.token}-wrong`, undefined]) {
        const wire = await context.connect()
        const params = { ...context.helloParams(), token }
        if (token === undefined) delete params.token
        checkedError('hello', await wire.call('hello', params, context.codec), 'unauthorized')
        const closed = await wire.waitClosed('the close after unauthorized')
        expect(closed.code === 4001, `closed with ${closed.code}, not 4001`)
      }
    },
  },
  {
    section: 'Versioning and the hello handshake',
    level: 'MUST',
    statement: 'hello failing with invalid_params or invalid_resume_token leaves the connection waiting for hello',
    async run (context) {
      const wire = await context.connect()
      checkedError('hello', await wire.call('hello', { versions: [] }, context.codec), 'invalid_params')
      checkedError('hello', await wire.call('hello', context.helloParams({ resume: 'no-such-client' }), context.codec), 'invalid_resume_token')
      checkedResult('hello', await wire.call('hello', context.helloParams(), context.codec))
    },
  },
  {
    section: 'Versioning and the hello handshake',
    level: 'MUST',
    statement: 'a connection without a successful hello within helloTimeoutMs is closed with 4004',
    once: true,
    async run (context) {
      const { helloTimeoutMs } = context.limits
      if (helloTimeoutMs! > 15_000) throw new CheckSkipped(`helloTimeoutMs is ${helloTimeoutMs} ms; checked when it is 15 s or less`)
      const wire = await context.connect()
      const closed = await wire.waitClosed('the hello timeout close', helloTimeoutMs! + context.options.timeoutMs)
      expect(closed.code === 4004, `closed with ${closed.code}, not 4004`)
    },
  },
  {
    section: 'Client identity and resume',
    level: 'MUST',
    statement: 'after a lost connection, hello with resume returns the client\'s sessions with their step count and lastResult',
    async run (context) {
      if (context.limits.resumeTtlMs === 0) throw new CheckSkipped('resumeTtlMs is 0: sessions end with the connection')
      const first = await context.client()
      const { session } = await context.episode(first)
      const stepped = await first.step(session, { name: 'Observe' }, { expectStep: 0 })
      await first.wire.drop()
      const second = await context.client(first.resumeToken)
      expect(second.resumeToken === first.resumeToken, 'the resumed hello gave another resumeToken')
      const resumed = second.hello.resumed as Array<{ session: string, step: number, status: string, lastResult?: StepOutcome }> | undefined
      const summary = resumed?.find((entry) => entry.session === session)
      expect(summary !== undefined, `the session is not in resumed: ${show(resumed)}`)
      expect(summary.step === 1 && summary.status === 'running', `the summary is ${show(summary)}`)
      expect(isDeepStrictEqual(summary.lastResult, stepped), `lastResult ${show(summary.lastResult)} is not the step's result ${show(stepped)}`)
      await second.ok('close', { session })
    },
  },
  {
    section: 'Client identity and resume',
    level: 'MUST',
    statement: 'steps pipelined with expectStep before a drop are each applied once: resend them all, the taken ones fail step_mismatch',
    async run (context) {
      if (context.limits.resumeTtlMs === 0) throw new CheckSkipped('resumeTtlMs is 0: sessions end with the connection')
      const planned = 6
      const first = await context.client()
      const { session } = await context.episode(first, { maxSteps: planned + 2 })
      const frames = Array.from({ length: planned }, (_, index) => ({ message: { id: first.wire.newId(), op: 'step', params: { session, action: { name: 'Observe' }, expectStep: index } }, codec: context.codec }))
      first.wire.sendTogether(frames)
      await first.wire.drop()
      const second = await context.client(first.resumeToken)
      const summary = (second.hello.resumed as Array<{ session: string, step: number }>).find((entry) => entry.session === session)
      expect(summary !== undefined, 'the session is not in resumed')
      expect(summary.step <= planned, `the session took ${summary.step} steps of the ${planned} sent`)
      let taken = 0
      let refused = 0
      for (let index = 0; index < planned; index++) {
        const answer = await second.wire.call('step', { session, action: { name: 'Observe' }, expectStep: index }, context.codec)
        if (answer.error === undefined) {
          taken++
          expect((answer.result as unknown as StepOutcome).info.step === index + 1, `the retried step ${index} gave info.step ${show(answer.result)}`)
        } else {
          refused++
          expect(answer.error.code === 'step_mismatch', `a retried step failed with ${answer.error.code}`)
        }
      }
      expect(refused === summary.step && taken === planned - summary.step, `${refused} retries refused and ${taken} taken, after ${summary.step} steps had run`)
      const after = await second.ok('snapshot', { session })
      expect(after.step === planned, `the episode has ${show(after.step)} steps, not ${planned}`)
      await second.ok('close', { session })
    },
  },
  {
    section: 'Client identity and resume',
    level: 'MUST',
    statement: 'hello with resume while the client is connected elsewhere moves it: the old connection closes with 4003',
    async run (context) {
      const first = await context.client()
      const second = await context.client(first.resumeToken)
      const closed = await first.wire.waitClosed('the close of the older connection')
      expect(closed.code === 4003, `the older connection closed with ${closed.code}, not 4003`)
      await second.ok('envs.list')
    },
  },
  {
    section: 'Client identity and resume',
    level: 'MUST',
    statement: 'a session belongs to its client: another client naming it gets unknown_session',
    async run (context) {
      const owner = await context.client()
      const stranger = await context.client()
      const { session } = await context.episode(owner)
      await stranger.fails('observe', { session }, 'unknown_session')
      await stranger.fails('close', { session }, 'unknown_session')
      await owner.ok('close', { session })
    },
  },
  {
    section: 'Client identity and resume',
    level: 'MUST',
    statement: 'after resumeTtlMs without a connection the sessions are closed and the token is invalid_resume_token',
    once: true,
    async run (context) {
      const { resumeTtlMs } = context.limits
      if (resumeTtlMs === 0 || resumeTtlMs! > 5000) throw new CheckSkipped(`resumeTtlMs is ${resumeTtlMs} ms; checked when it is 1 to 5000`)
      const first = await context.client()
      await context.episode(first)
      await first.wire.drop()
      // The server checks once a second: wait the TTL and two sweeps.
      await new Promise((resolve) => setTimeout(resolve, resumeTtlMs! + 2000))
      const wire = await context.connect({ 'codegym-resume': first.resumeToken })
      checkedError('hello', await wire.call('hello', context.helloParams({ resume: first.resumeToken }), context.codec), 'invalid_resume_token')
    },
  },
  {
    section: 'Session and episode states',
    level: 'MUST',
    statement: 'a session no request has named for sessionIdleTtlMs is closed (unknown_session)',
    once: true,
    async run (context) {
      const { sessionIdleTtlMs } = context.limits
      if (sessionIdleTtlMs! > 5000) throw new CheckSkipped(`sessionIdleTtlMs is ${sessionIdleTtlMs} ms; checked when it is 5000 or less`)
      const client = await context.client()
      const { session } = await context.episode(client)
      await new Promise((resolve) => setTimeout(resolve, sessionIdleTtlMs! + 2000))
      await client.fails('observe', { session }, 'unknown_session')
    },
  },
  {
    section: 'WebSocket',
    level: 'MUST',
    statement: 'the request path of the upgrade is ignored, and per-message compression is not negotiated',
    once: true,
    async run (context) {
      const url = new URL(context.options.url)
      url.pathname = '/any/path'
      url.search = '?x=1'
      const wire = await WireConnection.open(url.toString(), { timeoutMs: context.options.timeoutMs, offerCompression: true })
      try {
        expect(wire.socket.extensions === '', `the server negotiated the extensions ${show(wire.socket.extensions)}`)
        checkedResult('hello', await wire.call('hello', context.helloParams(), context.codec))
      } finally {
        await wire.close()
      }
    },
  },
  {
    section: 'Fixed limits',
    level: 'MUST',
    statement: 'the bounds every version-1 server shares are enforced: each request past one is invalid_params',
    async run (context) {
      const wire = await context.connect()
      for (const params of [{ versions: Array.from({ length: 17 }, () => 1) }, { versions: [0] }, context.helloParams({ client: 'c'.repeat(129) }), context.helloParams({ resume: 'r'.repeat(129) })]) {
        checkedError('hello', await wire.call('hello', params, context.codec), 'invalid_params')
      }
      checkedResult('hello', await wire.call('hello', context.helloParams(), context.codec))
      const refused: Array<[string, Record<string, unknown>]> = [
        ['observe', { session: '' }],
        ['observe', { session: 's'.repeat(65) }],
        ['envs.describe', { env: 'e'.repeat(129) }],
        ['reset', { env: context.env.id, options: { maxSteps: 0 } }],
        ['reset', { env: context.env.id, options: { maxSteps: 4097 } }],
        ['reset', { env: context.env.id, options: { seed: -1 } }],
        ['reset', { env: context.env.id, options: { seed: 2 ** 53 } }],
        ['reset', { env: context.env.id, options: { seed: 1.5 } }],
        ['reset', { env: context.env.id, options: { task: 't'.repeat(65) } }],
        ['reset', { env: context.env.id, options: { difficulty: 'd'.repeat(33) } }],
        ['step', { session: 'x', action: { name: 'Observe' }, expectStep: -1 }],
      ]
      for (const [op, params] of refused) {
        const answer = await wire.call(op, params, context.codec)
        expect(answer.error?.code === 'invalid_params', `${op} ${show(params)} was answered ${show(answer.error ?? answer.result)}, not invalid_params`)
      }
    },
  },
]
