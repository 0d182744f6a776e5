// The host side of the sandbox: a fixed set of sandbox processes, each with one isolate, and one
// quarantine process for env types on probation. Env state never lives in them, so killing one
// loses nothing that was committed, and running a call again gives the same answer.
//
// - Every process writes the id of the call it is running to its progress record (progress-record.ts):
//   when a process dies or stalls, the pool knows exactly which call was running. That call gets
//   the verdict; every other unanswered call runs again at once elsewhere.
// - A call that runs longer than stalledCallMs holds only its own process: the calls sent behind
//   it are taken back and run on other processes.
// - An env type whose call hit a limit or killed a process goes on probation: its calls run on the
//   quarantine process only, so it cannot stall or kill the processes other envs use.
// - A process that dies is replaced, after a delay that doubles while processes keep dying before
//   they answer anything (capped): the pool never gives up. A call waits for a process at most
//   maxQueueWaitMs and then fails with sandbox_busy (retryable), so every call is answered.
import { fork, type ChildProcess } from 'node:child_process'
import type { Socket } from 'node:net'
import { randomUUID } from 'node:crypto'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CodeGymError } from '../contract/errors.ts'
import { RateLimitedEvents, sandboxExitCauses, type SandboxEventSink, type SandboxExitCause } from './event-log.ts'
import { Fifo } from './fifo.ts'
import { defaultSandboxPoolOptions, type SandboxLimits, type SandboxPoolOptions } from './limits.ts'
import { sandboxExecArgv } from './process-flags.ts'
import type { RunnerResult } from './isolate-runner.ts'
import { ProgressExit, ProgressRecord, progressRecordDir } from './progress-record.ts'
import { channelFd, readFrames, writeFrame } from './channel.ts'
import { batchFields, readFromSandbox, type CallMessage, type CallReply, type GuestOp, type ToSandbox } from './protocol.ts'
import type { RollbackCode } from '../schemas/env.generated.ts'

const workerEntry = fileURLToPath(new URL('./worker-main.ts', import.meta.url))

/** A call that was unanswered on this many processes that died running other calls fails as sandbox_busy. */
const maxDeathsPerCall = 3
/** First delay of the restart backoff; it doubles with every process that dies before answering anything. */
const firstRestartBackoffMs = 100
/** How long a closing pool waits for a sandbox process to exit on its own before killing it. */
const closeGraceMs = 1000
/** How often resident memory is read, busy or idle. */
const rssCheckEveryMs = 1000

/**
 * Locale and time zone of every sandbox process: built-ins that read them (toLocaleString,
 * Date's local-time methods) must answer the same on every host.
 */
const fixedLocaleEnv = { TZ: 'UTC', LANG: 'C', LC_ALL: 'C' }

interface PendingCall {
  /** Its id is given when it is sent to a process, anew each time (see ProgressRecord.writeCancelBelow). */
  readonly message: CallMessage
  readonly enqueuedAt: number
  /** Processes that died while this call was unanswered on them, running another call. */
  deaths: number
  /** Processes that died of no known cause while running this call. */
  crashes: number
  settled: boolean
  readonly resolve: (result: RunnerResult) => void
  readonly reject: (error: Error) => void
}

interface Worker {
  readonly slot: Slot
  readonly child: ChildProcess
  /** Calls go out and answers come back on this socket (channel.ts), not on Node's IPC channel. */
  readonly channel: Socket
  readonly spawnedAt: number
  /** Calls sent or about to be sent and not answered, in the order the process runs them. */
  readonly inFlight: Map<number, PendingCall>
  readonly outbox: ToSandbox[]
  /** Calls in the outbox, not sent yet. */
  unsent: number
  readonly loaded: Set<string>
  readonly progressPath: string
  readonly progress: ProgressRecord
  /** The running call as last read from the progress record, and since when the host has seen it. */
  running: { id: number, since: number }
  /** Its running call passed stalledCallMs: it takes no calls until that one ends. */
  stalled: boolean
  answered: number
  ready: boolean
  killCause: SandboxExitCause | undefined
  exited: boolean
}

interface Slot {
  readonly index: number
  readonly quarantine: boolean
  worker: Worker | undefined
  /** Processes in a row that died in this slot before answering anything. */
  failures: number
  restartTimer: NodeJS.Timeout | undefined
}

export interface SandboxPoolStats {
  workers: number
  /** Regular sandbox processes that can take calls now. */
  processesReady: number
  queuedCalls: number
  callsInFlight: number
  /** Calls the watchdog last saw running (read from the progress records at its last check). */
  callsRunning: number
  workerRestarts: number
  callsCompleted: number
  /** Processes ended, by cause. */
  exits: Record<SandboxExitCause, number>
  /** Calls that waited maxQueueWaitMs for a process and failed with sandbox_busy. */
  callsExpired: number
  /** Calls taken back from a stalled process and run elsewhere. */
  callsDetached: number
  envsOnProbation: number
}

export interface SandboxPoolEvents {
  /** Restarts, kills and probations, one event each, at most 20 a minute. */
  onEvent?: SandboxEventSink
}

export class SandboxPool {
  readonly options: Readonly<SandboxPoolOptions>
  readonly #sources = new Map<string, string>()
  readonly #queue = new Fifo<PendingCall>()
  /** Calls of env types on probation, for the quarantine process. */
  readonly #quarantineQueue = new Fifo<PendingCall>()
  readonly #slots: Slot[]
  readonly #quarantineSlot: Slot
  /** The regular slots, then the quarantine slot: built once, walked on every flush and watchdog tick. */
  readonly #allSlots: readonly Slot[]
  /** envKey → when its probation ends (performance.now()). */
  readonly #probation = new Map<string, number>()
  readonly #events: RateLimitedEvents | undefined
  readonly #watchdog: NodeJS.Timeout
  readonly #checkEveryMs: number
  #lastRssCheckAt = 0
  #nextCallId = 1
  #flushScheduled = false
  #closed = false
  #workerRestarts = 0
  #callsCompleted = 0
  #callsExpired = 0
  #callsDetached = 0
  readonly #exits = Object.fromEntries(sandboxExitCauses.map((cause) => [cause, 0])) as Record<SandboxExitCause, number>

  constructor (options: Partial<SandboxPoolOptions> = {}, events: SandboxPoolEvents = {}) {
    this.options = Object.freeze({ ...defaultSandboxPoolOptions, ...options })
    if (!(this.options.workers >= 1)) throw new RangeError('a sandbox pool needs at least one worker')
    this.#events = events.onEvent === undefined ? undefined : new RateLimitedEvents(events.onEvent)
    this.#slots = Array.from({ length: this.options.workers }, (_, index) => ({ index, quarantine: false, worker: undefined, failures: 0, restartTimer: undefined }))
    this.#quarantineSlot = { index: this.options.workers, quarantine: true, worker: undefined, failures: 0, restartTimer: undefined }
    this.#allSlots = [...this.#slots, this.#quarantineSlot]
    for (const slot of this.#slots) this.#start(slot)
    const { stalledCallMs, watchdogGraceMs } = this.options
    this.#checkEveryMs = Math.max(10, Math.min(250, stalledCallMs / 2, watchdogGraceMs / 4))
    this.#watchdog = setInterval(() => this.#check(), this.#checkEveryMs)
    this.#watchdog.unref()
  }

  /** Makes an env type's source available to every sandbox process (sent before its first call there). */
  register (envKey: string, source: string): void {
    this.#sources.set(envKey, source)
    for (const slot of this.#allSlots) slot.worker?.loaded.delete(envKey)
  }

  /**
   * Runs one guest op. Never rejects for env misbehaviour: that is a failed RunnerResult. Rejects
   * with a CodeGymError 'sandbox_busy' when the call could not be run (queue full, or no process
   * took it within maxQueueWaitMs): nothing ran, so it may be retried.
   */
  call (envKey: string, op: GuestOp, state: string, args: string): Promise<RunnerResult> {
    if (this.#closed) return Promise.resolve(closedResult)
    if (!this.#sources.has(envKey)) return Promise.reject(new Error(`env ${envKey} is not registered with the sandbox`))
    if (this.#queue.length + this.#quarantineQueue.length >= this.options.maxQueuedCalls) {
      return Promise.reject(new CodeGymError('sandbox_busy', `the sandbox queue is full (${this.options.maxQueuedCalls} calls waiting)`))
    }
    return new Promise((resolve, reject) => {
      const call: PendingCall = { message: { kind: 'call', id: 0, envKey, op, state, args, single: false }, enqueuedAt: performance.now(), deaths: 0, crashes: 0, settled: false, resolve, reject }
      this.#queueFor(envKey).push(call)
      this.#pump()
    })
  }

  /** True while at least one regular sandbox process can take calls (what readiness reports). */
  get ready (): boolean {
    return this.#slots.some((slot) => this.#usable(slot.worker))
  }

  stats (): SandboxPoolStats {
    let callsInFlight = 0
    let callsRunning = 0
    for (const { worker } of this.#allSlots) {
      callsInFlight += worker?.inFlight.size ?? 0
      if (worker !== undefined && worker.inFlight.has(worker.running.id)) callsRunning++
    }
    const now = performance.now()
    return {
      workers: this.#slots.length,
      processesReady: this.#slots.filter((slot) => this.#usable(slot.worker)).length,
      queuedCalls: this.#queue.length + this.#quarantineQueue.length,
      callsInFlight,
      callsRunning,
      workerRestarts: this.#workerRestarts,
      callsCompleted: this.#callsCompleted,
      exits: { ...this.#exits },
      callsExpired: this.#callsExpired,
      callsDetached: this.#callsDetached,
      envsOnProbation: [...this.#probation.values()].filter((until) => until > now).length,
    }
  }

  /** Ends every sandbox process; calls not answered yet resolve as sandbox_crashed. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#watchdog)
    const exits: Array<Promise<void>> = []
    for (const slot of this.#allSlots) {
      clearTimeout(slot.restartTimer)
      const worker = slot.worker
      if (worker === undefined) continue
      for (const call of worker.inFlight.values()) this.#settle(call, closedResult)
      if (worker.exited) continue
      // A process whose channel ends exits on its own, so its exit hooks run (a CPU profile is
      // written, for one); one still busy after closeGraceMs is killed.
      exits.push(new Promise((resolve) => {
        const kill = setTimeout(() => worker.child.kill('SIGKILL'), closeGraceMs)
        worker.child.once('exit', () => {
          clearTimeout(kill)
          worker.channel.destroy()
          resolve()
        })
      }))
      worker.channel.end()
    }
    for (const call of [...this.#queue.drain(), ...this.#quarantineQueue.drain()]) this.#settle(call, closedResult)
    await Promise.all(exits)
  }

  #queueFor (envKey: string): Fifo<PendingCall> {
    const until = this.#probation.get(envKey)
    if (until === undefined) return this.#queue
    if (until > performance.now()) return this.#quarantineQueue
    this.#probation.delete(envKey)
    return this.#queue
  }

  #start (slot: Slot): void {
    slot.restartTimer = undefined
    if (this.#closed) return
    const limits: SandboxLimits = {
      callTimeoutMs: this.options.callTimeoutMs,
      callWallTimeoutMs: this.options.callWallTimeoutMs,
      isolateMemoryLimitMb: this.options.isolateMemoryLimitMb,
      maxStateBytes: this.options.maxStateBytes,
      maxObservationBytes: this.options.maxObservationBytes,
      maxErrorChars: this.options.maxErrorChars,
      watchdogGraceMs: this.options.watchdogGraceMs,
    }
    const progressPath = join(progressRecordDir(), `codegym-sandbox-${process.pid}-${randomUUID()}`)
    const env: NodeJS.ProcessEnv = {}
    for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('LC_') && name !== 'LANGUAGE') env[name] = value
    const child = fork(workerEntry, [JSON.stringify(limits), progressPath, String(this.options.stalledCallMs)], {
      env: { ...env, ...fixedLocaleEnv },
      execArgv: sandboxExecArgv(this.options),
      // fork needs Node's IPC channel; nothing is sent on it (the process exits when its channel ends).
      stdio: ['ignore', 'ignore', 'inherit', 'ipc', 'pipe'],
    })
    const channel = child.stdio[channelFd] as Socket
    const worker: Worker = {
      slot,
      child,
      channel,
      spawnedAt: performance.now(),
      inFlight: new Map(),
      outbox: [],
      unsent: 0,
      loaded: new Set(),
      progressPath,
      progress: new ProgressRecord(progressPath, true),
      running: { id: 0, since: 0 },
      stalled: false,
      answered: 0,
      ready: false,
      killCause: undefined,
      exited: false,
    }
    slot.worker = worker
    readFrames(channel, (fields) => {
      readFromSandbox(fields, () => this.#onReady(worker), (reply) => this.#onReply(worker, reply))
      this.#pump()
    })
    // A write to a process that died fails here; its death is handled on 'close'.
    channel.on('error', () => {})
    child.on('error', () => { /* reported through 'close'; a failed kill of a dead process is harmless */ })
    child.once('close', (code, signal) => this.#onClose(worker, code, signal))
  }

  #onReady (worker: Worker): void {
    worker.ready = true
    // Both sides hold the record open: its name is no longer needed, and nothing is left behind
    // if this process dies without closing the pool.
    rmSync(worker.progressPath, { force: true })
  }

  #onReply (worker: Worker, reply: CallReply): void {
    worker.answered++
    worker.slot.failures = 0
    const call = worker.inFlight.get(reply.id)
    // A call taken back from a stalled process was answered elsewhere, or will be.
    if (call === undefined) return
    worker.inFlight.delete(reply.id)
    if (worker.inFlight.size === 0) worker.stalled = false
    this.#callsCompleted++
    this.#settle(call, reply.ok ? { ok: true, json: reply.json } : { ok: false, code: reply.code, message: reply.message })
    if (!reply.ok && probationCodes.has(reply.code)) this.#putOnProbation(call.message.envKey, reply.code)
  }

  #settle (call: PendingCall, result: RunnerResult): void {
    if (call.settled) return
    call.settled = true
    call.resolve(result)
  }

  #putOnProbation (envKey: string, code: string): void {
    const until = performance.now() + this.options.envProbationMs
    const was = this.#probation.get(envKey)
    this.#probation.set(envKey, until)
    if (was === undefined || was < performance.now()) this.#events?.emit({ kind: 'env_probation', envKey, code, forMs: this.options.envProbationMs })
  }

  #kill (worker: Worker, cause: SandboxExitCause): void {
    if (worker.killCause !== undefined || worker.exited) return
    worker.killCause = cause
    worker.child.kill('SIGKILL')
  }

  #onClose (worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    worker.exited = true
    const progress = worker.progress.readRunning()
    worker.progress.close()
    rmSync(worker.progressPath, { force: true })
    if (this.#closed) return
    const cause: SandboxExitCause = worker.killCause ?? (progress.exit === ProgressExit.outOfMemory ? 'out_of_memory' : 'crashed')
    this.#exits[cause]++
    const unanswered = [...worker.inFlight.values()]
    worker.inFlight.clear()
    // A run of calls (one isolate entry) was running: any of them may be to blame. They run again,
    // each alone, so that a second failure names the call.
    const run = progress.count > 1 ? runStartingAt(unanswered, progress.callId, progress.count) : []
    for (const call of run) call.message.single = true
    const culprit = progress.callId === 0 || run.length > 0 ? undefined : unanswered.find((call) => call.message.id === progress.callId)
    let blamed: { envKey: string, op: string, code: string } | undefined
    let culpritRunsAgain = false
    if (culprit !== undefined && cause === 'crashed' && culprit.crashes === 0) {
      // No limit explains the death: the call may be innocent (the process was killed from
      // outside). It runs once more, on the quarantine process; a second crash is its own doing.
      culprit.crashes++
      culpritRunsAgain = true
      this.#putOnProbation(culprit.message.envKey, 'sandbox_crashed')
    } else if (culprit !== undefined) {
      const verdict = culpritVerdict(cause, this.options, signal ?? `exit code ${code}`)
      blamed = { envKey: culprit.message.envKey, op: culprit.message.op, code: verdict.code }
      this.#settle(culprit, verdict)
      this.#putOnProbation(culprit.message.envKey, verdict.code)
    }
    // The others did not run, or ran and their answers were lost with the process: run them again
    // at once, in order, ahead of newer calls.
    const rerun: PendingCall[] = []
    for (const call of unanswered) {
      if (call.settled) continue
      if (call === culprit) {
        if (culpritRunsAgain) rerun.push(call)
        continue
      }
      call.deaths++
      if (call.deaths >= maxDeathsPerCall) {
        call.settled = true
        call.reject(new CodeGymError('sandbox_busy', `the call was on ${call.deaths} sandbox processes that died running other calls; try again later`))
      } else {
        rerun.push(call)
      }
    }
    this.#requeueFront(rerun)

    const slot = worker.slot
    slot.worker = undefined
    if (worker.answered === 0) slot.failures++
    const restartInMs = slot.failures <= 1 ? 0 : Math.min(this.options.maxRestartBackoffMs, firstRestartBackoffMs * 2 ** (slot.failures - 2))
    this.#workerRestarts++
    this.#events?.emit({ kind: 'process_exit', slot: slot.index, quarantine: slot.quarantine, pid: worker.child.pid, cause, exit: signal ?? `exit code ${code}`, ...(blamed === undefined ? {} : { blamed }), callsRerun: rerun.length, restartInMs })
    if (restartInMs === 0) this.#start(slot)
    else slot.restartTimer = setTimeout(() => { this.#start(slot); this.#pump() }, restartInMs)
    this.#pump()
  }

  /** Queues calls again, ahead of newer ones. */
  #requeueFront (calls: readonly PendingCall[]): void {
    for (let i = calls.length - 1; i >= 0; i--) this.#queueFor(calls[i]!.message.envKey).unshift(calls[i]!)
  }

  // Runs on a timer, but judges nothing by the host's own timing: a process's progress is what it
  // wrote to its progress record, so a host event loop that lags neither kills a healthy process
  // (its record moved on) nor spares a stuck one (its record did not).
  #check (): void {
    const now = performance.now()
    this.#expireWaiting(now)
    const checkRss = now - this.#lastRssCheckAt >= rssCheckEveryMs
    if (checkRss) this.#lastRssCheckAt = now
    const hangMs = this.options.callWallTimeoutMs + this.options.watchdogGraceMs
    for (const slot of this.#allSlots) {
      const worker = slot.worker
      if (worker === undefined || worker.exited || worker.killCause !== undefined) continue
      if (!worker.ready) {
        if (now - worker.spawnedAt > this.options.sandboxStartTimeoutMs) this.#kill(worker, 'start_timeout')
        continue
      }
      if (checkRss && residentMb(worker.child.pid) > this.options.maxSandboxProcessRssMb) {
        this.#kill(worker, 'rss_limit')
        continue
      }
      if (worker.inFlight.size === 0 && worker.running.id === 0) continue
      const { callId, count } = worker.progress.readRunning()
      if (callId !== worker.running.id) {
        worker.running = { id: callId, since: now }
        worker.stalled = false
        continue
      }
      if (callId === 0) continue
      const runningMs = now - worker.running.since
      if (runningMs > hangMs) this.#kill(worker, 'wall_time_limit')
      else if (runningMs > this.options.stalledCallMs && !worker.stalled) this.#detachBehind(worker, callId, count)
    }
    this.#pump()
  }

  /**
   * Takes back every unanswered call of a stalled process but the running one, to run elsewhere.
   * A stalled run of calls is taken back whole, each call to run alone: which one stalls is not
   * known, and the one that does will stall alone next time (its copy here is left to finish or
   * to be killed at the wall-clock limit, its answer ignored).
   */
  #detachBehind (worker: Worker, runningId: number, runningCount: number): void {
    worker.stalled = true
    const unanswered = [...worker.inFlight.values()]
    const run = runningCount > 1 ? runStartingAt(unanswered, runningId, runningCount) : []
    for (const call of run) call.message.single = true
    const detached = unanswered.filter((call) => call.message.id !== runningId || run.length > 0)
    if (detached.length === 0) return
    const ids = new Set(detached.map((call) => call.message.id))
    for (const id of ids) worker.inFlight.delete(id)
    // The process skips what it was already sent of them; they run elsewhere under new ids.
    worker.progress.writeCancelBelow(this.#nextCallId)
    const kept = worker.outbox.filter((message) => message.kind !== 'call' || !ids.has(message.id))
    worker.unsent -= worker.outbox.length - kept.length
    worker.outbox.splice(0, worker.outbox.length, ...kept)
    this.#callsDetached += detached.length
    this.#requeueFront(detached)
  }

  #expireWaiting (now: number): void {
    let expired = 0
    for (const queue of [this.#queue, this.#quarantineQueue]) {
      for (;;) {
        const oldest = queue.shift()
        if (oldest === undefined) break
        if (oldest.settled) continue
        if (now - oldest.enqueuedAt <= this.options.maxQueueWaitMs) {
          queue.unshift(oldest)
          break
        }
        oldest.settled = true
        oldest.reject(new CodeGymError('sandbox_busy', `no sandbox process could take the call within ${this.options.maxQueueWaitMs} ms; try again later`))
        expired++
      }
    }
    if (expired > 0) {
      this.#callsExpired += expired
      this.#events?.emit({ kind: 'calls_expired', calls: expired, maxQueueWaitMs: this.options.maxQueueWaitMs })
    }
  }

  #pump (): void {
    while (this.#queue.length > 0) {
      const worker = this.#leastLoaded(this.#slots)
      if (worker === undefined) break
      this.#send(worker, this.#queue.shift()!)
    }
    if (this.#quarantineQueue.length > 0) {
      const slot = this.#quarantineSlot
      if (slot.worker === undefined && slot.restartTimer === undefined && !this.#closed) this.#start(slot)
      while (this.#quarantineQueue.length > 0) {
        const worker = this.#leastLoaded([slot])
        if (worker === undefined) break
        this.#send(worker, this.#quarantineQueue.shift()!)
      }
    }
    this.#scheduleFlush()
  }

  #send (worker: Worker, call: PendingCall): void {
    if (call.settled) return
    const { envKey } = call.message
    if (!worker.loaded.has(envKey)) {
      worker.outbox.push({ kind: 'load', envKey, source: this.#sources.get(envKey)! })
      worker.loaded.add(envKey)
    }
    // A new id at every send: a process skips the ids below its cancel mark, and a call taken back
    // from a stalled process may be sent to it again.
    call.message.id = this.#nextCallId++
    worker.outbox.push(call.message)
    worker.unsent++
    worker.inFlight.set(call.message.id, call)
  }

  #usable (worker: Worker | undefined): worker is Worker {
    return worker !== undefined && worker.ready && !worker.exited && worker.killCause === undefined
  }

  #leastLoaded (slots: readonly Slot[]): Worker | undefined {
    let best: Worker | undefined
    for (const { worker } of slots) {
      if (!this.#usable(worker) || worker.stalled) continue
      if (worker.inFlight.size >= this.options.maxCallsInFlightPerWorker) continue
      if (best === undefined || worker.inFlight.size < best.inFlight.size) best = worker
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
      for (const slot of this.#allSlots) {
        const worker = slot.worker
        if (worker === undefined || worker.outbox.length === 0 || worker.exited) continue
        const sentInFlight = worker.inFlight.size - worker.unsent
        if (sentInFlight > 0 && worker.unsent < this.#batchCalls) continue
        writeFrame(worker.channel, batchFields(worker.outbox.splice(0)))
        worker.unsent = 0
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

/** The calls of a run: count calls in the order they were sent, from the one with id first. */
function runStartingAt (calls: readonly PendingCall[], first: number, count: number): PendingCall[] {
  const start = calls.findIndex((call) => call.message.id === first)
  return start < 0 ? [] : calls.slice(start, start + count)
}

/** Rollback codes that put the call's env type on probation. */
const probationCodes: ReadonlySet<RollbackCode> = new Set<RollbackCode>(['cpu_time_limit', 'wall_time_limit', 'memory_limit', 'sandbox_crashed'])

function culpritVerdict (cause: SandboxExitCause, options: SandboxPoolOptions, exit: string): RunnerResult & { ok: false } {
  switch (cause) {
    case 'wall_time_limit':
      return { ok: false, code: 'wall_time_limit', message: `the call did not finish within the wall-clock limit of ${options.callWallTimeoutMs} ms and its sandbox was restarted` }
    case 'out_of_memory':
      return { ok: false, code: 'memory_limit', message: `the call ran the sandbox out of memory (limit ${options.isolateMemoryLimitMb} MB) and its sandbox was restarted` }
    case 'rss_limit':
      return { ok: false, code: 'memory_limit', message: `the sandbox process running the call went over ${options.maxSandboxProcessRssMb} MB of memory and was restarted` }
    default:
      return { ok: false, code: 'sandbox_crashed', message: `the call crashed its sandbox process twice (${exit}), with no limit to explain it` }
  }
}

/** Resident memory of a process in MiB from Linux /proc; 0 where that cannot be read. */
function residentMb (pid: number | undefined): number {
  if (pid === undefined || process.platform !== 'linux') return 0
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match === null ? 0 : Number(match[1]) / 1024
  } catch {
    return 0
  }
}

const closedResult: RunnerResult = { ok: false, code: 'sandbox_crashed', message: 'the sandbox pool is closed' }
