// The in-process episode runtime: env registry + sandbox pool. No network involved.
import { randomInt } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { CodeGymError, EnvLoadError } from '../contract/errors.ts'
import { SandboxPool } from '../sandbox/pool.ts'
import type { SandboxPoolOptions } from '../sandbox/limits.ts'
import type { SandboxEventSink } from '../sandbox/event-log.ts'
import { validateResetOptions } from '../schemas/validate.ts'
import type { JsonObject, ResetOptions, ResetResult, Snapshot } from '../schemas/env.generated.ts'
import { Episode } from './episode.ts'
import { guestCaller, guestFailure, type GuestCaller } from './guest.ts'
import { findEnvPackages, loadEnvPackage, type EnvSpec } from './package.ts'
import { decodeSnapshot, snapshotContent } from './snapshot.ts'
import { processSnapshotKeys, type SnapshotKeys } from './snapshot-keys.ts'
import { renderStatement } from './statement.ts'

/** The envs that ship with CodeGym-TS. */
export const bundledEnvsDir = fileURLToPath(new URL('../../envs/', import.meta.url))

/**
 * Seeds drawn when a reset names none fit in 48 bits, so they survive any JSON or MessagePack peer.
 * randomInt(max) draws from [0, max) and refuses a max above 2^48 - 1, so 2^48 itself would throw.
 */
const maxDrawnSeed = 2 ** 48 - 1

export interface RuntimeOptions {
  /** Folders of env packages; each may also be one package itself. Default: the bundled envs. */
  envDirs?: readonly string[]
  sandbox?: Partial<SandboxPoolOptions>
  /** Keys that sign and verify snapshots. Default: this process's random key (processSnapshotKeys). */
  snapshotKeys?: SnapshotKeys
  /** Restarts, kills and probations of the sandbox, rate-limited (the server logs them). */
  onSandboxEvent?: SandboxEventSink
}

export interface ResetOutcome extends ResetResult {
  episode: Episode
}

export class Runtime {
  readonly #envs: ReadonlyMap<string, EnvSpec>
  readonly pool: SandboxPool
  readonly #guest: GuestCaller
  readonly snapshotKeys: SnapshotKeys

  private constructor (envs: ReadonlyMap<string, EnvSpec>, pool: SandboxPool, snapshotKeys: SnapshotKeys) {
    this.#envs = envs
    this.pool = pool
    this.snapshotKeys = snapshotKeys
    this.#guest = guestCaller(pool)
    for (const spec of envs.values()) pool.register(spec.manifest.id, spec.source)
  }

  static async create (options: RuntimeOptions = {}): Promise<Runtime> {
    const envs = await loadEnvs(options.envDirs ?? [bundledEnvsDir])
    return new Runtime(envs, new SandboxPool(options.sandbox, options.onSandboxEvent === undefined ? {} : { onEvent: options.onSandboxEvent }), options.snapshotKeys ?? processSnapshotKeys)
  }

  /** Env ids, sorted. */
  envIds (): string[] {
    return [...this.#envs.keys()].sort()
  }

  spec (envId: string): EnvSpec {
    const spec = this.#envs.get(envId)
    if (spec === undefined) throw new CodeGymError('unknown_env', `no env ${JSON.stringify(envId)}; the envs are ${this.envIds().join(', ')}`)
    return spec
  }

  /** Starts an episode on a fixed task, an explicit config, or a task generated from seed + difficulty. */
  async reset (envId: string, options: unknown = {}): Promise<ResetOutcome> {
    const spec = this.spec(envId)
    if (!validateResetOptions(options)) throw new CodeGymError('invalid_reset_options', validateResetOptions.lastError)
    const seed = options.seed ?? randomInt(maxDrawnSeed)
    const { config, taskId, difficulty } = await this.#chooseTask(spec, options, seed)
    const started = await this.#guest(spec, 'reset', '', { config, seed })
    if (!started.ok) {
      // A task whose first observation or state is over this server's limits is refused like
      // options the server does not accept: a smaller task, or a server with larger limits, plays.
      if (started.code === 'observation_too_large' || started.code === 'state_too_large') {
        throw new CodeGymError('invalid_reset_options', `${envId}: this task is over the server's limits: ${started.message}`, { reason: started.code })
      }
      throw guestFailure(`${envId} reset()`, started)
    }
    const episode = new Episode({
      spec,
      seed,
      taskId,
      difficulty,
      config,
      truth: started.truth ?? null,
      maxSteps: options.maxSteps ?? spec.defaultMaxSteps,
      state: started.state ?? '',
      step: 0,
      status: 'running',
    }, this.#guest, this.snapshotKeys)
    const observation = started.observation ?? null
    const info: ResetResult['info'] = {
      envId,
      task: renderStatement(spec.manifest.statement, observation),
      tools: [...spec.tools],
      seed,
      step: 0,
      maxSteps: episode.maxSteps,
    }
    if (taskId !== undefined) info.taskId = taskId
    if (difficulty !== undefined) info.difficulty = difficulty
    return { episode, observation, info }
  }

  /** An episode from snapshot bytes, continuing exactly where the snapshot was taken. */
  restore (bytes: Uint8Array): Episode {
    const record = decodeSnapshot(bytes, this.snapshotKeys, (envId) => {
      try {
        return this.spec(envId)
      } catch (error) {
        throw new CodeGymError('invalid_snapshot', (error as Error).message)
      }
    })
    const { maxStateBytes } = this.pool.options
    if (Buffer.byteLength(record.state) > maxStateBytes) {
      throw new CodeGymError('invalid_snapshot', `the snapshot state is over the state limit of ${maxStateBytes} bytes`)
    }
    // Snapshot bytes come from clients: the config is held to the env's schema like any reset's.
    if (!record.spec.validateConfig(record.config)) {
      throw new CodeGymError('invalid_snapshot', `the snapshot's ${record.spec.validateConfig.lastError}`)
    }
    return new Episode(record, this.#guest, this.snapshotKeys)
  }

  /** What snapshot bytes this runtime made hold (the task, its truth): for in-process tools, never for agents. */
  snapshotContent (bytes: Uint8Array): Snapshot {
    return snapshotContent(bytes, this.snapshotKeys)
  }

  close (): Promise<void> {
    return this.pool.close()
  }

  async #chooseTask (spec: EnvSpec, options: ResetOptions, seed: number): Promise<{ config: JsonObject, taskId?: string, difficulty?: string }> {
    if (options.task !== undefined) {
      const task = spec.tasks.get(options.task)
      if (task === undefined) throw new CodeGymError('unknown_task', `${spec.manifest.id} has no task ${JSON.stringify(options.task)}`)
      return { config: task.config, taskId: task.id, difficulty: task.difficulty }
    }
    if (options.config !== undefined) {
      if (!spec.validateConfig(options.config)) throw new CodeGymError('invalid_reset_options', spec.validateConfig.lastError)
      return { config: options.config }
    }
    const { difficulties } = spec.manifest
    const difficulty = options.difficulty ?? difficulties[0]!
    if (!difficulties.includes(difficulty)) {
      throw new CodeGymError('invalid_reset_options', `${spec.manifest.id} has no difficulty ${JSON.stringify(difficulty)}; it has ${difficulties.join(', ')}`)
    }
    const generated = await this.#guest(spec, 'generate', '', { seed, difficulty })
    if (!generated.ok) throw guestFailure(`${spec.manifest.id} generate()`, generated)
    const config = generated.config ?? {}
    if (!spec.validateConfig(config)) throw new CodeGymError('env_error', `${spec.manifest.id} generate() made an invalid ${spec.validateConfig.lastError}`)
    return { config, difficulty }
  }
}

async function loadEnvs (envDirs: readonly string[]): Promise<Map<string, EnvSpec>> {
  const envs = new Map<string, EnvSpec>()
  for (const envDir of envDirs) {
    const packages = await findEnvPackages(envDir).catch(() => [])
    const dirs = packages.length > 0 ? packages : [envDir]
    for (const dir of dirs) {
      const spec = await loadEnvPackage(dir)
      const other = envs.get(spec.manifest.id)
      if (other !== undefined) throw new EnvLoadError(dir, `env id ${spec.manifest.id} is also used by ${other.dir}`)
      envs.set(spec.manifest.id, spec)
    }
  }
  return envs
}
