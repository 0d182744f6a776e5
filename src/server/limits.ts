// The server's limits: one table of named defaults, every one configurable and advertised in hello.
import type { SandboxPoolOptions } from '../sandbox/limits.ts'
import { envSchema } from '../schemas/validate.ts'
import type { Limits } from '../schemas/protocol.generated.ts'

/** The largest T_max a reset may ask for, as schemas/env.schema.json bounds ResetOptions.maxSteps. */
export const maxStepsCeiling = (envSchema as { $defs: { ResetOptions: { properties: { maxSteps: { maximum: number } } } } })
  .$defs.ResetOptions.properties.maxSteps.maximum

/** Limits of the wire protocol itself (the rest of Limits comes from the sandbox). */
export type ServerLimits = Omit<Limits, 'callTimeoutMs' | 'callWallTimeoutMs' | 'maxStateBytes' | 'maxObservationBytes'>

export const defaultServerLimits: Readonly<ServerLimits> = Object.freeze({
  maxFrameBytes: 1024 * 1024,
  // A 1 MiB frame of numbers is a few hundred thousand values; one of empty maps a million objects.
  maxFrameElements: 131_072,
  maxFrameStringBytes: 1024 * 1024,
  maxPendingRequests: 8192,
  maxSessionsPerConnection: 65_536,
  maxSessions: 200_000,
  maxBatchOps: 1024,
  maxConnections: 1024,
  // Connections before hello get their own small pool and short deadlines: however many a client
  // opens, they cost at most this many sockets (and frames of maxFrameBytes) and never a place
  // among maxConnections.
  maxUnauthenticatedConnections: 128,
  handshakeTimeoutMs: 5000,
  sessionIdleTtlMs: 15 * 60_000,
  resumeTtlMs: 60_000,
  helloTimeoutMs: 5000,
  maxSendBufferBytes: 8 * 1024 * 1024,
  maxServerSendBufferBytes: 256 * 1024 * 1024,
  maxSteps: maxStepsCeiling,
})

/** Refuses limits a server cannot honour (a T_max ceiling above the schema's bound). */
export function checkServerLimits (limits: Readonly<ServerLimits>): void {
  if (!Number.isSafeInteger(limits.maxSteps) || limits.maxSteps < 1 || limits.maxSteps > maxStepsCeiling) {
    throw new Error(`maxSteps must be a whole number from 1 to ${maxStepsCeiling}; got ${limits.maxSteps}`)
  }
}

/** What hello advertises: the protocol limits and the sandbox limits a client runs into. */
export function advertisedLimits (server: ServerLimits, sandbox: SandboxPoolOptions): Limits {
  return {
    ...server,
    callTimeoutMs: sandbox.callTimeoutMs,
    callWallTimeoutMs: sandbox.callWallTimeoutMs,
    maxStateBytes: sandbox.maxStateBytes,
    maxObservationBytes: sandbox.maxObservationBytes,
  }
}
