// The host side of the sandbox: a fixed set of sandbox processes, each with one isolate.
// Env state never lives in them, so killing one loses nothing that was committed, and running a
// call again gives the same answer. So when a process dies with several calls unanswered (answers
// leave in batches, so the host cannot tell which one was running), each of them runs again alone
// on a process of its own: one that kills its process while alone is the culprit and fails (the
// caller rolls it back); the others get their answers.
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { CodeGymError } from '../errors.ts'
import { Fifo } from './fifo.ts'
import { defaultSandboxPoolOptions, type SandboxLimits, type SandboxPoolOptions } from './limits.ts'
import type { RunnerResult } from './isolate-runner.ts'
import type { CallMessage, CallReply, FromSandbox, GuestOp, ToSandbox } from './protocol.ts'

const workerEntry = fileURLToPath(new URL('./worker-main.ts', import.meta.url))

/** A sandbox process that dies this many times in a row without answering anything ends the pool. */
const maxConsecutiveCrashes = 5

interface PendingCall {
  message: CallMessage
  /** It was unanswered when a process died: it now runs only alone on a process. */
  suspect: boolean
  resolve: (result: RunnerResult) => void
}

interface Worker {
  readonly slot: number
  readonly child: ChildProcess
  /** Calls sent and not answered, in the order the process runs them. */
  readonly inFlight: PendingCall[]
  readonly outbox: ToSandbox[]
  /** Calls sent to the process and not answered yet (the rest of inFlight waits in the outbox). */
  sent: number
  readonly loaded: Set<string>
  /**
   * When the oldest unanswered call became the one running, as far as the host can tell;
   * Infinity while it has not been sent yet, so that host-side delay is not counted against it.
   */
  headStartedAt: number
  /** The process has started and can take calls; until then its start-up time counts against no call. */
  ready: boolean
  killedByWatchdog: boolean
  exited: boolean
}

export interface SandboxPoolStats {
  workers: number
  queuedCalls: number
  callsInFlight: number
  workerRestarts: number
  callsCompleted: number
}

export class SandboxPool {
  readonly options: Readonly<SandboxPoolOptions>
  readonly #sources = new Map<string, string>()
  readonly #queue = new Fifo<PendingCall>()
  /** Calls caught in a crash, waiting to run alone; they go before the queue. */
  readonly #suspects = new Fifo<PendingCall>()
  readonly #workers: Array<Worker | undefined>
  readonly #watchdog: NodeJS.Timeout
  #nextCallId = 1
  #flushScheduled = false
  #closed = false
  #consecutiveCrashes = 0
  #workerRestarts = 0
  #callsCompleted = 0
  readonly #checkEveryMs: number
  #lastCheckAt: number

  constructor (options: Partial<SandboxPoolOptions> = {}) {
    this.options = Object.freeze({ ...defaultSandboxPoolOptions, ...options })
    if (!(this.options.workers >= 1)) throw new RangeError('a sandbox pool needs at least one worker')
    this.#workers = Array.from({ length: this.options.workers }, (_, slot) => this.#spawn(slot))
    this.#checkEveryMs = Math.max(10, Math.min(250, this.options.watchdogGraceMs / 4))
    this.#lastCheckAt = performance.now()
    this.#watchdog = setInterval(() => this.#checkDeadlines(), this.#checkEveryMs)
    this.#watchdog.unref()
  }

  /** Makes an env type's source available to every sandbox process (sent before its first call there). */
  register (envKey: string, source: string): void {
    this.#sources.set(envKey, source)
    for (const worker of this.#workers) worker?.loaded.delete(envKey)
  }

  /** Runs one guest op. Never rejects for env misbehaviour: that is a failed RunnerResult. */
  call (envKey: string, op: GuestOp, state: string, args: string): Promise<RunnerResult> {
    if (this.#closed) return Promise.resolve(closedResult)
    if (!this.#sources.has(envKey)) return Promise.reject(new Error(`env ${envKey} is not registered with the sandbox`))
    if (this.#queue.length >= this.options.maxQueuedCalls) return Promise.reject(new CodeGymError('sandbox_busy', `the sandbox queue is full (${this.options.maxQueuedCalls} calls waiting)`))
    return new Promise((resolve) => {
      this.#queue.push({ message: { kind: 'call', id: this.#nextCallId++, envKey, op, state, args }, suspect: false, resolve })
      this.#pump()
    })
  }

  stats (): SandboxPoolStats {
    let callsInFlight = 0
    for (const worker of this.#workers) callsInFlight += worker?.inFlight.length ?? 0
    return {
      workers: this.#workers.length,
      queuedCalls: this.#queue.length,
      callsInFlight,
      workerRestarts: this.#workerRestarts,
      callsCompleted: this.#callsCompleted,
    }
  }

  /** Ends every sandbox process; calls still waiting resolve as sandbox_crashed. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#watchdog)
    const exits: Array<Promise<void>> = []
    for (const worker of this.#workers) {
      if (worker === undefined || worker.exited) continue
      exits.push(new Promise((resolve) => worker.child.once('close', () => resolve())))
      worker.child.kill('SIGKILL')
    }
    for (const call of [...this.#suspects.drain(), ...this.#queue.drain()]) call.resolve(closedResult)
    await Promise.all(exits)
  }

  #spawn (slot: number): Worker {
    const limits: SandboxLimits = {
      callTimeoutMs: this.options.callTimeoutMs,
      isolateMemoryLimitMb: this.options.isolateMemoryLimitMb,
      maxStateBytes: this.options.maxStateBytes,
      maxObservationBytes: this.options.maxObservationBytes,
      maxErrorChars: this.options.maxErrorChars,
      watchdogGraceMs: this.options.watchdogGraceMs,
    }
    const child = fork(workerEntry, [JSON.stringify(limits)], {
      serialization: 'advanced',
      // Local-time Date methods must not depend on the host's time zone.
      env: { ...process.env, TZ: 'UTC' },
      execArgv: [],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    })
    const worker: Worker = {
      slot,
      child,
      inFlight: [],
      outbox: [],
      sent: 0,
      loaded: new Set(),
      headStartedAt: 0,
      ready: false,
      killedByWatchdog: false,
      exited: false,
    }
    child.on('message', (message: FromSandbox) => this.#onMessage(worker, message))
    child.on('error', () => { /* reported through 'close'; a failed kill of a dead process is harmless */ })
    child.once('close', (code, signal) => this.#onClose(worker, code, signal))
    return worker
  }

  #onMessage (worker: Worker, message: FromSandbox): void {
    if (message.kind === 'ready') worker.ready = true
    else for (const reply of message.replies) this.#settle(worker, reply)
    this.#pump()
  }

  #settle (worker: Worker, reply: CallReply): void {
    const call = worker.inFlight.shift()
    if (call === undefined || call.message.id !== reply.id) {
      // The process answers in order; anything else means it cannot be trusted.
      worker.child.kill('SIGKILL')
      if (call !== undefined) worker.inFlight.unshift(call)
      return
    }
    this.#consecutiveCrashes = 0
    this.#callsCompleted++
    worker.sent--
    worker.headStartedAt = performance.now()
    call.resolve(reply.ok ? { ok: true, json: reply.json } : { ok: false, code: reply.code, message: reply.message })
  }

  #onClose (worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    worker.exited = true
    if (this.#closed) return
    const unanswered = worker.inFlight.splice(0)
    if (unanswered.length === 1 || unanswered[0]?.suspect === true) {
      // Alone on the process: it is the one that ran when the process died.
      unanswered[0]!.resolve(worker.killedByWatchdog
        ? { ok: false, code: 'timeout', message: `the call did not finish within ${this.options.callTimeoutMs + this.options.watchdogGraceMs} ms and its sandbox was restarted` }
        : { ok: false, code: 'sandbox_crashed', message: `the sandbox process running the call died (${signal ?? `exit code ${code}`})` })
    } else {
      for (const call of unanswered) {
        call.suspect = true
        this.#suspects.push(call)
      }
    }
    this.#consecutiveCrashes++
    if (this.#consecutiveCrashes > maxConsecutiveCrashes * this.options.workers) {
      this.#workers[worker.slot] = undefined
      if (this.#workers.every((w) => w === undefined)) {
        const outOfService: RunnerResult = { ok: false, code: 'sandbox_crashed', message: 'every sandbox process keeps dying; the sandbox is out of service' }
        for (const call of [...this.#suspects.drain(), ...this.#queue.drain()]) call.resolve(outOfService)
      }
    } else {
      this.#workerRestarts++
      this.#workers[worker.slot] = this.#spawn(worker.slot)
    }
    this.#pump()
  }

  #checkDeadlines (): void {
    const deadlineMs = this.options.callTimeoutMs + this.options.watchdogGraceMs
    const now = performance.now()
    // A late check means this process's event loop was busy (a burst of requests, a long GC):
    // answers may be waiting unread, so the time since is not the sandbox's. Seen: stepping
    // 100,000 episodes at once killed a healthy sandbox process. A stuck one is caught next time.
    const late = now - this.#lastCheckAt > 2 * this.#checkEveryMs
    this.#lastCheckAt = now
    if (late) return
    for (const worker of this.#workers) {
      if (worker === undefined || worker.exited || worker.killedByWatchdog || worker.inFlight.length === 0) continue
      if (now - worker.headStartedAt > deadlineMs) {
        worker.killedByWatchdog = true
        worker.child.kill('SIGKILL')
      }
    }
  }

  #pump (): void {
    while (this.#suspects.length > 0) {
      const worker = this.#idleWorker()
      if (worker === undefined) break
      this.#send(worker, this.#suspects.shift()!)
    }
    while (this.#queue.length > 0) {
      const worker = this.#leastLoaded()
      if (worker === undefined) break
      this.#send(worker, this.#queue.shift()!)
    }
    this.#scheduleFlush()
  }

  #send (worker: Worker, call: PendingCall): void {
    const { envKey } = call.message
    if (!worker.loaded.has(envKey)) {
      worker.outbox.push({ kind: 'load', envKey, source: this.#sources.get(envKey)! })
      worker.loaded.add(envKey)
    }
    worker.outbox.push(call.message)
    if (worker.inFlight.length === 0) worker.headStartedAt = Number.POSITIVE_INFINITY
    worker.inFlight.push(call)
  }

  #usable (worker: Worker | undefined): worker is Worker {
    return worker !== undefined && worker.ready && !worker.exited && !worker.killedByWatchdog
  }

  #idleWorker (): Worker | undefined {
    return this.#workers.find((worker): worker is Worker => this.#usable(worker) && worker.inFlight.length === 0)
  }

  #leastLoaded (): Worker | undefined {
    let best: Worker | undefined
    for (const worker of this.#workers) {
      if (!this.#usable(worker)) continue
      // A process running a suspect alone takes nothing else until it answers.
      if (worker.inFlight[0]?.suspect === true) continue
      if (worker.inFlight.length >= this.options.maxCallsInFlightPerWorker) continue
      if (best === undefined || worker.inFlight.length < best.inFlight.length) best = worker
    }
    return best
  }

  // Calls go to a process in batches: at once when it has nothing to do, otherwise once half a
  // batch has gathered. Sending whatever was ready at each turn of the event loop settled into
  // batches of one or two calls, each its own pipe write: a fifth of the host's main thread.
  #scheduleFlush (): void {
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    setImmediate(() => {
      this.#flushScheduled = false
      for (const worker of this.#workers) {
        if (worker === undefined || worker.outbox.length === 0 || worker.exited) continue
        const calls = worker.inFlight.length - worker.sent
        if (worker.sent > 0 && calls < this.#batchCalls) continue
        worker.child.send(worker.outbox.splice(0))
        worker.sent += calls
        if (worker.headStartedAt === Number.POSITIVE_INFINITY) worker.headStartedAt = performance.now()
      }
    })
  }

  /**
   * Calls that make a batch worth sending to a process that is still busy: an eighth of what a
   * process may hold, so several batches are on their way while it works through one. Measured
   * with codegym bench (4,096 sessions): batches sent every event-loop turn gave 23,000–28,000
   * steps/s; waiting for half of 64 calls 17,500; an eighth of 256, 38,000–41,000.
   */
  get #batchCalls (): number {
    return Math.max(1, Math.floor(this.options.maxCallsInFlightPerWorker / 8))
  }
}

const closedResult: RunnerResult = { ok: false, code: 'sandbox_crashed', message: 'the sandbox pool is closed' }
