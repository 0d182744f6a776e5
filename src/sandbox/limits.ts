import { availableParallelism } from 'node:os'

/** Limits of the sandbox. Every one is configurable; these are the defaults, with units in the names. */
export interface SandboxLimits {
  /** Time one env call may run, by the wall clock (isolated-vm's timeout), before it is stopped and rolled back. */
  callTimeoutMs: number
  /** Heap of one sandbox isolate; a call that exceeds it is rolled back and the isolate replaced. */
  isolateMemoryLimitMb: number
  /** Largest committed env state, as UTF-8 JSON. */
  maxStateBytes: number
  /** Largest observation one call may return, as UTF-8 JSON. */
  maxObservationBytes: number
  /** Env error messages are cut to this length. */
  maxErrorChars: number
  /** How long past callTimeoutMs the host waits for an answer before it kills the sandbox process. */
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
}

export const defaultSandboxLimits: Readonly<SandboxLimits> = Object.freeze({
  callTimeoutMs: 250,
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
})
