// Typed access to the env module running in the sandbox.
import { CodeGymError } from '../contract/errors.ts'
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
 * The runtime error for a guest op that failed outside a step (generate, reset, observe). Every
 * failure the sandbox reports repeats when the call runs again (a busy machine or another env's
 * crash shows as a sandbox_busy rejection instead), so the env is faulty: env_error.
 */
export function guestFailure (what: string, failure: { code: RollbackCode, message: string }): CodeGymError {
  return new CodeGymError('env_error', `${what} failed: ${failure.message}`)
}
