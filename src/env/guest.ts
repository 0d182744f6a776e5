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
    return result.ok ? decodeGuestAnswer(result.json) : result
  }
}

/** Starts each field of a guest's success answer (see dispatch in src/sandbox/guest/bootstrap.js). */
const fieldMark = '\u0001'
const fieldMarkCode = 1

/**
 * Reads a guest answer: a failure as JSON text, or a success as fields, each the mark, a name, '='
 * and JSON text. The state is kept as the guest's text; the other fields are parsed once.
 */
export function decodeGuestAnswer (text: string): GuestResult {
  if (text.charCodeAt(0) !== fieldMarkCode) return JSON.parse(text) as GuestResult
  const answer: GuestAnswer = { ok: true }
  let start = 1
  while (start < text.length) {
    const equals = text.indexOf('=', start)
    let end = text.indexOf(fieldMark, equals)
    if (end === -1) end = text.length
    if (equals === -1 || equals > end) throw new Error(`a guest answer field without a value: ${JSON.stringify(text.slice(start, end))}`)
    const name = text.slice(start, equals)
    const value = text.slice(equals + 1, end)
    switch (name) {
      case 'state': answer.state = detached(value); break
      case 'observation': answer.observation = JSON.parse(value) as JsonValue; break
      case 'truth': answer.truth = JSON.parse(value) as JsonValue; break
      case 'config': answer.config = JSON.parse(value) as JsonObject; break
      case 'correct': answer.correct = value === 'true'; break
      default: throw new Error(`a guest answer with an unknown field ${JSON.stringify(name)}`)
    }
    start = end + 1
  }
  return answer
}

/**
 * The same text, not holding on to the answer it was cut from. V8 keeps a slice of a string as a
 * view of the whole: an episode keeping its state as a slice would keep the whole answer it came in
 * (observation, truth) for as long as the state lives. Slicing a concatenation copies the text once.
 */
function detached (slice: string): string {
  return (slice + '\0').slice(0, -1)
}

/**
 * The runtime error for a guest op that failed outside a step (generate, reset, observe). Every
 * failure the sandbox reports repeats when the call runs again (a busy machine or another env's
 * crash shows as a sandbox_busy rejection instead), so the env is faulty: env_error.
 */
export function guestFailure (what: string, failure: { code: RollbackCode, message: string }): CodeGymError {
  return new CodeGymError('env_error', `${what} failed: ${failure.message}`)
}
