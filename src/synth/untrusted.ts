// Runs the untrusted code the pipeline itself calls (reference solutions, input generators) in the
// sandbox pool the env runtime uses: separate processes, one isolate each, a time limit per call
// checked from outside, a memory limit, plain-JSON results. The code is wrapped as an env module so
// that the pool's existing guest ops carry it: 'reset' computes answer(config) (the truth) and
// 'generate' calls generate(rng, difficulty) with the pool's seeded generator.
import { decodeGuestAnswer } from '../env/guest.ts'
import { SandboxPool } from '../sandbox/pool.ts'
import type { RollbackCode } from '../schemas/env.generated.ts'
import { defaultSynthSandbox } from './defaults.ts'

export type UntrustedResult = { ok: true, value: unknown } | { ok: false, code: RollbackCode, message: string }

export interface UntrustedLimits {
  callTimeoutMs: number
  isolateMemoryLimitMb: number
  workers: number
}

/** An env-shaped module whose answer(config) is the solution's entry function applied to config.input. */
export function solutionModule (source: string, entry: string): string {
  return [
    'const __codegymEntry = (function (module, exports) {',
    source,
    `;return typeof ${entry} === 'function' ? ${entry} : module.exports.${entry}`,
    '})({ exports: {} }, {})',
    `if (typeof __codegymEntry !== 'function') throw new Error('the solution defines no function ${entry}')`,
    'module.exports = {',
    '  reset () { return {} },',
    '  observe () { return null },',
    '  answer (config) { const output = __codegymEntry(config.input); return output === undefined ? null : output },',
    '}',
  ].join('\n')
}

/** An env-shaped module around an input generator: generate as it is, answer() = its edge cases. */
export function generatorModule (source: string): string {
  return [
    source,
    ';(function (user) {',
    "  if (typeof user.generate !== 'function') throw new Error('inputs.js exports no generate(rng, difficulty)')",
    '  module.exports = {',
    '    generate (rng, difficulty) { return user.generate(rng, difficulty) },',
    '    reset () { return {} },',
    '    observe () { return null },',
    "    answer () { return typeof user.edgeCases === 'function' ? user.edgeCases() : [] },",
    '  }',
    '})(module.exports)',
  ].join('\n')
}

export class UntrustedCode {
  readonly #pool: SandboxPool

  constructor (limits: Partial<UntrustedLimits> = {}) {
    this.#pool = new SandboxPool({ ...defaultSynthSandbox, ...limits })
  }

  register (key: string, moduleSource: string): void {
    this.#pool.register(key, moduleSource)
  }

  /** answer(config) of the module registered as key. */
  async answer (key: string, config: unknown): Promise<UntrustedResult> {
    const result = await this.#pool.call(key, 'reset', '', JSON.stringify({ config, seed: 0 }))
    if (!result.ok) return result
    const answer = decodeGuestAnswer(result.json)
    return answer.ok ? { ok: true, value: answer.truth } : answer
  }

  /** generate(rng, difficulty) of the module registered as key, with the generator seeded by seed. */
  async generate (key: string, seed: number, difficulty: string): Promise<UntrustedResult> {
    const result = await this.#pool.call(key, 'generate', '', JSON.stringify({ seed, difficulty }))
    if (!result.ok) return result
    const answer = decodeGuestAnswer(result.json)
    return answer.ok ? { ok: true, value: answer.config } : answer
  }

  close (): Promise<void> {
    return this.#pool.close()
  }
}
