// What the sandbox pool reports about its processes, one line per event, at a bounded rate: a
// crash loop must not flood the server's log.

/** Why a sandbox process ended. */
export type SandboxExitCause =
  /** A call ran past callWallTimeoutMs + watchdogGraceMs and the pool killed the process. */
  | 'wall_time_limit'
  /** V8 ran out of memory outside the isolate's limit (the process said so before it ended). */
  | 'out_of_memory'
  /** Its resident memory went over maxSandboxProcessRssMb and the pool killed it. */
  | 'rss_limit'
  /** It was not ready within sandboxStartTimeoutMs. */
  | 'start_timeout'
  /** It died on its own for another reason (a signal, an exit code). */
  | 'crashed'

export const sandboxExitCauses: readonly SandboxExitCause[] = ['wall_time_limit', 'out_of_memory', 'rss_limit', 'start_timeout', 'crashed']

export type SandboxEvent =
  | {
    kind: 'process_exit'
    slot: number
    quarantine: boolean
    pid: number | undefined
    cause: SandboxExitCause
    exit: string
    /** The call that was running, blamed with this rollback code. */
    blamed?: { envKey: string, op: string, code: string }
    /** Unanswered calls that run again on another process. */
    callsRerun: number
    restartInMs: number
  }
  | { kind: 'env_probation', envKey: string, code: string, forMs: number }
  | { kind: 'calls_expired', calls: number, maxQueueWaitMs: number }

export type SandboxEventSink = (event: SandboxEvent & { suppressed?: number }) => void

/** Passes at most maxPerWindow events per windowMs to the sink; the next one passed says how many were dropped. */
export class RateLimitedEvents {
  readonly #sink: SandboxEventSink
  readonly #maxPerWindow: number
  readonly #windowMs: number
  #windowStart = Number.NEGATIVE_INFINITY
  #inWindow = 0
  #suppressed = 0

  constructor (sink: SandboxEventSink, maxPerWindow = 20, windowMs = 60_000) {
    this.#sink = sink
    this.#maxPerWindow = maxPerWindow
    this.#windowMs = windowMs
  }

  emit (event: SandboxEvent): void {
    const now = performance.now()
    if (now - this.#windowStart >= this.#windowMs) {
      this.#windowStart = now
      this.#inWindow = 0
    }
    if (this.#inWindow >= this.#maxPerWindow) {
      this.#suppressed++
      return
    }
    this.#inWindow++
    const suppressed = this.#suppressed
    this.#suppressed = 0
    this.#sink(suppressed > 0 ? { ...event, suppressed } : event)
  }
}
