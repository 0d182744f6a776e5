// One handler per op (hello is the connection's own). Params arrive validated against the op's
// schema; results are exactly the op's Result shape.
import type { Runtime } from '../env/runtime.ts'
import type { Codec } from '../protocol/codec.ts'
import { paramsValidators, type OpParams, type OpResult } from '../protocol/catalogue.ts'
import type { StepResult } from '../schemas/env.generated.ts'
import type { BatchOperation, Op } from '../schemas/protocol.generated.ts'
import type { ServerLimits } from './limits.ts'
import type { ServerMetrics } from './metrics.ts'
import { ProtocolError, toErrorObject } from './protocol-error.ts'
import { summarize, type Session, type SessionTable } from './sessions.ts'

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

function recordStep (session: Session, result: StepResult, context: RequestContext, startedAt: number): StepResult {
  session.lastResult = result
  context.server.metrics.observeStep(result, performance.now() - startedAt)
  return result
}

function snapshotBytes (snapshot: Uint8Array | string): Uint8Array {
  if (typeof snapshot !== 'string') return snapshot
  return Buffer.from(snapshot, 'base64')
}

export const handlers: Handlers = {
  'envs.list': async (_params, { server }) => ({
    envs: server.runtime.envIds().map((id) => {
      const { manifest, tasks } = server.runtime.spec(id)
      return { id, title: manifest.title, category: manifest.category, tools: manifest.tools.length, difficulties: manifest.difficulties, tasks: tasks.size }
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
      difficulties: manifest.difficulties,
      tasks: [...spec.tasks.keys()],
      maxSteps: spec.defaultMaxSteps,
      source: manifest.source,
    }
  },

  reset: async ({ env, options, session: sessionId }, context) => {
    const { server, owner } = context
    const existing = sessionId === undefined ? undefined : server.sessions.get(owner, sessionId)
    if (existing === undefined) {
      assertAcceptingSessions(context)
      server.sessions.assertRoomFor(owner)
    }
    const { episode, observation, info } = await server.runtime.reset(env, options ?? {})
    let session: Session
    if (existing === undefined) {
      session = server.sessions.add(owner, episode)
    } else {
      existing.episode.close()
      existing.episode = episode
      existing.lastResult = undefined
      session = existing
    }
    server.metrics.resets.inc()
    return { session: session.id, observation, info }
  },

  step: async ({ session: sessionId, action, expectStep }, context) => {
    const startedAt = performance.now()
    const session = context.server.sessions.get(context.owner, sessionId)
    return recordStep(session, await session.episode.step(action, expectStep), context, startedAt)
  },

  done: async ({ session: sessionId, answer, expectStep }, context) => {
    const startedAt = performance.now()
    const session = context.server.sessions.get(context.owner, sessionId)
    return recordStep(session, await session.episode.done(answer, expectStep), context, startedAt)
  },

  observe: async ({ session }, { server, owner }) => ({
    observation: await server.sessions.get(owner, session).episode.observe(),
  }),

  close: async ({ session }, { server, owner }) => {
    server.sessions.get(owner, session)
    server.sessions.close(session)
    return { closed: true }
  },

  snapshot: async ({ session }, { server, owner, codec }) => {
    const { bytes, step } = await server.sessions.get(owner, session).episode.capture()
    return { snapshot: codec === 'json' ? Buffer.from(bytes).toString('base64') : bytes, step }
  },

  restore: async ({ snapshot }, context) => {
    assertAcceptingSessions(context)
    context.server.sessions.assertRoomFor(context.owner)
    const episode = context.server.runtime.restore(snapshotBytes(snapshot))
    return summarize(context.server.sessions.add(context.owner, episode))
  },

  fork: async ({ session }, context) => {
    assertAcceptingSessions(context)
    const original = context.server.sessions.get(context.owner, session)
    context.server.sessions.assertRoomFor(context.owner)
    return summarize(context.server.sessions.add(context.owner, await original.episode.fork()))
  },

  batch: async ({ ops }, context) => {
    const { maxBatchOps } = context.server.limits
    if (ops.length > maxBatchOps) throw new ProtocolError('batch_too_large', `a batch may hold ${maxBatchOps} operations; this one has ${ops.length}`)
    // Operations on one session run in the order given; the rest run concurrently.
    const chains = new Map<string, Promise<unknown>>()
    const outcomes = ops.map((operation) => {
      const sessionId = sessionOf(operation)
      const previous = sessionId === undefined ? undefined : chains.get(sessionId)
      const outcome = previous === undefined ? runBatchOperation(operation, context) : previous.then(() => runBatchOperation(operation, context))
      if (sessionId !== undefined) chains.set(sessionId, outcome)
      return outcome
    })
    return { results: await Promise.all(outcomes) }
  },
}

function sessionOf (operation: BatchOperation): string | undefined {
  const session = operation.params?.session
  return typeof session === 'string' ? session : undefined
}

async function runBatchOperation (operation: BatchOperation, context: RequestContext): Promise<{ result: object } | { error: ReturnType<typeof toErrorObject>['error'] }> {
  try {
    return { result: await dispatch(operation.op, operation.params ?? {}, context, true) }
  } catch (error) {
    const { error: object, internal } = toErrorObject(error)
    if (internal) context.server.logBug(error, operation.op)
    context.server.metrics.errors.inc({ code: object.code })
    return { error: object }
  }
}

/** Runs one op whose envelope is valid: checks the op and its params, then calls its handler. */
export async function dispatch (op: string, params: unknown, context: RequestContext, inBatch = false): Promise<object> {
  if (op === 'hello' || (inBatch && op === 'batch')) {
    throw new ProtocolError(inBatch ? 'invalid_request' : 'already_hello', inBatch ? `${op} cannot be part of a batch` : 'hello was already sent on this connection')
  }
  const validate = paramsValidators.get(op as Op)
  if (validate === undefined) throw new ProtocolError('unknown_op', `unknown op ${JSON.stringify(op)}`)
  if (!validate(params)) throw new ProtocolError('invalid_params', validate.lastError)
  context.server.metrics.requests.inc({ op })
  const handler = handlers[op as Exclude<Op, 'hello'>] as Handler<Exclude<Op, 'hello'>>
  return handler(params as never, context)
}
