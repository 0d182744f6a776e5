// The server's limits: one table of named defaults, every one configurable and advertised in hello.
import type { SandboxPoolOptions } from '../sandbox/limits.ts'
import { envSchema } from '../schemas/validate.ts'
import type { Limits } from '../schemas/protocol.generated.ts'

/** The largest T_max a reset may ask for, as schemas/env.schema.json bounds ResetOptions.maxSteps. */
export const maxStepsCeiling = (envSchema as { $defs: { ResetOptions: { properties: { maxSteps: { maximum: number } } } } })
  .$defs.ResetOptions.properties.maxSteps.maximum

/** Limits of the wire protocol itself (the rest of Limits comes from the sandbox). */
export type ServerLimits = Omit<Limits, 'callTimeoutMs' | 'callWallTimeoutMs' | 'maxStateBytes' | 'maxObservationBytes' | 'maxSteps'>

export const defaultServerLimits: Readonly<ServerLimits> = Object.freeze({
  maxFrameBytes: 1024 * 1024,
  maxPendingRequests: 8192,
  maxSessionsPerConnection: 65_536,
  maxSessions: 200_000,
  maxBatchOps: 1024,
  maxConnections: 1024,
  sessionIdleTtlMs: 15 * 60_000,
  resumeTtlMs: 60_000,
  helloTimeoutMs: 10_000,
  maxSendBufferBytes: 8 * 1024 * 1024,
})

/** What hello advertises: the protocol limits and the sandbox limits a client runs into. */
export function advertisedLimits (server: ServerLimits, sandbox: SandboxPoolOptions): Limits {
  return {
    ...server,
    callTimeoutMs: sandbox.callTimeoutMs,
    callWallTimeoutMs: sandbox.callWallTimeoutMs,
    maxStateBytes: sandbox.maxStateBytes,
    maxObservationBytes: sandbox.maxObservationBytes,
    maxSteps: maxStepsCeiling,
  }
}
