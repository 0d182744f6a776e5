// What a load phase costs the processes that answer it, read from Linux /proc over exactly the
// generators' measured window (they say when it starts and ends; see generator.ts):
//   - CPU time per response of a server's main process, of its sandbox processes (all its
//     descendants) and in total; of the echo server the same way
//   - the RSS of a server's process tree before, at its peak and at the end of a phase
import type { PhaseResult } from './report.ts'
import { processTreeUsageByRole } from './processes.ts'

/** CPU time per response of one process tree over the measured window. */
export interface CpuPerResponse {
  /** The process itself: codegym-serve's main process, or the echo server. */
  mainMicros: number
  /** Its descendants: codegym-serve's sandbox processes (0 for the echo server). */
  sandboxMicros: number
  totalMicros: number
  /** The same CPU time as a share of one core over the window: 100 is one core busy. */
  percentOfCore: { main: number, sandbox: number, total: number }
  windowSeconds: number
  processes: number
  /** RSS of the whole tree at the end of the window. */
  rssBytes: number
}

const round = (value: number, digits = 2): number => Number(value.toFixed(digits))

interface Reading { at: number, main: number, sandbox: number, processes: number, rssBytes: number }

function read (pid: number): Reading {
  const usage = processTreeUsageByRole(pid)
  return {
    at: performance.now(),
    main: usage.main.cpuSeconds,
    sandbox: usage.descendants.cpuSeconds,
    processes: usage.main.processes + usage.descendants.processes,
    rssBytes: usage.main.rssBytes + usage.descendants.rssBytes,
  }
}

/** Reads a process tree's CPU time at the window's start and end; `result` divides by the responses. */
export class CpuWindow {
  readonly #pid: number
  #start: Reading | undefined
  #end: Reading | undefined

  constructor (pid: number) {
    this.#pid = pid
  }

  start (): void { this.#start = read(this.#pid) }
  end (): void { this.#end = read(this.#pid) }

  result (responses: number): CpuPerResponse {
    if (this.#start === undefined || this.#end === undefined) throw new Error('the generators never reported their measured window')
    if (responses === 0) throw new Error('no responses in the measured window')
    const main = this.#end.main - this.#start.main
    const sandbox = this.#end.sandbox - this.#start.sandbox
    const windowSeconds = (this.#end.at - this.#start.at) / 1000
    const perResponse = (seconds: number): number => round((seconds * 1e6) / responses)
    const percent = (seconds: number): number => round((seconds / windowSeconds) * 100, 1)
    return {
      mainMicros: perResponse(main),
      sandboxMicros: perResponse(sandbox),
      totalMicros: perResponse(main + sandbox),
      percentOfCore: { main: percent(main), sandbox: percent(sandbox), total: percent(main + sandbox) },
      windowSeconds: round(windowSeconds, 3),
      processes: this.#end.processes,
      rssBytes: this.#end.rssBytes,
    }
  }
}

/** A phase's result with the CPU per response of the process tree that answered it. */
export type MeasuredPhase = PhaseResult & { cpu?: CpuPerResponse }

/** RSS of a process tree sampled every `intervalMs` while a phase runs, for memory per active session. */
export class RssSampler {
  readonly #pid: number
  readonly #timer: NodeJS.Timeout
  readonly beforeBytes: number
  peakBytes: number
  lastBytes: number
  samples = 0
  #stopped = false

  constructor (pid: number, intervalMs: number) {
    this.#pid = pid
    this.beforeBytes = this.#read()
    this.peakBytes = this.lastBytes = this.beforeBytes
    this.#timer = setInterval(() => this.sample(), intervalMs)
  }

  #read (): number {
    const usage = processTreeUsageByRole(this.#pid)
    return usage.main.rssBytes + usage.descendants.rssBytes
  }

  sample (): void {
    this.lastBytes = this.#read()
    this.peakBytes = Math.max(this.peakBytes, this.lastBytes)
    this.samples++
  }

  /** Takes a last sample (the end of the phase) and stops sampling; later calls do nothing. */
  stop (): void {
    if (this.#stopped) return
    this.#stopped = true
    this.sample()
    clearInterval(this.#timer)
  }
}
