// The cluster client: sessions spread over many codegym-serve processes, each reached through a small
// pool of CodeGymClient connections. A DNS source is resolved again on its own, so servers that join
// or leave the name join or leave rotation. A server that drains or is lost is taken out of rotation
// (and probed again later), and its sessions move to other servers: from a snapshot taken during the
// drain, their latest snapshot, or the reset itself, with the acknowledged actions since replayed
// and checked, and an unanswered action sent again exactly once. See clients/ts/README.md, "Cluster
// client".
import { EventEmitter } from 'node:events'
import { isDeepStrictEqual } from 'node:util'
import type { ResetResult, JsonValue, ResetOptions, SessionId, StepResult } from '../../src/contract/index.ts'
import { CodeGymClient, type BatchRequest, type CodeGymClientOptions } from './client.ts'
import { EpisodeLostError, NoServerAvailableError, ReplayMismatchError, SessionClosedError } from './cluster-errors.ts'
import { resolveServers, systemResolver, type AddressResolver, type ServerSource } from './discovery.ts'
import { CodeGymRequestError, ConnectionClosedError, RequestTimeoutError } from './errors.ts'
import { HashRing, defaultVirtualNodesPerNode } from './hash-ring.ts'

export type Placement = 'least-loaded' | 'consistent-hash'

export interface CodeGymClusterOptions {
  /** Server URLs, or a DNS name resolving to one address per server. */
  servers: ServerSource
  /** 'least-loaded' (fewest live sessions of this client; the default) or 'consistent-hash' (by session key). */
  placement?: Placement
  /** Points per server on the hash ring. */
  virtualNodesPerServer?: number
  /** CodeGymClient connections per server; new sessions take them in turn. */
  connectionsPerServer?: number
  /**
   * Snapshot each session every this many steps (1: every step); 0: never, and a session whose
   * server dies is rebuilt by replaying its actions from the reset. A draining server's sessions are
   * snapshotted there during the drain whatever this is.
   */
  snapshotEverySteps?: number
  /** How often a DNS source is resolved again (servers that join or leave the name); 0: only on events. */
  refreshIntervalMs?: number
  /**
   * Least time between the starts of two resolutions the client makes on its own (every
   * refreshIntervalMs, when a server leaves rotation, while a reset waits for one): they never run
   * back to back, so they neither flood the resolver nor keep the event loop from its timers.
   */
  minRefreshGapMs?: number
  /** How long a reset or a move waits for a server to come into rotation before NoServerAvailableError. */
  noServerWaitMs?: number
  /**
   * Sessions moving at once: a draining server with thousands of sessions is emptied this many at a
   * time, so neither it nor the servers taking them get more requests at once than they admit.
   */
  maxConcurrentMoves?: number
  /** First wait before probing a server that is out of rotation; doubles per failed probe. */
  probeInitialDelayMs?: number
  /** Longest wait between probes. */
  probeMaxDelayMs?: number
  /** Failed probes after which a server is dropped for good (until refresh() finds it again). */
  maxProbes?: number
  /**
   * After a draining event's deadline, how long answers to requests already sent may still come
   * before the client closes its connections to that server (requests left unanswered then go to
   * the sessions' new servers).
   */
  drainSettleMs?: number
  /** Options of every pooled connection. `reconnect` defaults to a short policy: see defaultClusterOptions. */
  client?: CodeGymClientOptions
  /** Resolves a DNS server source; default: the system resolver (getaddrinfo, every address). */
  resolver?: AddressResolver
}

export const defaultClusterOptions = Object.freeze({
  placement: 'least-loaded' as Placement,
  virtualNodesPerServer: defaultVirtualNodesPerNode,
  connectionsPerServer: 2,
  snapshotEverySteps: 1,
  // Kubernetes updates a headless Service's addresses within seconds of a pod's change.
  refreshIntervalMs: 5000,
  minRefreshGapMs: 100,
  noServerWaitMs: 30_000,
  maxConcurrentMoves: 256,
  probeInitialDelayMs: 500,
  probeMaxDelayMs: 10_000,
  maxProbes: 20,
  drainSettleMs: 2000,
  // A connection that drops tries to resume this many times before its server counts as lost:
  // long enough for a network blip, short enough that sessions move soon after a server dies.
  reconnect: Object.freeze({ attempts: 3, initialDelayMs: 100, maxDelayMs: 1000 }),
})

export type ServerState = 'connecting' | 'up' | 'draining' | 'down' | 'removed'

export interface ServerStats {
  url: string
  state: ServerState
  /** Live sessions of this client on the server. */
  sessions: number
  /** The server source names it (a server that left the DNS name takes no new sessions). */
  listed: boolean
  /** Why the server was last taken out of rotation. */
  lastOutReason: string | undefined
}

export interface CodeGymClusterEvents {
  /** A server left rotation: it drained, its connection was lost, it could not be reached, or it left the DNS name. */
  'server-out': [{ url: string, reason: OutReason, detail: string }]
  /** A server that was out of rotation takes new sessions again: a probe reached it, or the source lists it again. */
  'server-in': [{ url: string }]
  /** A server failed maxProbes probes, or left the DNS name while out of rotation: dropped until the source lists it again. */
  'server-removed': [{ url: string }]
  /**
   * A session moved, rebuilt from `base` (a snapshot taken on the draining server, the latest kept
   * snapshot, or the reset), then `replayed` acknowledged actions were replayed on the new server.
   */
  migrated: [{ from: string, to: string, step: number, replayed: number, base: BaseKind }]
  /** Resolving the server source failed; the servers already known stay as they are. */
  'refresh-error': [{ error: Error }]
}

export type OutReason = 'draining' | 'lost' | 'unreachable' | 'unlisted'
export type BaseKind = 'drain-snapshot' | 'snapshot' | 'reset'

/** How a session is rebuilt elsewhere: a reset with the same options and seed, or a snapshot. */
type Base = { kind: 'reset' } | { kind: 'snapshot' | 'drain-snapshot', bytes: Uint8Array, step: number }

interface LoggedAction {
  op: 'step' | 'done'
  payload: unknown
  result: StepResult
}

class ServerNode {
  readonly url: string
  state: ServerState = 'connecting'
  clients: CodeGymClient[] = []
  readonly sessions = new Set<ClusterSession>()
  /** The server source names it now. */
  listed = true
  /** Connection attempts started (each #open); only the latest one's outcome counts. */
  openAttempts = 0
  /** Resets sent to the server and not answered yet: placed sessions that least-loaded counts too. */
  placing = 0
  /** The server takes step's `snapshot` option; false once it refused it. */
  stepSnapshots = true
  lastOutReason: string | undefined
  probes = 0
  probeTimer: NodeJS.Timeout | undefined
  drainTimer: NodeJS.Timeout | undefined
  #nextClient = 0

  constructor (url: string) {
    this.url = url
  }

  /** The next open pooled connection, in turn. */
  connection (): CodeGymClient {
    for (let tried = 0; tried < this.clients.length; tried++) {
      const client = this.clients[this.#nextClient++ % this.clients.length]!
      if (client.isOpen) return client
    }
    // Reconnecting connections queue requests until they resume (or fail them when they give up).
    const client = this.clients[this.#nextClient++ % this.clients.length]
    if (client === undefined) throw new ConnectionClosedError(`no connection to ${this.url}`, { applied: false })
    return client
  }
}

/** What a session needs from its cluster. */
interface ClusterHost {
  readonly snapshotEverySteps: number
  /** Runs one move when fewer than maxConcurrentMoves are running. */
  moving: <T>(move: () => Promise<T>) => Promise<T>
  /** A server in rotation for the key: at once when there is one, else waiting up to noServerWaitMs for one. */
  place: (key: string) => ServerNode | Promise<ServerNode>
  markDraining: (node: ServerNode, detail: string) => void
  /** A server that left a request unanswered past requestTimeoutMs counts as lost. */
  markLost: (node: ServerNode, detail: string) => void
  migrated: (event: CodeGymClusterEvents['migrated'][0]) => void
}

/** A server answered in a way that means it no longer has the session, or no longer exists for us. */
function isServerLoss (error: unknown): boolean {
  return error instanceof ConnectionClosedError || (error instanceof CodeGymRequestError && error.code === 'unknown_session')
}

/**
 * No answer will come for an action or observe on this server: it is gone, or the request timed
 * out (its effect there is unknown). Either way the session is rebuilt elsewhere and the request
 * sent there, once; the old copy is closed.
 */
function isAnswerLost (error: unknown): boolean {
  return isServerLoss(error) || error instanceof RequestTimeoutError
}

function isDraining (error: unknown): boolean {
  return error instanceof CodeGymRequestError && error.code === 'draining'
}

/** A server refused a snapshot it did not make (snapshots are signed with a key of that server). */
function isInvalidSnapshot (error: unknown): boolean {
  return error instanceof CodeGymRequestError && error.code === 'invalid_snapshot'
}

function snapshotBytesOf (snapshot: Uint8Array | string): Uint8Array {
  return typeof snapshot === 'string' ? new Uint8Array(Buffer.from(snapshot, 'base64')) : snapshot
}

/**
 * One episode of the cluster: use it like a session of CodeGymClient. Operations on one session
 * run one after another in call order (an agent's next action depends on the last observation).
 */
export class ClusterSession {
  readonly env: string
  /** The placement key (consistent hashing places by it). */
  readonly key: string
  /** What the reset returned: the task, the tools, the first observation. */
  readonly resetResult: ResetResult
  readonly #host: ClusterHost
  /** The reset's options with the seed the server drew, so a reset elsewhere is the same episode. */
  readonly #resetOptions: ResetOptions
  #node: ServerNode
  #client: CodeGymClient
  #id: SessionId
  #step = 0
  #base: Base = { kind: 'reset' }
  /**
   * Every action acknowledged since the reset: a move replays those after its base, and when no
   * snapshot restores there (snapshots are signed by the server that made them, unless the servers
   * share a key), all of them after a new reset.
   */
  #log: LoggedAction[] = []
  #migrations = 0
  #closed = false
  #lost: EpisodeLostError | undefined
  #tail: Promise<unknown> = Promise.resolve()

  /** @internal made by CodeGymCluster.reset */
  constructor (host: ClusterHost, node: ServerNode, client: CodeGymClient, env: string, options: ResetOptions, key: string, reset: ResetResult & { session: SessionId }) {
    this.#host = host
    this.#node = node
    this.#client = client
    this.#id = reset.session
    this.env = env
    this.key = key
    this.resetResult = { observation: reset.observation, info: reset.info }
    this.#resetOptions = reset.info.seed === undefined ? { ...options } : { ...options, seed: reset.info.seed }
    node.sessions.add(this)
  }

  /** The session's id on its current server (it changes when the session moves). */
  get id (): SessionId { return this.#id }
  /** The URL of the server holding the session now. */
  get server (): string { return this.#node.url }
  /** Steps acknowledged so far. */
  get stepCount (): number { return this.#step }
  /** Times the session moved to another server. */
  get migrations (): number { return this.#migrations }
  /** Acknowledged actions since the latest snapshot: what a move from that snapshot would replay. */
  get unsnapshottedSteps (): number { return this.#log.length - this.#baseIndex(this.#base) }
  get isLost (): boolean { return this.#lost !== undefined }

  step (action: Record<string, unknown>): Promise<StepResult> {
    return this.#enqueue(() => this.#act('step', action))
  }

  /** Submits the answer (the Done tool). */
  done (answer: unknown): Promise<StepResult> {
    return this.#enqueue(() => this.#act('done', answer))
  }

  /** What Observe would return, without taking a step. */
  observe (): Promise<unknown> {
    return this.#enqueue(async () => {
      for (let attempt = 0; ; attempt++) {
        await this.#ensurePlaced()
        try {
          return (await this.#client.observe(this.#id)).observation
        } catch (error) {
          if (!isAnswerLost(error) || attempt >= maxMovesPerOperation) throw error
          this.#noteTimeout(error)
          await this.#migrate(error)
        }
      }
    })
  }

  /** A server that timed out is taken out of rotation before the session moves off it. */
  #noteTimeout (error: unknown, node = this.#node): void {
    if (error instanceof RequestTimeoutError) this.#host.markLost(node, error.message)
  }

  /** Ends the session and frees it on its server; closing it again, or closing a lost session, does nothing. */
  close (): Promise<void> {
    const closed = this.#tail.then(async () => {
      if (this.#closed) return
      this.#closed = true
      this.#node.sessions.delete(this)
      this.#log = []
      // A draining server still answers: freeing the session there lets its drain end early.
      if (this.#lost !== undefined || (this.#node.state !== 'up' && this.#node.state !== 'draining')) return
      try {
        await this.#client.closeSession(this.#id)
      } catch (error) {
        if (!isAnswerLost(error)) throw error
      }
    })
    this.#tail = closed.catch(() => undefined)
    return closed
  }

  /** @internal moves the session off a server that left rotation, in the background. */
  evacuate (): void {
    void this.#enqueue(async () => {
      if (this.#closed || this.#lost !== undefined || this.#node.state === 'up') return
      await this.#migrate(undefined)
    }).catch(() => {
      // The next operation on the session moves it again, or reports why it cannot.
    })
  }

  #enqueue<T> (operation: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(() => {
      if (this.#lost !== undefined) throw this.#lost
      if (this.#closed) throw new SessionClosedError()
      return operation()
    })
    this.#tail = result.catch(() => undefined)
    return result
  }

  async #ensurePlaced (): Promise<void> {
    if (this.#node.state !== 'up') await this.#migrate(undefined)
  }

  async #act (op: 'step' | 'done', payload: unknown): Promise<StepResult> {
    for (let attempt = 0; ; attempt++) {
      await this.#ensurePlaced()
      let outcome: { result: StepResult, snapshot: { bytes: Uint8Array, step: number } | undefined }
      try {
        outcome = await this.#send(op, payload)
      } catch (error) {
        if (!isAnswerLost(error) || attempt >= maxMovesPerOperation) throw error
        // Unanswered: the action goes to the session's new server, once, after the replay.
        this.#noteTimeout(error)
        await this.#migrate(error)
        continue
      }
      const { result, snapshot } = outcome
      this.#step = result.info.step
      this.#log.push({ op, payload, result })
      if (snapshot !== undefined && snapshot.step === result.info.step) this.#base = { kind: 'snapshot', ...snapshot }
      return result
    }
  }

  /** One action on the current server; with the snapshot in the same response when one is due. */
  async #send (op: 'step' | 'done', payload: unknown): Promise<{ result: StepResult, snapshot: { bytes: Uint8Array, step: number } | undefined }> {
    const every = this.#host.snapshotEverySteps
    const client = this.#client
    const node = this.#node
    const session = this.#id
    if (every === 0 || (this.#step + 1) % every !== 0) {
      const result = op === 'step' ? await client.step(session, payload as Record<string, unknown>) : await client.done(session, payload)
      return { result, snapshot: undefined }
    }
    if (node.stepSnapshots) {
      try {
        const { snapshot, ...result } = op === 'step'
          ? await client.request('step', { session, action: payload as Record<string, unknown>, snapshot: true })
          : await client.request('done', { session, answer: payload as JsonValue, snapshot: true })
        return { result, snapshot: snapshot === undefined ? undefined : { bytes: snapshotBytesOf(snapshot), step: result.info.step } }
      } catch (error) {
        // A server from before the step's snapshot option refuses it (nothing ran): use a batch there.
        if (!(error instanceof CodeGymRequestError) || error.code !== 'invalid_params') throw error
        node.stepSnapshots = false
      }
    }
    const action: BatchRequest = op === 'step' ? { op, params: { session, action: payload as Record<string, unknown> } } : { op, params: { session, answer: payload } }
    const { results } = await client.batch([action, { op: 'snapshot', params: { session } }])
    const [acted, snapshotted] = results
    if (acted === undefined || 'error' in acted) {
      const error = acted?.error ?? { code: 'internal_error' as const, message: 'the batch came back without the action' }
      throw new CodeGymRequestError(op, error.code, error.message, error.data)
    }
    const snapshot = snapshotted !== undefined && 'result' in snapshotted ? snapshotted.result as { snapshot: Uint8Array | string, step: number } : undefined
    return { result: acted.result as unknown as StepResult, snapshot: snapshot === undefined ? undefined : { bytes: snapshotBytesOf(snapshot.snapshot), step: snapshot.step } }
  }

  /**
   * Rebuilds the session on a server in rotation, from the first base that restores there: a
   * snapshot taken now on a draining server, the latest kept snapshot, or the reset (same env,
   * options and seed); then every acknowledged action after that base, each checked against its
   * acknowledged result. The old copy is freed once the new one stands.
   */
  #migrate (cause: unknown): Promise<void> {
    return this.#host.moving(() => this.#move(cause))
  }

  async #move (cause: unknown): Promise<void> {
    const from = this.#node
    const oldClient = this.#client
    const oldId = this.#id
    const bases = await this.#basesFor(from, oldClient, oldId)
    let lastError: unknown = cause
    for (let attempt = 0; attempt <= maxMovesPerOperation; attempt++) {
      // Waits for a server to come into rotation (the DNS name is resolved again meanwhile);
      // NoServerAvailableError past noServerWaitMs leaves the session where it is, for the next operation.
      const placed = this.#host.place(this.key)
      // Counted in `placing` in the same turn as placed, so that a burst of moves spreads evenly.
      const target = placed instanceof Promise ? await placed : placed
      const client = target.connection()
      target.placing++
      try {
        const rebuilt = await this.#rebuild(client, target.url, bases)
        from.sessions.delete(this)
        this.#node = target
        this.#client = client
        this.#id = rebuilt.session
        this.#migrations++
        target.sessions.add(this)
        if (from.state === 'up' || from.state === 'draining') oldClient.closeSession(oldId).catch(() => undefined)
        this.#host.migrated({ from: from.url, to: target.url, step: this.#step, replayed: rebuilt.replayed, base: rebuilt.base })
        return
      } catch (error) {
        if (error instanceof ReplayMismatchError) {
          from.sessions.delete(this)
          this.#lost = error
          throw error
        }
        if (isDraining(error)) this.#host.markDraining(target, 'refused a restore: draining')
        else if (!isAnswerLost(error)) throw error
        this.#noteTimeout(error, target)
        lastError = error
      } finally {
        target.placing--
      }
    }
    throw new EpisodeLostError(`could not move the session off ${from.url}: ${(lastError as Error)?.message ?? lastError}`, { server: from.url, step: this.#step, cause: lastError })
  }

  /**
   * What the session can be rebuilt from, best first. A draining server still answers until its
   * deadline: a snapshot taken there now needs no replay, whatever the snapshot cadence.
   */
  async #basesFor (from: ServerNode, client: CodeGymClient, session: SessionId): Promise<Base[]> {
    const bases: Base[] = []
    if (from.state === 'draining' && client.isOpen) {
      try {
        const fresh = await client.snapshot(session)
        // A step whose answer was lost may have been taken there: that snapshot is not the acknowledged state.
        if (fresh.step === this.#step) bases.push({ kind: 'drain-snapshot', bytes: fresh.snapshot, step: fresh.step })
      } catch {
        // Past its deadline, or gone: the kept base below.
      }
    }
    if (this.#base.kind !== 'reset') bases.push(this.#base)
    bases.push({ kind: 'reset' })
    return bases
  }

  /** How many logged actions a base already holds. */
  #baseIndex (base: Base): number {
    if (base.kind === 'reset') return 0
    const index = this.#log.findIndex((entry) => entry.result.info.step > base.step)
    return index === -1 ? this.#log.length : index
  }

  /** The session on `client`'s server from the first base it accepts (a server refuses snapshots it did not sign). */
  async #rebuild (client: CodeGymClient, url: string, bases: readonly Base[]): Promise<{ session: SessionId, replayed: number, base: BaseKind }> {
    for (const base of bases) {
      try {
        return await this.#rebuildFrom(base, client, url)
      } catch (error) {
        if (base.kind === 'reset' || !isInvalidSnapshot(error)) throw error
      }
    }
    throw new Error('unreachable: the reset base is always last')
  }

  async #rebuildFrom (base: Base, client: CodeGymClient, url: string): Promise<{ session: SessionId, replayed: number, base: BaseKind }> {
    let session: SessionId
    if (base.kind !== 'reset') {
      session = (await client.restore(base.bytes)).session
    } else {
      const again = await client.reset(this.env, this.#resetOptions)
      session = again.session
      const expected = this.resetResult
      const actual = { observation: again.observation, info: again.info }
      if (!isDeepStrictEqual(actual, expected)) {
        client.closeSession(session).catch(() => undefined)
        throw new ReplayMismatchError({ server: url, step: this.#step, atStep: 0, expected, actual })
      }
    }
    const toReplay = this.#log.slice(this.#baseIndex(base))
    try {
      for (const entry of toReplay) {
        const replayed = entry.op === 'step' ? await client.step(session, entry.payload as Record<string, unknown>) : await client.done(session, entry.payload)
        if (!isDeepStrictEqual(replayed, entry.result)) {
          throw new ReplayMismatchError({ server: url, step: this.#step, atStep: entry.result.info.step, expected: entry.result, actual: replayed })
        }
      }
    } catch (error) {
      client.closeSession(session).catch(() => undefined)
      throw error
    }
    return { session, replayed: toReplay.length, base: base.kind }
  }
}

/** Moves one operation may cause before it fails: each server going away during it costs one. */
const maxMovesPerOperation = 8
/** How often an operation waiting for a server in rotation looks again when no probe or resolution wakes it. */
const rotationRecheckMs = 200

const isInRotation = (node: ServerNode): boolean => node.state === 'up' && node.listed

/** Runs at most `limit` tasks at once; the others wait their turn in order. */
class Limiter {
  readonly #limit: number
  #running = 0
  readonly #waiting: Array<() => void> = []

  constructor (limit: number) {
    this.#limit = limit
  }

  async run<T> (task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve))
    else this.#running++
    try {
      return await task()
    } finally {
      // The slot passes straight to the next waiter, so a newcomer cannot overtake it.
      const next = this.#waiting.shift()
      if (next !== undefined) next()
      else this.#running--
    }
  }
}

let keyCounter = 0

export class CodeGymCluster extends EventEmitter<CodeGymClusterEvents> {
  readonly #options: Required<Omit<CodeGymClusterOptions, 'client' | 'resolver'>> & { client: CodeGymClientOptions, resolver: AddressResolver }
  readonly #nodes = new Map<string, ServerNode>()
  readonly #ring: HashRing
  readonly #host: ClusterHost
  #closed = false
  /** Where least-loaded starts looking, so ties spread over the servers. */
  #nextStart = 0
  readonly #refreshTimer: NodeJS.Timeout | undefined
  /** The background resolution in progress, and the one queued after it. */
  #refreshing: Promise<void> | undefined
  #nextRefresh: Promise<void> | undefined
  #lastRefreshStart = -Infinity
  /** Operations waiting for a server to come into rotation. */
  readonly #rotationWaiters = new Set<() => void>()
  readonly #moves: Limiter

  private constructor (options: CodeGymClusterOptions) {
    super()
    const merged = {
      placement: options.placement ?? defaultClusterOptions.placement,
      virtualNodesPerServer: options.virtualNodesPerServer ?? defaultClusterOptions.virtualNodesPerServer,
      connectionsPerServer: options.connectionsPerServer ?? defaultClusterOptions.connectionsPerServer,
      snapshotEverySteps: options.snapshotEverySteps ?? defaultClusterOptions.snapshotEverySteps,
      probeInitialDelayMs: options.probeInitialDelayMs ?? defaultClusterOptions.probeInitialDelayMs,
      probeMaxDelayMs: options.probeMaxDelayMs ?? defaultClusterOptions.probeMaxDelayMs,
      maxProbes: options.maxProbes ?? defaultClusterOptions.maxProbes,
      drainSettleMs: options.drainSettleMs ?? defaultClusterOptions.drainSettleMs,
      refreshIntervalMs: options.refreshIntervalMs ?? defaultClusterOptions.refreshIntervalMs,
      minRefreshGapMs: options.minRefreshGapMs ?? defaultClusterOptions.minRefreshGapMs,
      noServerWaitMs: options.noServerWaitMs ?? defaultClusterOptions.noServerWaitMs,
      maxConcurrentMoves: options.maxConcurrentMoves ?? defaultClusterOptions.maxConcurrentMoves,
      servers: options.servers,
      client: { reconnect: { ...defaultClusterOptions.reconnect }, ...options.client },
      resolver: options.resolver ?? systemResolver,
    }
    if (merged.placement !== 'least-loaded' && merged.placement !== 'consistent-hash') throw new RangeError(`placement must be 'least-loaded' or 'consistent-hash', not ${JSON.stringify(merged.placement)}`)
    for (const name of ['connectionsPerServer', 'virtualNodesPerServer', 'probeInitialDelayMs', 'probeMaxDelayMs', 'maxConcurrentMoves', 'minRefreshGapMs'] as const) {
      if (!Number.isInteger(merged[name]) || merged[name] < 1) throw new RangeError(`${name} must be a positive integer, not ${merged[name]}`)
    }
    for (const name of ['snapshotEverySteps', 'maxProbes', 'drainSettleMs', 'refreshIntervalMs', 'noServerWaitMs'] as const) {
      if (!Number.isInteger(merged[name]) || merged[name] < 0) throw new RangeError(`${name} must be an integer ≥ 0, not ${merged[name]}`)
    }
    this.#options = merged
    this.#moves = new Limiter(merged.maxConcurrentMoves)
    this.#ring = new HashRing([], merged.virtualNodesPerServer)
    this.#host = {
      snapshotEverySteps: merged.snapshotEverySteps,
      moving: (move) => this.#moves.run(move),
      place: (key) => this.#inRotation().length > 0 ? this.#place(key) : this.#placeWhenInRotation(key),
      markDraining: (node, detail) => this.#takeOut(node, 'draining', detail),
      markLost: (node, detail) => this.#takeOut(node, 'lost', detail),
      migrated: (event) => this.emit('migrated', event),
    }
    // Only a DNS name changes: Kubernetes adds and removes a headless Service's addresses as pods come and go.
    if (!Array.isArray(merged.servers) && merged.refreshIntervalMs > 0) {
      this.#refreshTimer = setInterval(() => { void this.#refreshInBackground() }, merged.refreshIntervalMs)
      this.#refreshTimer.unref()
    }
  }

  /** Resolves the servers and connects to each; fails only when none can be reached. */
  static async connect (options: CodeGymClusterOptions): Promise<CodeGymCluster> {
    const cluster = new CodeGymCluster(options)
    await cluster.refresh()
    if (cluster.#inRotation().length === 0) {
      const causes = new Map([...cluster.#nodes.values()].map((node) => [node.url, node.lastOutReason ?? 'unknown'] as const))
      await cluster.close()
      throw new NoServerAvailableError(`no server could be reached: ${[...causes].map(([url, why]) => `${url} (${why})`).join(', ')}`, causes)
    }
    return cluster
  }

  /**
   * Resolves the server source again: servers it names for the first time (or again) are connected
   * and join rotation; servers it no longer names take no new sessions (their sessions stay until
   * the server drains or is lost) and are dropped once out of rotation. A DNS source is resolved on
   * its own every refreshIntervalMs, and at once when a server leaves rotation or none is in it.
   */
  async refresh (): Promise<void> {
    const { opened } = await this.#resolve()
    await opened
  }

  /**
   * Resolves the source, updates which servers are listed (and so in rotation) at once, and starts
   * connecting the servers named for the first time or again. Returns when the names are applied,
   * with a promise of the connection attempts: a resolution never waits on them (a server that
   * accepts a connection and never answers would otherwise hold up every later resolution).
   */
  async #resolve (): Promise<{ opened: Promise<void> }> {
    const urls = await resolveServers(this.#options.servers, this.#options.resolver)
    if (this.#closed) return { opened: Promise.resolve() }
    const listed = new Set(urls)
    for (const node of this.#nodes.values()) {
      const wasListed = node.listed
      node.listed = listed.has(node.url)
      if (wasListed && !node.listed) this.#unlist(node)
      else if (!wasListed && node.listed && node.state === 'up') this.emit('server-in', { url: node.url })
    }
    const opening: Promise<void>[] = []
    for (const url of urls) {
      const known = this.#nodes.get(url)
      if (known !== undefined && known.state !== 'removed') continue
      const node = known ?? new ServerNode(url)
      this.#nodes.set(url, node)
      node.probes = 0
      node.state = 'connecting'
      opening.push(this.#open(node).then(() => {
        if (known !== undefined && node.state === 'up') this.emit('server-in', { url })
      }, (error: unknown) => {
        this.#takeOut(node, 'unreachable', (error as Error).message ?? String(error))
      }))
    }
    this.#wakeRotationWaiters()
    return { opened: Promise.all(opening).then(() => { this.#wakeRotationWaiters() }) }
  }

  get placement (): Placement { return this.#options.placement }
  get snapshotEverySteps (): number { return this.#options.snapshotEverySteps }

  /** Every known server, its state and this client's live sessions on it. */
  servers (): ServerStats[] {
    return [...this.#nodes.values()].map((node) => ({ url: node.url, state: node.state, sessions: node.sessions.size, listed: node.listed, lastOutReason: node.lastOutReason }))
  }

  /**
   * Starts an episode on a server chosen by the placement. `key` places it under consistent
   * hashing (default: a key unique to this session).
   */
  async reset (env: string, options: ResetOptions = {}, placement: { key?: string } = {}): Promise<ClusterSession> {
    const key = placement.key ?? `session-${++keyCounter}-${Math.random().toString(36).slice(2)}`
    let lastError: unknown
    for (let attempt = 0; attempt <= maxMovesPerOperation; attempt++) {
      // Placed in this same turn when a server is in rotation, so that the resets counted in
      // `placing` are all the ones already placed (least-loaded spreads a burst evenly).
      const placed = this.#host.place(key)
      const node = placed instanceof Promise ? await placed : placed
      const client = node.connection()
      node.placing++
      try {
        const reset = await client.reset(env, options)
        return new ClusterSession(this.#host, node, client, env, options, key, reset)
      } catch (error) {
        if (isDraining(error)) this.#takeOut(node, 'draining', 'refused a reset: draining')
        else if (!isServerLoss(error)) throw error
        lastError = error
      } finally {
        node.placing--
      }
    }
    throw lastError
  }

  /** Closes every connection; sessions stay on their servers until their resume time runs out. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#refreshTimer)
    this.#wakeRotationWaiters()
    const closing: Promise<void>[] = []
    for (const node of this.#nodes.values()) {
      clearTimeout(node.probeTimer)
      clearTimeout(node.drainTimer)
      for (const client of node.clients) closing.push(client.close())
      node.clients = []
    }
    await Promise.all(closing)
  }

  #inRotation (): ServerNode[] {
    return [...this.#nodes.values()].filter(isInRotation)
  }

  /** #place, waiting up to noServerWaitMs for a server to come into rotation while the source is resolved again. */
  async #placeWhenInRotation (key: string): Promise<ServerNode> {
    const deadline = performance.now() + this.#options.noServerWaitMs
    let lookedAgain = false
    for (;;) {
      try {
        return this.#place(key)
      } catch (error) {
        if (!(error instanceof NoServerAvailableError) || this.#closed) throw error
        if (performance.now() >= deadline) {
          // A process that stalled past the deadline (a busy machine) looks at the name once more
          // before it gives up: the answer may have changed while it was not running.
          if (lookedAgain || Array.isArray(this.#options.servers)) throw error
          lookedAgain = true
          await this.#refreshInBackground()
          continue
        }
      }
      void this.#refreshInBackground()
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer)
          this.#rotationWaiters.delete(wake)
          resolve()
        }
        // Probes and resolutions wake the waiters; the timer bounds the wait when neither comes.
        const timer = setTimeout(wake, Math.max(1, Math.min(deadline - performance.now(), rotationRecheckMs)))
        this.#rotationWaiters.add(wake)
      })
    }
  }

  #wakeRotationWaiters (): void {
    for (const wake of [...this.#rotationWaiters]) wake()
  }

  /**
   * Resolves the source again, one resolution at a time: asked while one runs, another follows it
   * (once, however often it was asked). Settles when a resolution that started after the call has
   * ended; it never rejects (a failure is the 'refresh-error' event).
   */
  #refreshInBackground (): Promise<void> {
    if (this.#closed || Array.isArray(this.#options.servers)) return Promise.resolve()
    if (this.#nextRefresh !== undefined) return this.#nextRefresh
    const sinceLastMs = performance.now() - this.#lastRefreshStart
    if (this.#refreshing === undefined && sinceLastMs >= this.#options.minRefreshGapMs) return this.#startRefresh()
    // A resolution answered from memory ends within the same turn of the event loop, and its end
    // wakes a waiting reset that asks for another: started at once, the two would loop with no
    // timer ever running. The next one waits for the running one and for a timer.
    const previous = this.#refreshing ?? Promise.resolve()
    this.#nextRefresh = previous.then(() => new Promise<void>((resolve) => {
      const waitForGap = (): void => {
        // The event loop's clock, which times timers, can lag performance.now(): check, and wait again if early.
        const waitMs = this.#lastRefreshStart + this.#options.minRefreshGapMs - performance.now()
        if (waitMs > 0 && !this.#closed) {
          setTimeout(waitForGap, Math.ceil(waitMs)).unref()
          return
        }
        this.#nextRefresh = undefined
        resolve(this.#closed ? undefined : this.#startRefresh())
      }
      // Always through a timer, even when the gap has passed, so that timers run in between.
      setTimeout(waitForGap, 0).unref()
    }))
    return this.#nextRefresh
  }

  #startRefresh (): Promise<void> {
    this.#lastRefreshStart = performance.now()
    const refreshing = this.#resolve().then(({ opened }) => {
      // The servers it names are connected in the background: a failure there takes the server out.
      void opened
    }, (error: unknown) => {
      this.emit('refresh-error', { error: error instanceof Error ? error : new Error(String(error)) })
    }).finally(() => {
      if (this.#refreshing === refreshing) this.#refreshing = undefined
    })
    this.#refreshing = refreshing
    return refreshing
  }

  /** The source no longer names the server: no new sessions there; dropped now if it is out of rotation. */
  #unlist (node: ServerNode): void {
    if (node.state === 'up') {
      this.emit('server-out', { url: node.url, reason: 'unlisted', detail: 'the server source no longer names it' })
      return
    }
    if (node.state === 'down' || node.state === 'connecting') this.#remove(node)
  }

  #remove (node: ServerNode): void {
    clearTimeout(node.probeTimer)
    node.probeTimer = undefined
    clearTimeout(node.drainTimer)
    node.drainTimer = undefined
    const clients = node.clients
    node.clients = []
    for (const client of clients) void client.close()
    node.state = 'removed'
    this.#ring.remove(node.url)
    this.emit('server-removed', { url: node.url })
  }

  #place (key: string): ServerNode {
    if (this.#closed) throw new NoServerAvailableError('the cluster client is closed')
    const up = this.#inRotation()
    if (up.length === 0) {
      const causes = new Map([...this.#nodes.values()].map((node) => [node.url, node.lastOutReason ?? node.state] as const))
      throw new NoServerAvailableError('no server is in rotation', causes)
    }
    if (this.#options.placement === 'consistent-hash') {
      const url = this.#ring.lookup(key, (candidate) => { const node = this.#nodes.get(candidate); return node !== undefined && isInRotation(node) })
      return this.#nodes.get(url!)!
    }
    const start = this.#nextStart++ % up.length
    let best = up[start]!
    for (let offset = 1; offset < up.length; offset++) {
      const node = up[(start + offset) % up.length]!
      if (node.sessions.size + node.placing < best.sessions.size + best.placing) best = node
    }
    return best
  }

  async #open (node: ServerNode): Promise<void> {
    const attempt = ++node.openAttempts
    const opened = await Promise.allSettled(Array.from({ length: this.#options.connectionsPerServer }, () => CodeGymClient.connect(node.url, this.#options.client)))
    const clients = opened.flatMap((outcome) => outcome.status === 'fulfilled' ? [outcome.value] : [])
    const failed = opened.find((outcome) => outcome.status === 'rejected')
    // Unlisted (dropped) while connecting, or connected again meanwhile: this attempt's outcome no longer counts.
    if (node.state === 'removed' || attempt !== node.openAttempts) {
      await Promise.all(clients.map((client) => client.close()))
      return
    }
    if (failed !== undefined || this.#closed) {
      await Promise.all(clients.map((client) => client.close()))
      if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
      return
    }
    node.clients = clients
    for (const client of clients) {
      client.on('event', (event) => {
        if (event.event !== 'draining' || !node.clients.includes(client) || node.state !== 'up') return
        this.#takeOut(node, 'draining', `draining event (${JSON.stringify(event.data ?? {})})`)
        // A draining server stops reading at its deadline, so a request sent later is never
        // answered, and its closing handshake may not finish: stop waiting for it after the deadline.
        const deadlineMs = (event.data as { deadlineMs?: unknown } | undefined)?.deadlineMs
        node.drainTimer = setTimeout(() => {
          node.drainTimer = undefined
          this.#takeOut(node, 'lost', 'the drain deadline passed')
        }, (typeof deadlineMs === 'number' ? deadlineMs : 0) + this.#options.drainSettleMs)
        node.drainTimer.unref()
      })
      client.on('close', ({ code, reason }) => {
        if (!node.clients.includes(client) || this.#closed) return
        this.#takeOut(node, 'lost', `connection closed (${code}${reason === '' ? '' : ` ${reason}`})`)
      })
    }
    node.state = 'up'
    node.probes = 0
    node.lastOutReason = undefined
    this.#ring.add(node.url)
    this.#wakeRotationWaiters()
  }

  #takeOut (node: ServerNode, reason: 'draining' | 'lost' | 'unreachable', detail: string): void {
    if (this.#closed) return
    const wasUp = node.state === 'up'
    if (reason === 'draining' && node.state !== 'up') return
    if (reason !== 'draining' && (node.state === 'down' || node.state === 'removed')) return
    node.state = reason === 'draining' ? 'draining' : 'down'
    node.lastOutReason = `${reason}: ${detail}`
    if (reason !== 'draining') {
      clearTimeout(node.drainTimer)
      node.drainTimer = undefined
      // A lost server's connections are dead or dying: close them so nothing more waits on them.
      const clients = node.clients
      node.clients = []
      for (const client of clients) void client.close()
    }
    if (wasUp) {
      this.emit('server-out', { url: node.url, reason, detail })
      for (const session of [...node.sessions]) session.evacuate()
      // A server that leaves rotation is often being replaced: its successor may be in the name already.
      void this.#refreshInBackground()
    }
    if (node.probeTimer === undefined) this.#scheduleProbe(node)
  }

  #scheduleProbe (node: ServerNode): void {
    if (this.#closed) return
    // Unlisted: a replaced pod's address (a new server there is listed again first). A draining one
    // stays until its drain ends: its sessions are snapshotted there meanwhile.
    if (node.probes >= this.#options.maxProbes || (!node.listed && node.state !== 'draining')) {
      this.#remove(node)
      return
    }
    const delayMs = Math.min(this.#options.probeMaxDelayMs, this.#options.probeInitialDelayMs * 2 ** node.probes)
    node.probeTimer = setTimeout(() => {
      node.probeTimer = undefined
      if (this.#closed || node.state === 'up') return
      node.probes++
      // A draining server's connections stay open until it closes them; a probe does not replace them.
      if (node.state === 'draining' && node.clients.some((client) => client.isOpen)) {
        this.#scheduleProbe(node)
        return
      }
      this.#open(node).then(() => {
        if (node.state === 'up') this.emit('server-in', { url: node.url })
      }, (error: unknown) => {
        node.lastOutReason = `unreachable: ${(error as Error).message ?? String(error)}`
        this.#scheduleProbe(node)
      })
    }, delayMs)
    node.probeTimer.unref()
  }
}
