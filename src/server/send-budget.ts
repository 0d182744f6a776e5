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

/** The largest answer seen so far for one (op, env, snapshot) kind; 0 before any. */
interface SizeSlot { largest: number }

/**
 * Expected response sizes, by op and env: the largest answer seen so far for that pair, and before
 * any was seen a first guess of a few KiB per operation. Why not the most an answer can be (an
 * observation of maxObservationBytes): a batch of 1024 steps would then be expected to take 68 MiB
 * and be refused on a fresh server, whatever its envs answer. An answer far larger than expected
 * is caught by Connection's hard bound (twice maxSendBufferBytes), and from then on expected.
 * Slots are looked up by op, then env, then snapshot, and kept: a request allocates no key.
 */
export class ResponseSizes {
  readonly #slots = new Map<string, Map<string, [SizeSlot, SizeSlot]>>()

  slot (op: string, env: string | undefined, snapshot: boolean): SizeSlot {
    let byEnv = this.#slots.get(op)
    if (byEnv === undefined) this.#slots.set(op, byEnv = new Map())
    let pair = byEnv.get(env ?? '')
    if (pair === undefined) byEnv.set(env ?? '', pair = [{ largest: 0 }, { largest: 0 }])
    return pair[snapshot ? 1 : 0]
  }

  record (op: string, env: string | undefined, snapshot: boolean, bytes: number): void {
    grow(this.slot(op, env, snapshot), bytes)
  }
}

/** Takes an answer of this size into its kind's largest. */
function grow (slot: SizeSlot, bytes: number): void {
  slot.largest = Math.max(minResponseBytes, bytes, slot.largest)
}

function expected (slot: SizeSlot, snapshot: boolean): number {
  return slot.largest === 0 ? (snapshot ? 2 : 1) * firstGuessBytes : slot.largest
}

/** What one request is expected to add to its connection's outbound bytes. */
export class Reservation {
  bytes = envelopeBytes
  /** The kinds its response size is recorded under; a batch has one per operation. */
  readonly #slots: SizeSlot[] = []

  add (slot: SizeSlot, snapshot: boolean): void {
    this.#slots.push(slot)
    this.bytes += expected(slot, snapshot)
  }

  /** Records the size of the answer sent, shared equally among the operations it answered. */
  recordSent (bytes: number): void {
    for (const slot of this.#slots) grow(slot, bytes / this.#slots.length)
  }
}

/** The expected response size of a request whose envelope is valid (its params may not be). */
export function reserveFor (op: string, params: Record<string, unknown>, owner: string, state: ServerState, sizes: ResponseSizes): Reservation {
  const reservation = new Reservation()
  if (op === 'batch' && Array.isArray(params.ops)) {
    for (const each of params.ops as unknown[]) {
      const operation = (each ?? {}) as { op?: unknown, params?: unknown }
      reserveOne(reservation, String(operation.op), isRecord(operation.params) ? operation.params : {}, owner, state, sizes)
    }
  } else {
    reserveOne(reservation, op, params, owner, state, sizes)
  }
  reservation.bytes = Math.max(minResponseBytes, reservation.bytes)
  return reservation
}

function reserveOne (reservation: Reservation, op: string, params: Record<string, unknown>, owner: string, state: ServerState, sizes: ResponseSizes): void {
  const snapshot = params.snapshot === true
  reservation.add(sizes.slot(op, envOf(op, params, owner, state), snapshot), snapshot)
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
