// Outbound bytes: what a connection has been sent and not yet written to its socket, plus what the
// requests it has in flight are expected to add. A request is admitted only while that sum stays
// within maxSendBufferBytes (and the server's within maxServerSendBufferBytes); otherwise the
// connection stops being read until enough has been written. So a client that sends cheap requests
// with big answers (a batch of 1024 envs.list: 15 KB in, 5.75 MB out) and never reads can hold no
// more than its bound: the answers are never produced, not queued after the fact.
import type { ServerState } from './handlers.ts'

/** Bytes of a response's envelope ({id, result}) around its result, generously. */
const envelopeBytes = 64
/** The least any response is expected to take. */
const minResponseBytes = 128
/** What an answer of a kind not seen yet is expected to take (twice that with a snapshot). */
const firstGuessBytes = 4096

/**
 * Expected response sizes, by op and env: the largest answer seen so far for that pair, and before
 * any was seen a first guess of a few KiB per operation. Why not the most an answer can be (an
 * observation of maxObservationBytes): a batch of 1024 steps would then be expected to take 68 MiB
 * and be refused on a fresh server, whatever its envs answer. An answer far larger than expected
 * is caught by Connection's hard bound (twice maxSendBufferBytes), and from then on expected.
 */
export class ResponseSizes {
  readonly #largest = new Map<string, number>()

  estimate (op: string, env: string | undefined, snapshot: boolean): number {
    return this.#largest.get(keyOf(op, env, snapshot)) ?? (snapshot ? 2 : 1) * firstGuessBytes
  }

  record (op: string, env: string | undefined, snapshot: boolean, bytes: number): void {
    const key = keyOf(op, env, snapshot)
    this.#largest.set(key, Math.max(minResponseBytes, bytes, this.#largest.get(key) ?? 0))
  }
}

function keyOf (op: string, env: string | undefined, snapshot: boolean): string {
  return `${op} ${env ?? ''}${snapshot ? ' +snapshot' : ''}`
}

/** What one request is expected to add to its connection's outbound bytes. */
export interface Reservation {
  bytes: number
  /** The (op, env) pairs its response size is recorded under; a batch has one per operation. */
  keys: Array<{ op: string, env: string | undefined, snapshot: boolean }>
}

/** The expected response size of a request whose envelope is valid (its params may not be). */
export function reserveFor (op: string, params: Record<string, unknown>, owner: string, state: ServerState, sizes: ResponseSizes): Reservation {
  const operations: Array<{ op: string, params: Record<string, unknown> }> = op === 'batch' && Array.isArray(params.ops)
    ? (params.ops as unknown[]).map((each) => {
        const operation = (each ?? {}) as { op?: unknown, params?: unknown }
        return { op: String(operation.op), params: isRecord(operation.params) ? operation.params : {} }
      })
    : [{ op, params }]
  let bytes = envelopeBytes
  const keys: Reservation['keys'] = []
  for (const operation of operations) {
    const env = envOf(operation.op, operation.params, owner, state)
    const snapshot = operation.params.snapshot === true
    keys.push({ op: operation.op, env, snapshot })
    bytes += sizes.estimate(operation.op, env, snapshot)
  }
  return { bytes: Math.max(minResponseBytes, bytes), keys }
}

function envOf (op: string, params: Record<string, unknown>, owner: string, state: ServerState): string | undefined {
  if ((op === 'reset' || op === 'envs.describe') && typeof params.env === 'string') return params.env
  if (typeof params.session === 'string') return state.sessions.peek(owner, params.session)?.episode.envId
  return undefined
}

function isRecord (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/**
 * The server's outbound bytes over all its connections: frames handed to sockets and not yet
 * written, plus reservations of requests in flight.
 */
export class SendLedger {
  #total = 0
  get total (): number { return this.#total }
  add (bytes: number): void { this.#total += bytes }
  remove (bytes: number): void { this.#total -= bytes }
}
