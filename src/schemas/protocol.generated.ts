/* Generated from schemas/ by scripts/gen-types.ts. Do not edit; run `npm run gen:types`. */

import type { Attribution, EnvId, EpisodeStatus, JsonObject, JsonValue, ResetInfo, ResetOptions, RuntimeErrorCode, StepInfo, StepResult, ToolDescriptor } from './env.generated.ts'
export type { Attribution, EnvId, EpisodeStatus, JsonObject, JsonValue, ParametersSchema, ResetInfo, ResetOptions, RollbackCode, RuntimeErrorCode, Seed, StepError, StepInfo, StepResult, ToolDescriptor, ToolName } from './env.generated.ts'

/**
 * A protocol version this document describes.
 *
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "ProtocolVersion".
 */
export type ProtocolVersion = 1
/**
 * Chosen by the client; unique among its requests in flight on one connection. Echoed in the response.
 *
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "RequestId".
 */
export type RequestId = number
/**
 * Server-chosen id of one session (one episode at a time).
 *
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "SessionId".
 */
export type SessionId = string
/**
 * Every operation a client may request.
 *
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "Op".
 */
export type Op =
  | 'hello'
  | 'envs.list'
  | 'envs.describe'
  | 'reset'
  | 'step'
  | 'observe'
  | 'done'
  | 'close'
  | 'snapshot'
  | 'restore'
  | 'fork'
  | 'batch'
/**
 * Every error code a response can carry: the protocol's own and the runtime's.
 *
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "ErrorCode".
 */
export type ErrorCode = ProtocolErrorCode | RuntimeErrorCode
/**
 * Errors of the protocol layer.
 *
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "ProtocolErrorCode".
 */
export type ProtocolErrorCode =
  | 'parse_error'
  | 'invalid_request'
  | 'unknown_op'
  | 'invalid_params'
  | 'hello_required'
  | 'already_hello'
  | 'unsupported_version'
  | 'unauthorized'
  | 'duplicate_request_id'
  | 'too_many_pending'
  | 'frame_over_budget'
  | 'too_many_connections'
  | 'frame_too_large'
  | 'unknown_session'
  | 'too_many_sessions'
  | 'invalid_resume_token'
  | 'batch_too_large'
  | 'draining'
  | 'internal_error'
/**
 * The answer to one request: result or error, never both.
 *
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "Response".
 */
export type Response =
  | {
      id: RequestId
      result: {}
    }
  | {
      id: RequestId | null
      error: ErrorObject
    }
/**
 * Snapshot bytes, opaque to the client. The server sends MessagePack bin on binary frames and a standard base64 string (with padding) on text frames; restore accepts either on a binary frame.
 *
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "SnapshotBytes".
 */
export type SnapshotBytes = Uint8Array | string
/**
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "BatchOutcome".
 */
export type BatchOutcome =
  | {
      result: {}
    }
  | {
      error: ErrorObject
    }

/**
 * Every message of the CodeGym wire protocol (PROTOCOL.md). Types and validators derive from this file.
 */
export interface CodeGymProtocolSchemas {
  [k: string]: unknown | undefined
}
/**
 * Every client message. op is checked against Op and params against the op's <Op>Params after the envelope.
 *
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "Request".
 */
export interface Request {
  id: RequestId
  op: string
  params?: JsonObject
}
/**
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "ErrorObject".
 */
export interface ErrorObject {
  code: ErrorCode
  message: string
  data?: JsonValue
}
/**
 * A message the server sends unasked: it has event and no id. Protocol version 1 defines one event, draining (see DrainingEvent); a server may add others within a version, and a client ignores events it does not know.
 *
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "Event".
 */
export interface Event {
  event: string
  data?: JsonObject
}
/**
 * The server's effective limits, sent in the hello result.
 *
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "Limits".
 */
export interface Limits {
  /**
   * Largest frame the server reads; a larger one closes the connection with 1009.
   */
  maxFrameBytes: number
  /**
   * Operations in flight on one connection, a batch counting one per operation; past it too_many_pending.
   */
  maxPendingRequests: number
  /**
   * Live sessions one client (one resume token, across reconnects) may own; past it too_many_sessions.
   */
  maxSessionsPerConnection: number
  /**
   * Live sessions in the whole server, detached ones included.
   */
  maxSessions: number
  /**
   * Operations in one batch.
   */
  maxBatchOps: number
  /**
   * A session untouched for this long is closed.
   */
  sessionIdleTtlMs: number
  /**
   * How long the sessions of a lost connection wait to be resumed.
   */
  resumeTtlMs: number
  /**
   * A connection that has not said hello by then is closed.
   */
  helloTimeoutMs: number
  /**
   * Unsent response bytes above which the server stops reading that connection.
   */
  maxSendBufferBytes: number
  /**
   * CPU time one env call may use (the env's own CPU time) before it is rolled back with cpu_time_limit (sandbox).
   */
  callTimeoutMs: number
  /**
   * Wall-clock time one env call may take however little CPU it gets before it is rolled back with wall_time_limit (sandbox); an answer to a step can take up to about this long.
   */
  callWallTimeoutMs: number
  /**
   * Largest env state (sandbox).
   */
  maxStateBytes: number
  /**
   * Largest observation (sandbox).
   */
  maxObservationBytes: number
  /**
   * Largest maxSteps a reset may ask for (at most 4096); an env whose default T_max is larger plays at this limit.
   */
  maxSteps: number
  /**
   * Connections that have said hello the server keeps; past it upgrades are refused with 503, and a hello that would pass it is answered too_many_connections (close 1013).
   */
  maxConnections: number
  /**
   * Values one frame may hold (map keys, arrays and maps included), counted on its bytes before it is decoded; past it frame_over_budget.
   */
  maxFrameElements: number
  /**
   * Bytes all strings of one frame may hold together (keys included), counted before it is decoded; past it frame_over_budget.
   */
  maxFrameStringBytes: number
  /**
   * TCP connections that have not yet completed hello (HTTP request, upgrade, waiting for hello). They never count toward maxConnections; past this the oldest of them is dropped.
   */
  maxUnauthenticatedConnections: number
  /**
   * Time a TCP connection has to send the complete headers of its HTTP request (the WebSocket upgrade included).
   */
  handshakeTimeoutMs: number
  /**
   * Unsent response bytes, and bytes reserved for responses to requests in flight, over all connections of the server process; at it no connection's requests are admitted until it drops.
   */
  maxServerSendBufferBytes: number
}
/**
 * A session as the server sees it. lastResult is the result of the last step taken, so a client that lost it can carry on without taking the step again.
 *
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "SessionSummary".
 */
export interface SessionSummary {
  session: SessionId
  env: EnvId
  step: number
  status: EpisodeStatus
  lastResult?: StepResult
}
/**
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "HelloParams".
 */
export interface HelloParams {
  /**
   * @minItems 1
   * @maxItems 16
   */
  versions: number[]
  token?: string
  resume?: string
  client?: string
}
/**
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "HelloResult".
 */
export interface HelloResult {
  version: ProtocolVersion
  server: {
    name: string
    version: string
  }
  resumeToken: string
  limits: Limits
  resumed?: SessionSummary[]
}
/**
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "EnvSummary".
 */
export interface EnvSummary {
  id: EnvId
  title: string
  category: string
  /**
   * The number of tools envs.describe lists (Observe and Done included).
   */
  tools: number
  difficulties: string[]
  tasks: number
}
/**
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "EnvsListParams".
 */
export interface EnvsListParams {}
/**
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "EnvsListResult".
 */
export interface EnvsListResult {
  envs: EnvSummary[]
}
/**
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "EnvsDescribeParams".
 */
export interface EnvsDescribeParams {
  env: string
}
/**
 * One env in full. answer is the JSON Schema of the answer submitted with Done; config the JSON Schema of a task config, what reset's options.config must match.
 *
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "EnvsDescribeResult".
 */
export interface EnvsDescribeResult {
  id: EnvId
  title: string
  category: string
  statement: string
  /**
   * Every tool the agent may call: the env's own tools, then Observe and Done (the same list as reset's info.tools).
   */
  tools: ToolDescriptor[]
  answer: JsonObject
  config: JsonObject
  difficulties: string[]
  tasks: string[]
  maxSteps: number
  source: Attribution
}
/**
 * With session, that session's current episode ends and the new one takes its place; without, a new session is created.
 *
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "ResetParams".
 */
export interface ResetParams {
  env: string
  options?: ResetOptions
  session?: SessionId
}
/**
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "StepParams".
 */
export interface StepParams {
  session: SessionId
  /**
   * The action, any value: a malformed one is an error observation (invalid_action), not a protocol error.
   */
  action: {
    [k: string]: unknown | undefined
  }
  /**
   * Take the step only if the session has taken exactly this many steps; otherwise fail with step_mismatch. Makes a retried step safe.
   */
  expectStep?: number
  /**
   * true: the result also carries a snapshot of the episode taken right after this action (SteppedResult.snapshot), as the snapshot op would return it. Default false.
   */
  snapshot?: boolean
}
/**
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "ObserveParams".
 */
export interface ObserveParams {
  session: SessionId
}
/**
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "ObserveResult".
 */
export interface ObserveResult {
  observation: JsonValue
}
/**
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "DoneParams".
 */
export interface DoneParams {
  session: SessionId
  answer: JsonValue
  /**
   * Take the step only if the session has taken exactly this many steps; otherwise fail with step_mismatch. Makes a retried step safe.
   */
  expectStep?: number
  /**
   * true: the result also carries a snapshot of the episode taken right after this action (SteppedResult.snapshot), as the snapshot op would return it. Default false.
   */
  snapshot?: boolean
}
/**
 * The result of step and done: a StepResult, and with `snapshot: true` in the request the episode's snapshot taken right after the action.
 *
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "SteppedResult".
 */
export interface SteppedResult {
  observation: JsonValue
  reward: 0 | 1
  /**
   * Done was called: the episode reached a terminal state.
   */
  terminated: boolean
  /**
   * T_max was reached without Done.
   */
  truncated: boolean
  info: StepInfo
  snapshot?: SnapshotBytes
}
/**
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "CloseParams".
 */
export interface CloseParams {
  session: SessionId
}
/**
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "CloseResult".
 */
export interface CloseResult {
  closed: true
}
/**
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "SnapshotParams".
 */
export interface SnapshotParams {
  session: SessionId
}
/**
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "SnapshotResult".
 */
export interface SnapshotResult {
  snapshot: SnapshotBytes
  step: number
}
/**
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "RestoreParams".
 */
export interface RestoreParams {
  snapshot: SnapshotBytes
}
/**
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "ForkParams".
 */
export interface ForkParams {
  session: SessionId
}
/**
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "BatchOperation".
 */
export interface BatchOperation {
  op: string
  params?: JsonObject
}
/**
 * Operations run concurrently, except that operations on one session run in the order given. hello and batch cannot be nested. Every check of an operation (its shape, op and params) applies to that operation alone.
 *
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "BatchParams".
 */
export interface BatchParams {
  /**
   * The operations. Each should be a BatchOperation; one that is not fails alone with invalid_request, like an op it names that is unknown (unknown_op) or whose params do not match (invalid_params).
   *
   * @minItems 1
   */
  ops: BatchOperation[]
}
/**
 * One outcome per operation, in the order of ops.
 *
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "BatchResult".
 */
export interface BatchResult {
  results: BatchOutcome[]
}
/**
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "ResetSessionResult".
 */
export interface ResetSessionResult {
  session: SessionId
  observation: JsonValue
  info: ResetInfo
}
/**
 * The params and the result of every op: the table that the server's dispatch and the client's types both read.
 *
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "Operations".
 */
export interface Operations {
  hello: {
    params: HelloParams
    result: HelloResult
  }
  'envs.list': {
    params: EnvsListParams
    result: EnvsListResult
  }
  'envs.describe': {
    params: EnvsDescribeParams
    result: EnvsDescribeResult
  }
  reset: {
    params: ResetParams
    result: ResetSessionResult
  }
  step: {
    params: StepParams
    result: SteppedResult
  }
  observe: {
    params: ObserveParams
    result: ObserveResult
  }
  done: {
    params: DoneParams
    result: SteppedResult
  }
  close: {
    params: CloseParams
    result: CloseResult
  }
  snapshot: {
    params: SnapshotParams
    result: SnapshotResult
  }
  restore: {
    params: RestoreParams
    result: SessionSummary
  }
  fork: {
    params: ForkParams
    result: SessionSummary
  }
  batch: {
    params: BatchParams
    result: BatchResult
  }
}
/**
 * The server is shutting down: it takes no new sessions; data.deadlineMs milliseconds after this event it stops reading requests, answers those in flight and closes with 1001. Snapshot the sessions to keep and move them to another server before then.
 *
 * This interface was referenced by `CodeGymProtocolSchemas`'s JSON-Schema
 * via the `definition` "DrainingEvent".
 */
export interface DrainingEvent {
  event: 'draining'
  data: {
    deadlineMs: number
  }
}
