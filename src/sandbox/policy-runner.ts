// Runs a tool-using policy (an env's oracle solver) in its own isolate, one episode at a time.
// Used by the env checker and tests, not by the server, so it runs in the calling process.
import ivm from 'isolated-vm'
import { compileBootstrap, installGuest, runWithCpuLimit } from './isolate-runner.ts'
import { defaultSandboxLimits, type SandboxLimits } from './limits.ts'

type Advance = (inputJson: string) => string

/** What the policy wants next. */
export type PolicyMove = { action: unknown } | { finished: true } | { error: string }

export class PolicySandbox {
  readonly #isolate: ivm.Isolate
  readonly #limits: SandboxLimits
  readonly #advance: ivm.Reference<Advance>

  constructor (policySource: string, limits: SandboxLimits = defaultSandboxLimits) {
    this.#limits = limits
    this.#isolate = new ivm.Isolate({ memoryLimit: limits.isolateMemoryLimitMb })
    const context = this.#isolate.createContextSync()
    this.#advance = installGuest<Advance>(compileBootstrap(this.#isolate), context, 'installPolicy', policySource, limits)
  }

  /** Starts a new episode of the policy from the reset result. */
  start (reset: unknown): PolicyMove {
    return this.#call({ start: reset })
  }

  /** Hands the policy the result of its last action. */
  next (result: unknown): PolicyMove {
    return this.#call({ result })
  }

  dispose (): void {
    if (!this.#isolate.isDisposed) this.#isolate.dispose()
  }

  #call (input: object): PolicyMove {
    const inputJson = JSON.stringify(input)
    const outcome = runWithCpuLimit(this.#isolate, this.#limits, (timeout) => this.#advance.applySync(undefined, [inputJson], { timeout }) as string)
    if (outcome.ok) return JSON.parse(outcome.value) as PolicyMove
    const message = 'error' in outcome ? (outcome.error as Error).message : outcome.message
    return { error: `the policy failed: ${message}` }
  }
}
