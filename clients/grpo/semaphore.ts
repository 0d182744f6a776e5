// A counting semaphore: at most `limit` holders; the rest wait in arrival order.
export class Semaphore {
  readonly limit: number
  #held = 0
  readonly #waiting: Array<() => void> = []

  constructor (limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a semaphore needs a positive integer limit, got ${limit}`)
    this.limit = limit
  }

  get held (): number { return this.#held }
  get waiting (): number { return this.#waiting.length }

  async acquire (): Promise<void> {
    if (this.#held < this.limit) {
      this.#held++
      return
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve))
  }

  /** Hands the slot straight to the next waiter, if any, so the count never dips below the limit. */
  release (): void {
    const next = this.#waiting.shift()
    if (next !== undefined) next()
    else this.#held--
  }

  async run<T> (work: () => Promise<T>): Promise<T> {
    await this.acquire()
    try {
      return await work()
    } finally {
      this.release()
    }
  }
}
