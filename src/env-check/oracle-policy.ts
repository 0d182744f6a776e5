// An env's own oracle.js as a policy, for the checker and `codegym play`.
import { CodeGymError } from '../contract/errors.ts'
import type { EnvSpec } from '../env/package.ts'
import { PolicySandbox } from '../sandbox/policy-runner.ts'

/** The env's oracle.js in its own isolate; dispose it when done. */
export function oraclePolicy (spec: EnvSpec): PolicySandbox {
  if (spec.oracleSource === undefined) throw new CodeGymError('env_error', `${spec.manifest.id} has no oracle.js`)
  return new PolicySandbox(spec.oracleSource)
}
