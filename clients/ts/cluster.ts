// The cluster client: sessions spread over many codegym-serve processes, each reached through a small
// pool of CodeGymClient connections. A server that drains or is lost is taken out of rotation (and
// probed again later), and its sessions move to other servers: restored from their latest snapshot,
// the actions acknowledged since then replayed and checked, and an unanswered action sent again
// exactly once. See clients/ts/README.md, "Cluster client".
import { EventEmitter } from 'node:events'
import { isDeepStrictEqual } from 'node:util'
import type { ResetResult } from '../../src/schemas/env.generated.ts'
import type { JsonValue, ResetOptions, SessionId, StepResult } from '../../src/schemas/protocol.generated.ts'
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
   * Snapshot each session every this many steps (1: every step); 0 keeps nothing, and a session
   * whose server goes away is lost (EpisodeLostError).
   */
  snapshotEverySteps?: number
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
  /** Why the server was last taken out of rotation. */
  lastOutReason: string | undefined
}

export interface CodeGymClusterEvents {
  /** A server left rotation: it drained, its connection was lost, or it could not be reached. */
  'server-out': [{ url: string, reason: 'draining' | 'lost' | 'unreachable', detail: string }]
  /** A probe reached a server that was out of rotation: it takes new sessions again. */
  'server-in': [{ url: string }]
  /** A server failed maxProbes probes: it is dropped until refresh() lists it again. */
  'server-removed': [{ url: string }]
  /** A session moved: `replayed` acknowledged actions were replayed on the new server. */
  migrated: [{ from: string, to: string, step: number, replayed: number }]
}

/** How a session is rebuilt elsewhere: a reset with the same options and seed, or a snapshot. */
type Base = { kind: 'reset' } | { kind: 'snapshot', bytes: Uint8Array, step: number }

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
  place: (key: string) => ServerNode
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
  /** Acknowledged actions since the latest snapshot: what a move would replay. */
  get unsnapshottedSteps (): number { return this.#log.length }
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
      if (this.#lost !== undefined || this.#node.state !== 'up') return
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
      if (snapshot !== undefined && snapshot.step === result.info.step) {
        this.#base = { kind: 'snapshot', ...snapshot }
        this.#log = []
      } else if (this.#host.snapshotEverySteps > 0) {
        this.#log.push({ op, payload, result })
      }
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
   * Rebuilds the session on a server in rotation: from the snapshot (or the reset), then every
   * acknowledged action since, each checked against its acknowledged result.
   */
  async #migrate (cause: unknown): Promise<void> {
    const from = this.#node
    const oldClient = this.#client
    const oldId = this.#id
    from.sessions.delete(this)
    // Still reachable (the connection resumed, or the server drains): free the old copy.
    if (from.state === 'up' || from.state === 'draining') oldClient.closeSession(oldId).catch(() => undefined)
    if (this.#host.snapshotEverySteps === 0) {
      this.#lost = new EpisodeLostError(`the server ${from.url} went away and snapshots are off: the episode is lost at step ${this.#step}`, { server: from.url, step: this.#step, cause })
      throw this.#lost
    }
    let lastError: unknown = cause
    for (let attempt = 0; attempt <= maxMovesPerOperation; attempt++) {
      let target: ServerNode
      try {
        target = this.#host.place(this.key)
      } catch (error) {
        from.sessions.add(this) // nowhere to go yet: the next operation tries again
        throw error
      }
      const client = target.connection()
      let created: SessionId | undefined
      target.placing++
      try {
        created = await this.#rebuild(client, target.url)
        this.#node = target
        this.#client = client
        this.#id = created
        this.#migrations++
        target.sessions.add(this)
        this.#host.migrated({ from: from.url, to: target.url, step: this.#step, replayed: this.#log.length })
        return
      } catch (error) {
        if (error instanceof ReplayMismatchError) {
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

  async #rebuild (client: CodeGymClient, url: string): Promise<SessionId> {
    let session: SessionId
    if (this.#base.kind === 'snapshot') {
      session = (await client.restore(this.#base.bytes)).session
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
    try {
      for (const entry of this.#log) {
        const replayed = entry.op === 'step' ? await client.step(session, entry.payload as Record<string, unknown>) : await client.done(session, entry.payload)
        if (!isDeepStrictEqual(replayed, entry.result)) {
          throw new ReplayMismatchError({ server: url, step: this.#step, atStep: entry.result.info.step, expected: entry.result, actual: replayed })
        }
      }
    } catch (error) {
      client.closeSession(session).catch(() => undefined)
      throw error
    }
    return session
  }
}

/** Moves one operation may cause before it fails: each server going away during it costs one. */
const maxMovesPerOperation = 8

let keyCounter = 0

export class CodeGymCluster extends EventEmitter<CodeGymClusterEvents> {
  readonly #options: Required<Omit<CodeGymClusterOptions, 'client' | 'resolver'>> & { client: CodeGymClientOptions, resolver: AddressResolver }
  readonly #nodes = new Map<string, ServerNode>()
  readonly #ring: HashRing
  readonly #host: ClusterHost
  #closed = false
  /** Where least-loaded starts looking, so ties spread over the servers. */
  #nextStart = 0

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
      servers: options.servers,
      client: { reconnect: { ...defaultClusterOptions.reconnect }, ...options.client },
      resolver: options.resolver ?? systemResolver,
    }
    if (merged.placement !== 'least-loaded' && merged.placement !== 'consistent-hash') throw new RangeError(`placement must be 'least-loaded' or 'consistent-hash', not ${JSON.stringify(merged.placement)}`)
    for (const name of ['connectionsPerServer', 'virtualNodesPerServer', 'probeInitialDelayMs', 'probeMaxDelayMs'] as const) {
      if (!Number.isInteger(merged[name]) || merged[name] < 1) throw new RangeError(`${name} must be a positive integer, not ${merged[name]}`)
    }
    for (const name of ['snapshotEverySteps', 'maxProbes', 'drainSettleMs'] as const) {
      if (!Number.isInteger(merged[name]) || merged[name] < 0) throw new RangeError(`${name} must be an integer ≥ 0, not ${merged[name]}`)
    }
    this.#options = merged
    this.#ring = new HashRing([], merged.virtualNodesPerServer)
    this.#host = {
      snapshotEverySteps: merged.snapshotEverySteps,
      place: (key) => this.#place(key),
      markDraining: (node, detail) => this.#takeOut(node, 'draining', detail),
      markLost: (node, detail) => this.#takeOut(node, 'lost', detail),
      migrated: (event) => this.emit('migrated', event),
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

  /** Resolves the server source again and connects to servers not known yet (a DNS name may list new pods). */
  async refresh (): Promise<void> {
    const urls = await resolveServers(this.#options.servers, this.#options.resolver)
    const opening: Promise<void>[] = []
    for (const url of urls) {
      const known = this.#nodes.get(url)
      if (known !== undefined && known.state !== 'removed') continue
      const node = known ?? new ServerNode(url)
      this.#nodes.set(url, node)
      node.probes = 0
      opening.push(this.#open(node).catch((error: unknown) => {
        this.#takeOut(node, 'unreachable', (error as Error).message ?? String(error))
      }))
    }
    await Promise.all(opening)
  }

  get placement (): Placement { return this.#options.placement }
  get snapshotEverySteps (): number { return this.#options.snapshotEverySteps }

  /** Every known server, its state and this client's live sessions on it. */
  servers (): ServerStats[] {
    return [...this.#nodes.values()].map((node) => ({ url: node.url, state: node.state, sessions: node.sessions.size, lastOutReason: node.lastOutReason }))
  }

  /**
   * Starts an episode on a server chosen by the placement. `key` places it under consistent
   * hashing (default: a key unique to this session).
   */
  async reset (env: string, options: ResetOptions = {}, placement: { key?: string } = {}): Promise<ClusterSession> {
    const key = placement.key ?? `session-${++keyCounter}-${Math.random().toString(36).slice(2)}`
    let lastError: unknown
    for (let attempt = 0; attempt <= maxMovesPerOperation; attempt++) {
      const node = this.#place(key)
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
    return [...this.#nodes.values()].filter((node) => node.state === 'up')
  }

  #place (key: string): ServerNode {
    if (this.#closed) throw new NoServerAvailableError('the cluster client is closed')
    const up = this.#inRotation()
    if (up.length === 0) {
      const causes = new Map([...this.#nodes.values()].map((node) => [node.url, node.lastOutReason ?? node.state] as const))
      throw new NoServerAvailableError('no server is in rotation', causes)
    }
    if (this.#options.placement === 'consistent-hash') {
      const url = this.#ring.lookup(key, (candidate) => this.#nodes.get(candidate)?.state === 'up')
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
    const opened = await Promise.allSettled(Array.from({ length: this.#options.connectionsPerServer }, () => CodeGymClient.connect(node.url, this.#options.client)))
    const clients = opened.flatMap((outcome) => outcome.status === 'fulfilled' ? [outcome.value] : [])
    const failed = opened.find((outcome) => outcome.status === 'rejected')
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
    }
    if (node.probeTimer === undefined) this.#scheduleProbe(node)
  }

  #scheduleProbe (node: ServerNode): void {
    if (this.#closed) return
    if (node.probes >= this.#options.maxProbes) {
      node.state = 'removed'
      this.emit('server-removed', { url: node.url })
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
