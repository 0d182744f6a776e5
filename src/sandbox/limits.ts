import { availableParallelism } from 'node:os'

/** Limits of the sandbox. Every one is configurable; these are the defaults, with units in the names. */
export interface SandboxLimits {
  /**
   * CPU time one env call may use, measured as the CPU time of the sandbox thread that runs it (so
   * a busy machine does not make a healthy call fail); past it the call is stopped and rolled back
   * with cpu_time_limit.
   */
  callTimeoutMs: number
  /**
   * Wall-clock time one env call may take however little CPU it gets: generous, it catches hangs
   * (in native code, or a starved process); past it the call is rolled back with wall_time_limit.
   */
  callWallTimeoutMs: number
  /** Heap of one sandbox isolate; a call that exceeds it is rolled back and the isolate replaced. */
  isolateMemoryLimitMb: number
  /** Largest committed env state, as UTF-8 JSON. */
  maxStateBytes: number
  /** Largest observation one call may return, as UTF-8 JSON. */
  maxObservationBytes: number
  /** Env error messages are cut to this length. */
  maxErrorChars: number
  /** How long past callWallTimeoutMs the host waits for an answer before it kills the sandbox process. */
  watchdogGraceMs: number
}

export interface SandboxPoolOptions extends SandboxLimits {
  /** Sandbox processes, each with one isolate on its own thread. */
  workers: number
  /**
   * Calls handed to one sandbox process before it has answered; more wait in the pool's queue.
   * A call that hangs delays the calls handed out behind it by up to callTimeoutMs (they are not
   * lost), so this trades that delay against batching.
   */
  maxCallsInFlightPerWorker: number
  /** Calls waiting for a sandbox process; past this, call() rejects with a CodeGymError 'sandbox_busy'. */
  maxQueuedCalls: number
  /** Longest a call waits for a sandbox process to take it; past it, it rejects with 'sandbox_busy'. */
  maxQueueWaitMs: number
  /**
   * A call that runs this long holds its process: the calls sent behind it are taken back and run
   * on other processes, so they do not wait for it.
   */
  stalledCallMs: number
  /** An env type whose call hit a limit or killed its process runs on the quarantine process for this long. */
  envProbationMs: number
  /** Resident memory of one sandbox process (checked busy or idle); past it the process is killed. */
  maxSandboxProcessRssMb: number
  /** V8 old-space limit of a sandbox process's own heap (its isolate has isolateMemoryLimitMb). */
  sandboxProcessHeapMb: number
  /**
   * Cap on one V8 semi-space of a sandbox process's own heap, in MiB (0: V8's default, up to 64
   * MiB under allocation pressure); its isolate's heap is sized by isolateMemoryLimitMb.
   */
  sandboxProcessSemiSpaceMb: number
  /** A sandbox process that dies before answering anything is restarted after a delay that doubles up to this. */
  maxRestartBackoffMs: number
  /** A sandbox process that is not ready this long after it was started is killed and started again. */
  sandboxStartTimeoutMs: number
}

export const defaultSandboxLimits: Readonly<SandboxLimits> = Object.freeze({
  callTimeoutMs: 250,
  callWallTimeoutMs: 5000,
  isolateMemoryLimitMb: 128,
  // Small enough that a snapshot of the largest state fits in one protocol frame (maxFrameBytes).
  maxStateBytes: 256 * 1024,
  maxObservationBytes: 64 * 1024,
  maxErrorChars: 1000,
  watchdogGraceMs: 1000,
})

export const defaultSandboxPoolOptions: Readonly<SandboxPoolOptions> = Object.freeze({
  ...defaultSandboxLimits,
  workers: availableParallelism(),
  maxCallsInFlightPerWorker: 256,
  maxQueuedCalls: 100_000,
  maxQueueWaitMs: 15_000,
  stalledCallMs: 50,
  envProbationMs: 60_000,
  maxSandboxProcessRssMb: 1024,
  sandboxProcessHeapMb: 256,
  sandboxProcessSemiSpaceMb: 4,
  maxRestartBackoffMs: 10_000,
  sandboxStartTimeoutMs: 30_000,
})

/** Cuts a text that leaves the sandbox to a limit, saying that it was cut. */
export function clipText (text: string, maxChars: number): string {
  return text.length > maxChars ? text.slice(0, maxChars) + '...' : text
}
