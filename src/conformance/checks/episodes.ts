// envs.list, envs.describe, reset, step, observe, done, close: the episode contract.
import { isDeepStrictEqual } from 'node:util'
import { CheckSkipped, expect, show, type Check, type StepOutcome } from '../context.ts'

export const episodeChecks: Check[] = [
  {
    section: 'envs.list',
    level: 'MUST',
    statement: 'envs are sorted by id, and each one\'s tools count is the length of envs.describe\'s tools',
    async run (context) {
      const client = await context.client()
      const { envs } = await client.ok('envs.list') as { envs: Array<{ id: string, tools: number }> }
      const ids = envs.map((env) => env.id)
      expect(isDeepStrictEqual(ids, [...ids].sort()), `envs are not sorted by id: ${show(ids)}`)
      const listed = envs.find((env) => env.id === context.env.id)!
      expect(listed.tools === context.env.toolNames.length, `envs.list counts ${listed.tools} tools; envs.describe lists ${context.env.toolNames.length}`)
    },
  },
  {
    section: 'envs.describe',
    level: 'MUST',
    statement: 'describe lists every tool, Observe and Done last, the same list as reset\'s info.tools, and the config schema',
    async run (context) {
      const client = await context.client()
      const names = context.env.toolNames
      expect(names.at(-2) === 'Observe' && names.at(-1) === 'Done', `the tools end with ${show(names.slice(-2))}, not Observe and Done`)
      expect(new Set(names).size === names.length, `a tool is listed twice: ${show(names)}`)
      const config = context.env.describe.config as { type?: unknown }
      expect(config?.type === 'object', `config is ${show(config)}, not the JSON Schema of an object`)
      const { info, session } = await context.episode(client)
      expect(isDeepStrictEqual(info.tools, context.env.describe.tools), 'reset\'s info.tools differ from envs.describe\'s tools')
      await client.ok('close', { session })
      await client.fails('envs.describe', { env: 'nobody/nothing-v1' }, 'unknown_env')
    },
  },
  {
    section: 'reset',
    level: 'MUST',
    statement: 'reset starts an episode at step 0 with a seed, T_max and the statement; wrong options are refused with their codes',
    async run (context) {
      const client = await context.client()
      const { session, info } = await context.episode(client, { maxSteps: 3 })
      expect(info.step === 0 && info.maxSteps === 3 && typeof info.task === 'string' && info.envId === context.env.id, `info is ${show(info)}`)
      await client.fails('reset', { env: 'nobody/nothing-v1' }, 'unknown_env')
      await client.fails('reset', { env: context.env.id, options: { task: 'no-such-task' } }, 'unknown_task')
      await client.fails('reset', { env: context.env.id, options: { difficulty: 'no-such-difficulty' } }, 'invalid_reset_options')
      await client.fails('reset', { env: context.env.id, options: { config: { conformance: 'not a config of any env' } } }, 'invalid_reset_options')
      await client.fails('reset', { env: context.env.id, options: { task: 'a', difficulty: 'b' } }, 'invalid_params')
      await client.fails('reset', { env: context.env.id, session: 'no-such-session' }, 'unknown_session')
      await client.ok('close', { session })
    },
  },
  {
    section: 'Limits',
    level: 'MUST',
    statement: 'a reset may ask for maxSteps up to the maxSteps limit, and no more',
    async run (context) {
      const client = await context.client()
      const { maxSteps } = context.limits
      const { session, info } = await context.episode(client, { maxSteps })
      expect(info.maxSteps === maxSteps, `info.maxSteps is ${show(info.maxSteps)}, not the limit ${maxSteps}`)
      const over = await client.wire.call('reset', { env: context.env.id, options: { maxSteps: maxSteps! + 1 } }, context.codec)
      expect(over.error !== undefined && ['invalid_params', 'invalid_reset_options'].includes(over.error.code), `maxSteps over the limit was answered ${show(over.error ?? over.result)}`)
      await client.ok('close', { session })
    },
  },
  {
    section: 'Episodes: actions, rewards, rollback',
    level: 'MUST',
    statement: 'every action counts as a step; a failed one is rolled back (state unchanged) with an error observation and a rollback code',
    async run (context) {
      const client = await context.client()
      const { session } = await context.episode(client)
      const before = await client.ok('observe', { session })
      const unknown = await client.step(session, { name: 'NoSuchTool', parameters: {} })
      expect(unknown.info.rolledBack && unknown.info.error?.code === 'unknown_tool' && unknown.info.step === 1, `an unknown tool gave ${show(unknown)}`)
      expect(typeof unknown.observation === 'string' && unknown.observation.startsWith('Error: '), `the observation is ${show(unknown.observation)}`)
      const malformed = await client.step(session, 'not an action')
      expect(malformed.info.rolledBack && malformed.info.error?.code === 'invalid_action' && malformed.info.step === 2 && malformed.info.tool === undefined, `a malformed action gave ${show(malformed)}`)
      const badDone = await client.step(session, { name: 'Done', parameters: {} })
      expect(badDone.info.rolledBack && badDone.info.error?.code === 'invalid_parameters' && !badDone.terminated, `Done without an answer gave ${show(badDone)}`)
      for (const outcome of [unknown, malformed, badDone]) expect(outcome.reward === 0 && !outcome.terminated && !outcome.truncated, `a rolled-back step ended or rewarded: ${show(outcome)}`)
      const after = await client.ok('observe', { session })
      expect(isDeepStrictEqual(before, after), `the observation changed across rolled-back steps: ${show(before)} → ${show(after)}`)
      const snapshot = await client.ok('snapshot', { session })
      expect(snapshot.step === 3, `observe changed the step count: ${show(snapshot.step)}`)
      await client.ok('close', { session })
    },
  },
  {
    section: 'Episodes: actions, rewards, rollback',
    level: 'MUST',
    statement: 'Done judges the answer: reward 1 and terminated when correct, reward 0 when not; done is the Done action',
    async run (context) {
      if (!context.env.booleanAnswer) throw new CheckSkipped(`${context.env.id} does not take a boolean answer`)
      const client = await context.client()
      const { session } = await context.episode(client)
      const copy = await client.ok('fork', { session }) as { session: string }
      const outcomes = [
        await client.step(session, { name: 'Done', parameters: { answer: true } }),
        await client.ok('done', { session: copy.session, answer: false }) as unknown as StepOutcome,
      ]
      const correct = outcomes.filter((outcome) => outcome.reward === 1)
      expect(correct.length === 1, `of true and false, ${correct.length} were rewarded: ${show(outcomes)}`)
      for (const outcome of outcomes) {
        expect(outcome.terminated && !outcome.truncated && !outcome.info.rolledBack && outcome.info.tool === 'Done', `Done gave ${show(outcome)}`)
        expect(outcome.info.correct === (outcome.reward === 1), `info.correct ${show(outcome.info.correct)} with reward ${outcome.reward}`)
        expect(outcome.observation === (outcome.reward === 1 ? 'Correct.' : 'Incorrect.'), `the observation is ${show(outcome.observation)}`)
      }
      await client.ok('close', { session })
      await client.ok('close', { session: copy.session })
    },
  },
  {
    section: 'Session and episode states',
    level: 'MUST',
    statement: 'the action that reaches maxSteps truncates; after the end only observe, snapshot, fork, close and reset remain',
    async run (context) {
      const client = await context.client()
      const { session } = await context.episode(client, { maxSteps: 2 })
      const first = await client.step(session, { name: 'Observe' })
      expect(!first.truncated && !first.terminated, `step 1 of 2 ended the episode: ${show(first)}`)
      const last = await client.step(session, { name: 'Observe' })
      expect(last.truncated && !last.terminated && last.reward === 0 && last.info.step === 2, `step 2 of 2 gave ${show(last)}`)
      await client.fails('step', { session, action: { name: 'Observe' } }, 'episode_ended')
      await client.fails('done', { session, answer: true }, 'episode_ended')
      await client.ok('observe', { session })
      const snapshot = await client.ok('snapshot', { session })
      expect(snapshot.step === 2, `the snapshot is at step ${show(snapshot.step)}`)
      const copy = await client.ok('fork', { session }) as { session: string, status: string }
      expect(copy.status === 'truncated', `a fork of an ended episode is ${show(copy.status)}`)
      const again = await client.reset(context.env.id, context.env.task === undefined ? {} : { task: context.env.task }, session)
      expect(again.session === session && again.info.step === 0, `reset with session gave ${show(again)}`)
      const played = await client.step(session, { name: 'Observe' })
      expect(played.info.step === 1, `the new episode's first step is ${show(played.info.step)}`)
      await client.ok('close', { session })
      await client.ok('close', { session: copy.session })
    },
  },
  {
    section: 'How the server reads a frame',
    level: 'MUST',
    statement: 'precedence: a step with a wrong expectStep on an ended episode is episode_ended',
    async run (context) {
      const client = await context.client()
      const { session } = await context.episode(client, { maxSteps: 1 })
      await client.step(session, { name: 'Observe' })
      await client.fails('step', { session, action: { name: 'Observe' }, expectStep: 0 }, 'episode_ended')
      await client.ok('close', { session })
      await client.fails('step', { session, action: { name: 'Observe' }, expectStep: 0 }, 'unknown_session')
    },
  },
  {
    section: 'Episodes: actions, rewards, rollback',
    level: 'MUST',
    statement: 'expectStep: the step is taken only at that count; otherwise step_mismatch with data.step and nothing happens',
    async run (context) {
      const client = await context.client()
      const { session } = await context.episode(client)
      await client.step(session, { name: 'Observe' }, { expectStep: 0 })
      const error = await client.fails('step', { session, action: { name: 'Observe' }, expectStep: 0 }, 'step_mismatch')
      expect((error.data as { step?: unknown } | undefined)?.step === 1, `data is ${show(error.data)}`)
      await client.fails('done', { session, answer: true, expectStep: 5 }, 'step_mismatch')
      const taken = await client.step(session, { name: 'Observe' }, { expectStep: 1 })
      expect(taken.info.step === 2, `the step at expectStep 1 gave info.step ${taken.info.step}`)
      await client.ok('close', { session })
    },
  },
  {
    section: 'Episodes: actions, rewards, rollback',
    level: 'MUST',
    statement: 'episodes are deterministic: the same seed and actions give the same observations and rewards',
    async run (context) {
      const client = await context.client()
      const actions = [{ name: 'Observe' }, ...(context.env.plainTool === undefined ? [] : [{ name: context.env.plainTool }]), { name: 'NoSuchTool' }, { name: 'Observe' }]
      const plays = []
      for (let play = 0; play < 2; play++) {
        const reset = await client.reset(context.env.id, { seed: 12345, maxSteps: 50 })
        const trace: unknown[] = [reset.observation, reset.info.task]
        for (const action of actions) {
          const outcome = await client.step(reset.session, action)
          trace.push(outcome.observation, outcome.reward, outcome.info)
        }
        plays.push(trace)
        await client.ok('close', { session: reset.session })
      }
      expect(isDeepStrictEqual(plays[0], plays[1]), `two plays with seed 12345 differ: ${show(plays[0])} vs ${show(plays[1])}`)
    },
  },
  {
    section: 'close',
    level: 'MUST',
    statement: 'close answers {closed: true}; any request naming the session afterwards is unknown_session',
    async run (context) {
      const client = await context.client()
      const { session } = await context.episode(client)
      const closed = await client.ok('close', { session })
      expect(closed.closed === true, `close gave ${show(closed)}`)
      for (const op of ['observe', 'snapshot', 'fork', 'close']) await client.fails(op, { session }, 'unknown_session')
      await client.fails('step', { session, action: { name: 'Observe' } }, 'unknown_session')
    },
  },
]
