// One isolated-vm isolate with one frozen context per env type. Calls are synchronous: the process
// that owns a runner does nothing else, and the pool watches it from outside.
import { readFileSync } from 'node:fs'
import ivm from 'isolated-vm'
import { clipText, type SandboxLimits } from './limits.ts'
import type { GuestOp } from './protocol.ts'
import type { RollbackCode } from '../schemas/env.generated.ts'

const bootstrapSource = readFileSync(new URL('./guest/bootstrap.js', import.meta.url), 'utf8')

export function compileBootstrap (isolate: ivm.Isolate): ivm.Script {
  return isolate.compileScriptSync(bootstrapSource, { filename: 'codegym:bootstrap.js' })
}

/**
 * The bootstrap (freezing every intrinsic) and install (compiling the env source) run no env code,
 * yet took over 250 ms, the default call limit, on a loaded machine: they get their own limit.
 */
const installTimeoutMs = 5000

/** Runs the bootstrap in a fresh context and installs a module with one of its entry points. */
export function installGuest<F> (bootstrap: ivm.Script, context: ivm.Context, entry: 'install' | 'installPolicy', source: string, limits: SandboxLimits): ivm.Reference<F> {
  const timeout = Math.max(limits.callWallTimeoutMs, installTimeoutMs)
  const guest = bootstrap.runSync(context, { reference: true, timeout }) as ivm.Reference<Record<string, unknown>>
  const installer = guest.getSync(entry, { reference: true }) as ivm.Reference<(source: string, limits: string) => F>
  const guestLimits = JSON.stringify({
    maxStateBytes: limits.maxStateBytes,
    maxObservationBytes: limits.maxObservationBytes,
    maxErrorChars: limits.maxErrorChars,
  })
  try {
    return installer.applySync(undefined, [source, guestLimits], { timeout, result: { reference: true } }) as ivm.Reference<F>
  } finally {
    installer.release()
    guest.release()
  }
}

const isTimeout = (error: unknown): boolean => error instanceof Error && /timed out/i.test(error.message)

/** Separators of a run of calls (see callMany and the guest's dispatch): JSON text never holds them. */
const callSeparator = '\u001e'
const fieldSeparator = '\u001f'

/** The wall-clock limit of a call's first, unmeasured attempt: a little over its CPU-time limit. */
function firstAttemptMs (limits: Pick<SandboxLimits, 'callTimeoutMs'>): number {
  return limits.callTimeoutMs + Math.max(5, limits.callTimeoutMs / 10)
}

/** CPU time of this thread in microseconds: a synchronous isolated-vm call runs on the calling thread. */
const threadCpuMicros = (): number => {
  const usage = process.threadCpuUsage()
  return usage.user + usage.system
}

/**
 * isolated-vm keeps the timer of every call with a timeout in one queue until its time comes, ended
 * call or not, and a thread of its own wakes for it: with deadlines one call apart, that thread woke
 * for every call and contended with the calling thread (measured on a 2-core machine: about 3 µs of
 * CPU per call, a quarter of a small tool call). A first attempt's timeout therefore ends on a grid of
 * this many milliseconds, so that the timers of one grid step go together: that attempt, which is
 * not measured, may run up to this much longer; the CPU limit, measured on the attempts after it,
 * and the wall-clock limit are unchanged.
 */
const firstAttemptGridMs = 10

/**
 * Runs a synchronous isolate call under a CPU-time limit. isolated-vm's timeout is wall-clock time,
 * and its isolate.cpuTime counts the time the isolate was running, starved or not (seen here: 550
 * "CPU" ms for a loop that got 20 ms of CPU on a loaded machine). So: a first attempt runs under a
 * wall-clock timeout a little over the CPU limit (see firstAttemptGridMs) and is not measured
 * (nothing is added to the calls that finish, nearly all). Guest calls have no effect outside
 * their result, so a call that was stopped runs again, measured with this thread's own CPU time,
 * under a wall-clock timeout that doubles each time, until one attempt has used the CPU limit
 * (cpu_time_limit), the call finishes, or callWallTimeoutMs has passed (wall_time_limit).
 */
export function runWithCpuLimit<T> (isolate: ivm.Isolate, limits: Pick<SandboxLimits, 'callTimeoutMs' | 'callWallTimeoutMs'>, attempt: (timeoutMs: number) => T):
  { ok: true, value: T } | { ok: false, error: unknown } | { ok: false, code: 'cpu_time_limit' | 'wall_time_limit', message: string } {
  const cpuLimitMicros = limits.callTimeoutMs * 1000
  const startedMs = performance.now()
  const wallDeadline = startedMs + limits.callWallTimeoutMs
  const firstMs = firstAttemptMs(limits)
  const firstAttemptOnGridMs = firstMs + firstAttemptGridMs - (startedMs % firstAttemptGridMs)
  let attemptMs = firstMs
  for (let attempts = 0; ; attempts++) {
    const cpuBefore = attempts === 0 ? 0 : threadCpuMicros()
    try {
      return { ok: true, value: attempt(Math.max(1, Math.ceil(attempts === 0 ? firstAttemptOnGridMs : attemptMs))) }
    } catch (error) {
      if (isolate.isDisposed || !isTimeout(error)) return { ok: false, error }
      if (attempts > 0) {
        if (threadCpuMicros() - cpuBefore >= cpuLimitMicros) {
          return { ok: false, code: 'cpu_time_limit', message: `the call used more than its CPU time limit of ${limits.callTimeoutMs} ms` }
        }
        attemptMs *= 2
      }
      const leftMs = wallDeadline - performance.now()
      if (leftMs <= 0) return { ok: false, code: 'wall_time_limit', message: `the call did not finish within the wall-clock limit of ${limits.callWallTimeoutMs} ms` }
      attemptMs = Math.min(leftMs, attemptMs)
    }
  }
}

type Dispatch = (op: GuestOp | 'many', state: string, args: string) => string

/** The guest's answer text (read by decodeGuestAnswer in src/env/guest.ts), or a failure seen from outside the guest. */
export type RunnerResult = { ok: true, json: string } | { ok: false, code: RollbackCode, message: string }

export interface IsolateRunnerEvents {
  /** The isolate could not be contained (V8 out of memory outside the limit): the process must end. */
  onCatastrophicError?: (message: string) => void
}

export class IsolateRunner {
  readonly #limits: SandboxLimits
  readonly #events: IsolateRunnerEvents
  readonly #sources = new Map<string, string>()
  readonly #dispatchers = new Map<string, ivm.Reference<Dispatch>>()
  #isolate: ivm.Isolate
  #bootstrap: ivm.Script
  /** Isolates created so far, the first included. */
  isolatesCreated = 0

  constructor (limits: SandboxLimits, events: IsolateRunnerEvents = {}) {
    this.#limits = limits
    this.#events = events
    ;({ isolate: this.#isolate, bootstrap: this.#bootstrap } = this.#createIsolate())
  }

  /** Registers an env type's source. Compilation happens on first use, in every new isolate. */
  load (envKey: string, source: string): void {
    if (this.#sources.get(envKey) === source) return
    this.#sources.set(envKey, source)
    this.#dispatchers.get(envKey)?.release()
    this.#dispatchers.delete(envKey)
  }

  call (envKey: string, op: GuestOp, state: string, args: string): RunnerResult {
    let dispatch: ivm.Reference<Dispatch>
    try {
      dispatch = this.#dispatcher(envKey)
    } catch (error) {
      return this.#failure(error, `env ${envKey} failed to load`)
    }
    const outcome = runWithCpuLimit(this.#isolate, this.#limits, (timeout) => dispatch.applySync(undefined, [op, state, args], { timeout }) as string)
    if (outcome.ok) return { ok: true, json: outcome.value }
    if ('error' in outcome) return this.#failure(outcome.error, 'the call failed')
    return outcome
  }

  /**
   * Runs calls of one env type in one entry into the isolate (op 'many' of the guest's dispatch):
   * the entry costs more than a small call itself. Their answers, in order; undefined when the run
   * did not finish within one call's first time limit, ran out of memory or failed in any other way:
   * then each call must run alone (call), where a limit blames the call that reached it. Guest calls
   * have no effect outside their answers, so running them again alone changes nothing.
   */
  callMany (envKey: string, calls: ReadonlyArray<{ op: GuestOp, state: string, args: string }>): RunnerResult[] | undefined {
    let dispatch: ivm.Reference<Dispatch>
    try {
      dispatch = this.#dispatcher(envKey)
    } catch {
      return undefined
    }
    let joined = ''
    for (let i = 0; i < calls.length; i++) {
      const call = calls[i]!
      joined += (i === 0 ? '' : callSeparator) + call.op + fieldSeparator + call.state + fieldSeparator + call.args
    }
    try {
      const answers = (dispatch.applySync(undefined, ['many', '', joined], { timeout: firstAttemptMs(this.#limits) }) as string).split(callSeparator)
      if (answers.length !== calls.length) return undefined
      return answers.map((json) => ({ ok: true, json }))
    } catch {
      if (this.#isolate.isDisposed) this.#replaceIsolate()
      return undefined
    }
  }

  heapUsedBytes (): number {
    return this.#isolate.isDisposed ? 0 : this.#isolate.getHeapStatisticsSync().used_heap_size
  }

  dispose (): void {
    if (!this.#isolate.isDisposed) this.#isolate.dispose()
  }

  #failure (error: unknown, context: string): RunnerResult {
    const message = error instanceof Error ? error.message : String(error)
    if (this.#isolate.isDisposed) {
      this.#replaceIsolate()
      return { ok: false, code: 'memory_limit', message: `the call exceeded the sandbox memory limit of ${this.#limits.isolateMemoryLimitMb} MB` }
    }
    if (isTimeout(error)) {
      return { ok: false, code: 'cpu_time_limit', message: `${context}: it ran past the time limit of ${this.#limits.callTimeoutMs} ms` }
    }
    return { ok: false, code: 'tool_error', message: clipText(`${context}: ${message}`, this.#limits.maxErrorChars) }
  }

  #createIsolate (): { isolate: ivm.Isolate, bootstrap: ivm.Script } {
    const isolate = new ivm.Isolate({
      memoryLimit: this.#limits.isolateMemoryLimitMb,
      onCatastrophicError: (message: string) => this.#events.onCatastrophicError?.(message),
    })
    this.isolatesCreated++
    return { isolate, bootstrap: compileBootstrap(isolate) }
  }

  #replaceIsolate (): void {
    this.#dispatchers.clear()
    ;({ isolate: this.#isolate, bootstrap: this.#bootstrap } = this.#createIsolate())
  }

  #dispatcher (envKey: string): ivm.Reference<Dispatch> {
    const existing = this.#dispatchers.get(envKey)
    if (existing !== undefined) return existing
    const source = this.#sources.get(envKey)
    if (source === undefined) throw new Error(`env ${envKey} was never loaded into this sandbox`)
    const context = this.#isolate.createContextSync()
    const dispatch = installGuest<Dispatch>(this.#bootstrap, context, 'install', source, this.#limits)
    this.#dispatchers.set(envKey, dispatch)
    return dispatch
  }
}
