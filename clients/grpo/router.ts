// Which backend serves which rollout. A rollout is placed once, on the backend with the fewest
// rollouts placed on it right now, and stays there for all its turns: each turn's prompt extends the
// last one, so the backend's prefix cache already holds most of it. Each backend has its own bound
// on requests in flight; requests past it wait in the client.
import { Semaphore } from './semaphore.ts'

export interface BackendLoad {
  url: string
  /** Rollouts placed on the backend and not finished. */
  activeRollouts: number
  /** Generation requests sent and not answered. */
  inFlightRequests: number
  requests: number
}

export interface BackendLane<B> {
  readonly backend: B
  readonly index: number
  /** Runs one generation request on the rollout's backend, within its concurrency bound. */
  request<T> (work: (backend: B) => Promise<T>): Promise<T>
  /** The rollout is over: its place on the backend is free. */
  release (): void
}

interface Slot<B> {
  backend: B
  url: string
  semaphore: Semaphore
  activeRollouts: number
  inFlightRequests: number
  requests: number
}

export class BackendRouter<B extends { url: string }> {
  readonly #slots: Array<Slot<B>>

  constructor (backends: readonly B[], maxConcurrentRequestsPerBackend: number) {
    if (backends.length === 0) throw new RangeError('the router needs at least one backend')
    this.#slots = backends.map((backend) => ({ backend, url: backend.url, semaphore: new Semaphore(maxConcurrentRequestsPerBackend), activeRollouts: 0, inFlightRequests: 0, requests: 0 }))
  }

  /** Places a rollout on the least-loaded backend (ties: the lowest index, so placement repeats). */
  place (): BackendLane<B> {
    let index = 0
    for (let candidate = 1; candidate < this.#slots.length; candidate++) {
      if (this.#slots[candidate]!.activeRollouts < this.#slots[index]!.activeRollouts) index = candidate
    }
    const slot = this.#slots[index]!
    slot.activeRollouts++
    let released = false
    return {
      backend: slot.backend,
      index,
      request: (work) => slot.semaphore.run(async () => {
        slot.inFlightRequests++
        slot.requests++
        try {
          return await work(slot.backend)
        } finally {
          slot.inFlightRequests--
        }
      }),
      release: () => {
        if (released) return
        released = true
        slot.activeRollouts--
      },
    }
  }

  loads (): BackendLoad[] {
    return this.#slots.map(({ url, activeRollouts, inFlightRequests, requests }) => ({ url, activeRollouts, inFlightRequests, requests }))
  }
}
