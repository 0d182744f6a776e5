// Typed access to the env module running in the sandbox.
import { CodeGymError } from '../errors.ts'
import type { SandboxPool } from '../sandbox/pool.ts'
import type { GuestOp } from '../sandbox/protocol.ts'
import type { JsonObject, JsonValue, RollbackCode } from '../schemas/env.generated.ts'
import type { EnvSpec } from './package.ts'

/** Fields a guest op may answer with (see src/sandbox/guest/bootstrap.js). */
export interface GuestAnswer {
  ok: true
  /** New committed state (reset, tool). */
  state?: string
  observation?: JsonValue
  /** Generated config (generate). */
  config?: JsonObject
  /** Reference answer (reset). */
  truth?: JsonValue
  /** Verdict on a submitted answer (check). */
  correct?: boolean
}

export type GuestResult = GuestAnswer | { ok: false, code: RollbackCode, message: string }

export type GuestCaller = (spec: EnvSpec, op: GuestOp, state: string, args: object) => Promise<GuestResult>

export function guestCaller (pool: SandboxPool): GuestCaller {
  return async (spec, op, state, args) => {
    const result = await pool.call(spec.manifest.id, op, state, JSON.stringify(args))
    return result.ok ? JSON.parse(result.json) as GuestResult : result
  }
}

/**
 * The runtime error for a guest op that failed outside a step (generate, reset, observe): a dead
 * sandbox process is worth a retry (sandbox_crashed); anything else the env did repeats (env_error).
 */
export function guestFailure (what: string, failure: { code: RollbackCode, message: string }): CodeGymError {
  return failure.code === 'sandbox_crashed'
    ? new CodeGymError('sandbox_crashed', `${what} failed: ${failure.message}`)
    : new CodeGymError('env_error', `${what} failed (${failure.code}): ${failure.message}`)
}
