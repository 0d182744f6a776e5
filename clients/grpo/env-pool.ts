// Env sessions sharded over several codegym-serve instances, a few CodeGymClient connections each.
// A rollout's session lives on one connection for its whole episode. Steps are never sent twice:
// a dropped connection is the CodeGymClient's to resume (it knows from the session's step count
// whether a step was applied); if it cannot, the rollout ends with 'error'.
import { CodeGymClient } from '../ts/index.ts'

export interface EnvPoolOptions {
  connectionsPerEnvServer: number
  envRequestTimeoutMs: number
  /** The servers' token, when they require one. */
  token?: string | undefined
}

export interface EnvLease {
  readonly client: CodeGymClient
  /** Index into the pool's server list. */
  readonly server: number
  /**
   * Closes a finished episode's session without making the rollout wait for the answer: nothing in
   * the record depends on it, and it frees the server's memory now rather than at its idle timeout.
   * The pool waits for these before it disconnects.
   */
  closeInBackground (session: string): void
  release (): void
}

interface Connection {
  client: CodeGymClient
  server: number
  active: number
}

export interface EnvServerLoad {
  url: string
  activeSessions: number
  sessionsOpened: number
}

export class EnvPool {
  readonly urls: readonly string[]
  readonly #connections: Connection[]
  readonly #opened: number[]
  readonly #closing = new Set<Promise<unknown>>()

  private constructor (urls: readonly string[], connections: Connection[]) {
    this.urls = urls
    this.#connections = connections
    this.#opened = urls.map(() => 0)
  }

  static async connect (urls: readonly string[], options: EnvPoolOptions): Promise<EnvPool> {
    if (urls.length === 0) throw new RangeError('the env pool needs at least one env server URL')
    const connections: Connection[] = []
    try {
      for (const [server, url] of urls.entries()) {
        const clients = await Promise.all(Array.from({ length: options.connectionsPerEnvServer }, () =>
          CodeGymClient.connect(url, { requestTimeoutMs: options.envRequestTimeoutMs, clientName: 'codegym-rollout', token: options.token })))
        for (const client of clients) connections.push({ client, server, active: 0 })
      }
    } catch (error) {
      await Promise.allSettled(connections.map(({ client }) => client.close()))
      throw error
    }
    return new EnvPool(urls, connections)
  }

  /** A connection for a new session: on the server with the fewest live sessions, then the quietest connection there. */
  lease (): EnvLease {
    const perServer = this.urls.map(() => 0)
    for (const connection of this.#connections) perServer[connection.server]! += connection.active
    let server = 0
    for (let candidate = 1; candidate < perServer.length; candidate++) if (perServer[candidate]! < perServer[server]!) server = candidate
    let chosen: Connection | undefined
    for (const connection of this.#connections) {
      if (connection.server === server && (chosen === undefined || connection.active < chosen.active)) chosen = connection
    }
    const connection = chosen!
    connection.active++
    this.#opened[server]!++
    let released = false
    return {
      client: connection.client,
      server,
      closeInBackground: (session) => {
        const closing = connection.client.closeSession(session).catch(() => undefined)
        this.#closing.add(closing)
        void closing.finally(() => this.#closing.delete(closing))
      },
      release: () => {
        if (released) return
        released = true
        connection.active--
      },
    }
  }

  loads (): EnvServerLoad[] {
    return this.urls.map((url, server) => ({
      url,
      activeSessions: this.#connections.filter((connection) => connection.server === server).reduce((sum, connection) => sum + connection.active, 0),
      sessionsOpened: this.#opened[server]!,
    }))
  }

  async close (): Promise<void> {
    await Promise.allSettled([...this.#closing])
    await Promise.allSettled(this.#connections.map(({ client }) => client.close()))
  }
}
