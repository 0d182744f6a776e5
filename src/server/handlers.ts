// One handler per op (hello is the connection's own). Params arrive validated against the op's
// schema; results are exactly the op's Result shape.
import type { Episode } from '../env/episode.ts'
import type { Runtime } from '../env/runtime.ts'
import type { Codec } from '../contract/protocol/codec.ts'
import { paramsValidators, validateBatchOperation, type OpParams, type OpResult } from '../contract/protocol/catalogue.ts'
import { CodeGymError } from '../contract/errors.ts'
import type { ResetOptions, StepResult } from '../schemas/env.generated.ts'
import type { ErrorObject, Op, SteppedResult } from '../schemas/protocol.generated.ts'
import type { ServerLimits } from './limits.ts'
import type { ServerMetrics } from './metrics.ts'
import { errorResponse, ProtocolError } from './protocol-error.ts'
import { summarize, type SessionTable } from './sessions.ts'

/** What handlers share, for the whole server. */
export interface ServerState {
  readonly runtime: Runtime
  readonly sessions: SessionTable
  readonly limits: ServerLimits
  readonly metrics: ServerMetrics
  readonly draining: boolean
  /** Reports a server bug (an internal_error). */
  readonly logBug: (error: unknown, op: string) => void
}

/** Who is asking, and in which codec the answer goes back. */
export interface RequestContext {
  readonly owner: string
  readonly codec: Codec
  readonly server: ServerState
}

type Handler<O extends Op> = (params: OpParams<O>, context: RequestContext) => Promise<OpResult<O>>
type Handlers = { [O in Exclude<Op, 'hello'>]: Handler<O> }

/** Ops that make a new session, refused while the server drains. */
function assertAcceptingSessions (context: RequestContext): void {
  if (context.server.draining) throw new ProtocolError('draining', 'the server is shutting down and takes no new sessions')
}

/**
 * Takes a step (or done) on a session at its place in the session's chain, with the episode's
 * snapshot right after it when the request asked for one: a client that keeps a snapshot per step
 * gets it in the same response (lastResult stays without it).
 */
function takeStep (sessionId: string, act: (episode: Episode) => Promise<StepResult>, snapshot: boolean | undefined, context: RequestContext): Promise<SteppedResult> {
  const startedAt = performance.now()
  return context.server.sessions.run(context.owner, sessionId, async (session) => {
    const result = await act(session.episode)
    session.lastResult = result
    context.server.metrics.observeStep(result, performance.now() - startedAt)
    if (snapshot !== true) return result
    return { ...result, snapshot: wireSnapshot((await session.episode.capture()).bytes, context.codec) }
  })
}

/** Snapshot bytes as the codec carries them: bin, or base64 text in JSON. */
function wireSnapshot (bytes: Uint8Array, codec: Codec): Uint8Array | string {
  return codec === 'json' ? Buffer.from(bytes).toString('base64') : bytes
}

/**
 * Reset options held to the server's maxSteps limit: a larger T_max is refused, and an env whose
 * own default T_max is over the limit plays at the limit.
 */
function boundedResetOptions (env: string, options: ResetOptions | undefined, server: ServerState): ResetOptions {
  const { maxSteps } = server.limits
  if (options?.maxSteps !== undefined) {
    if (options.maxSteps > maxSteps) throw new CodeGymError('invalid_reset_options', `maxSteps ${options.maxSteps} is over this server's limit of ${maxSteps}`, { limit: 'maxSteps', maxSteps })
    return options
  }
  return server.runtime.spec(env).defaultMaxSteps > maxSteps ? { ...options, maxSteps } : options ?? {}
}

function snapshotBytes (snapshot: Uint8Array | string): Uint8Array {
  if (typeof snapshot !== 'string') return snapshot
  return Buffer.from(snapshot, 'base64')
}

export const handlers: Handlers = {
  'envs.list': async (_params, { server }) => ({
    envs: server.runtime.envIds().map((id) => {
      // The same list as envs.describe's tools and reset's info.tools: Observe and Done included.
      const { manifest, tasks, tools } = server.runtime.spec(id)
      return { id, title: manifest.title, category: manifest.category, tools: tools.length, difficulties: manifest.difficulties, tasks: tasks.size }
    }),
  }),

  'envs.describe': async ({ env }, { server }) => {
    const spec = server.runtime.spec(env)
    const { manifest } = spec
    return {
      id: manifest.id,
      title: manifest.title,
      category: manifest.category,
      statement: manifest.statement,
      tools: [...spec.tools],
      answer: manifest.answer,
      config: manifest.config,
      difficulties: manifest.difficulties,
      tasks: [...spec.tasks.keys()],
      maxSteps: spec.defaultMaxSteps,
      source: manifest.source,
    }
  },

  reset: async ({ env, options, session: sessionId }, context) => {
    const { server, owner } = context
    if (sessionId !== undefined) {
      return server.sessions.run(owner, sessionId, async (session) => {
        const { episode, observation, info } = await server.runtime.reset(env, boundedResetOptions(env, options, server))
        session.episode.close()
        session.episode = episode
        session.lastResult = undefined
        server.metrics.resets.inc()
        return { session: session.id, observation, info }
      })
    }
    assertAcceptingSessions(context)
    server.sessions.assertRoomFor(owner)
    const { episode, observation, info } = await server.runtime.reset(env, boundedResetOptions(env, options, server))
    const session = server.sessions.add(owner, episode)
    server.metrics.resets.inc()
    return { session: session.id, observation, info }
  },

  step: ({ session: sessionId, action, expectStep, snapshot }, context) =>
    takeStep(sessionId, (episode) => episode.step(action, expectStep), snapshot, context),

  done: ({ session: sessionId, answer, expectStep, snapshot }, context) =>
    takeStep(sessionId, (episode) => episode.done(answer, expectStep), snapshot, context),

  observe: async ({ session: sessionId }, { server, owner }) =>
    server.sessions.run(owner, sessionId, async (session) => ({ observation: await session.episode.observe() })),

  close: async ({ session: sessionId }, { server, owner }) =>
    server.sessions.run(owner, sessionId, async (session) => {
      server.sessions.close(session.id)
      return { closed: true as const }
    }),

  snapshot: async ({ session: sessionId }, { server, owner, codec }) =>
    server.sessions.run(owner, sessionId, async (session) => {
      const { bytes, step } = await session.episode.capture()
      return { snapshot: wireSnapshot(bytes, codec), step }
    }),

  restore: async ({ snapshot }, context) => {
    assertAcceptingSessions(context)
    context.server.sessions.assertRoomFor(context.owner)
    const episode = context.server.runtime.restore(snapshotBytes(snapshot))
    return summarize(context.server.sessions.add(context.owner, episode))
  },

  fork: async ({ session: sessionId }, context) => {
    assertAcceptingSessions(context)
    return context.server.sessions.run(context.owner, sessionId, async (original) => {
      context.server.sessions.assertRoomFor(context.owner)
      return summarize(context.server.sessions.add(context.owner, await original.episode.fork()))
    })
  },

  batch: async ({ ops }, context) => {
    const { maxBatchOps } = context.server.limits
    if (ops.length > maxBatchOps) throw new ProtocolError('batch_too_large', `a batch may hold ${maxBatchOps} operations; this one has ${ops.length}`)
    // Every operation is dispatched now, in the order given: operations on one session join that
    // session's chain (SessionTable.run) in this order, so nothing received later can come between
    // them; operations on different sessions run concurrently.
    return { results: await Promise.all(ops.map((operation) => runBatchOperation(operation, context))) }
  },
}

async function runBatchOperation (operation: unknown, context: RequestContext): Promise<{ result: object } | { error: ErrorObject }> {
  try {
    // Each operation's shape is checked here, not with the batch's params, so that one malformed
    // operation fails alone (invalid_request), as an unknown op or bad params do.
    if (!validateBatchOperation(operation)) throw new ProtocolError('invalid_request', validateBatchOperation.lastError)
    return { result: await dispatch(operation.op, operation.params ?? {}, context, true) }
  } catch (error) {
    return { error: errorResponse(error, validateBatchOperation(operation) ? operation.op : 'batch', context.server) }
  }
}

/**
 * Checks an op's params against its schema in the catalogue: the validation every request goes
 * through, hello included (the connection checks hello's params here before its own handling).
 */
export function validateParams<O extends Op> (op: O | string, params: unknown): asserts params is OpParams<O> {
  const validate = paramsValidators.get(op as Op)
  if (validate === undefined) throw new ProtocolError('unknown_op', `unknown op ${JSON.stringify(op)}`)
  if (!validate(params)) throw new ProtocolError('invalid_params', validate.lastError)
}

/** Runs one op whose envelope is valid: checks the op and its params, then calls its handler. */
export function dispatch (op: string, params: unknown, context: RequestContext, inBatch = false): Promise<object> {
  if (op === 'hello' || (inBatch && op === 'batch')) {
    throw new ProtocolError(inBatch ? 'invalid_request' : 'already_hello', inBatch ? `${op} cannot be part of a batch` : 'hello was already sent on this connection')
  }
  validateParams(op, params)
  context.server.metrics.requests.inc({ op })
  const handler = handlers[op as Exclude<Op, 'hello'>] as Handler<Exclude<Op, 'hello'>>
  return handler(params as never, context)
}
