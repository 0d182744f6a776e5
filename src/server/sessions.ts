// Live sessions, each owned by one client (identified by its resume token, not by its socket, so a
// client that reconnects gets its sessions back).
import type { Episode } from '../env/episode.ts'
import type { StepResult } from '../schemas/env.generated.ts'
import type { SessionSummary } from '../schemas/protocol.generated.ts'
import { ProtocolError } from './protocol-error.ts'
import type { ServerLimits } from './limits.ts'

export interface Session {
  readonly id: string
  readonly owner: string
  episode: Episode
  lastUsedAt: number
  /** The last step's result, handed back on resume so a lost answer need not be retaken. */
  lastResult: StepResult | undefined
  /** The end of this session's request chain (see SessionTable.run). */
  tail: Promise<unknown>
  /** Requests on the chain that have not finished. */
  queued: number
}

export class SessionTable {
  readonly #limits: Pick<ServerLimits, 'maxSessions' | 'maxSessionsPerConnection' | 'sessionIdleTtlMs'>
  readonly #sessions = new Map<string, Session>()
  readonly #byOwner = new Map<string, Set<string>>()
  readonly #isOwnerKnown: (owner: string) => boolean
  #nextId = 1

  /** isOwnerKnown: whether a client may still come back for its sessions (connected, or waiting to resume). */
  constructor (limits: Pick<ServerLimits, 'maxSessions' | 'maxSessionsPerConnection' | 'sessionIdleTtlMs'>, isOwnerKnown: (owner: string) => boolean = () => true) {
    this.#limits = limits
    this.#isOwnerKnown = isOwnerKnown
  }

  get size (): number { return this.#sessions.size }

  /** Throws too_many_sessions when one more session would pass a limit. */
  assertRoomFor (owner: string): void {
    if (this.#sessions.size >= this.#limits.maxSessions) {
      throw new ProtocolError('too_many_sessions', `the server holds its limit of ${this.#limits.maxSessions} sessions`)
    }
    if ((this.#byOwner.get(owner)?.size ?? 0) >= this.#limits.maxSessionsPerConnection) {
      throw new ProtocolError('too_many_sessions', `this client holds its limit of ${this.#limits.maxSessionsPerConnection} sessions`)
    }
  }

  /** Adds a session; if there is no room (or no owner) the episode is closed and the error thrown. */
  add (owner: string, episode: Episode): Session {
    try {
      // A reset, fork or restore still running when its client went for good (connection closed,
      // nothing to resume) would otherwise add a session nobody can reach, closed only by the idle TTL.
      if (!this.#isOwnerKnown(owner)) throw new ProtocolError('unknown_session', 'the client that asked for this session is gone')
      this.assertRoomFor(owner)
    } catch (error) {
      episode.close()
      throw error
    }
    const session: Session = { id: `s${(this.#nextId++).toString(36)}`, owner, episode, lastUsedAt: Date.now(), lastResult: undefined, tail: Promise.resolve(), queued: 0 }
    this.#sessions.set(session.id, session)
    let owned = this.#byOwner.get(owner)
    if (owned === undefined) this.#byOwner.set(owner, owned = new Set())
    owned.add(session.id)
    return session
  }

  /** The session, if this owner has it; marks it used. */
  get (owner: string, id: string): Session {
    const session = this.#sessions.get(id)
    if (session === undefined || session.owner !== owner) {
      throw new ProtocolError('unknown_session', `no session ${JSON.stringify(id)} on this connection`)
    }
    session.lastUsedAt = Date.now()
    return session
  }

  /** The session if this owner has it, without marking it used; undefined if not. */
  peek (owner: string, id: string): Session | undefined {
    const session = this.#sessions.get(id)
    return session?.owner === owner ? session : undefined
  }

  /**
   * Runs fn on the session once every request on it received before this one has finished.
   * Why: frames that arrive in one TCP read are dispatched in the same tick, and a handler that
   * awaits (reset on a session) or acts at once (close) would otherwise let a later request overtake
   * an earlier one: a step sent after reset ran on the old episode, a close failed the step before it.
   * Requests on one session now take effect in the order received, whatever the packet boundaries.
   * This is the one queue that orders an episode's calls: it also orders what the episode cannot see
   * (a reset that replaces it, a close), and the Episode itself refuses an overlapping call.
   */
  run<T> (owner: string, id: string, fn: (session: Session) => Promise<T>): Promise<T> {
    const session = this.get(owner, id)
    // Nothing before it on this session (the common case): it starts now, without waiting a turn.
    const result = session.queued === 0
      ? fn(session)
      : session.tail.then(() => {
        // Closed (or expired) while this request waited: as if it had arrived afterwards.
        if (this.#sessions.get(id) !== session) throw new ProtocolError('unknown_session', `no session ${JSON.stringify(id)} on this connection`)
        session.lastUsedAt = Date.now()
        return fn(session)
      })
    session.queued++
    const leave = (): void => { session.queued-- }
    session.tail = result.then(leave, leave)
    return result
  }

  close (id: string): void {
    const session = this.#sessions.get(id)
    if (session === undefined) return
    session.episode.close()
    this.#sessions.delete(id)
    const owned = this.#byOwner.get(session.owner)
    owned?.delete(id)
    if (owned?.size === 0) this.#byOwner.delete(session.owner)
  }

  closeAllOf (owner: string): number {
    const owned = [...this.#byOwner.get(owner) ?? []]
    for (const id of owned) this.close(id)
    return owned.length
  }

  ownedBy (owner: string): Session[] {
    return [...this.#byOwner.get(owner) ?? []].map((id) => this.#sessions.get(id)!)
  }

  /** Closes sessions untouched for sessionIdleTtlMs; returns how many. */
  closeIdle (now: number): number {
    let closed = 0
    for (const session of this.#sessions.values()) {
      if (now - session.lastUsedAt > this.#limits.sessionIdleTtlMs) {
        this.close(session.id)
        closed++
      }
    }
    return closed
  }
}

export function summarize (session: Session): SessionSummary {
  const { episode } = session
  const summary: SessionSummary = { session: session.id, env: episode.envId, step: episode.stepCount, status: episode.status }
  if (session.lastResult !== undefined) summary.lastResult = session.lastResult
  return summary
}
