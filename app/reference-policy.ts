// The reference policy `codegym synth` passes to the difficulty filter: plays each task a few times
// with an OpenAI-compatible model and counts the wins. It has the candidate env served by whatever
// its caller passes in (the CLI starts an in-process codegym-serve) and plays it with the GRPO
// rollout client (chat mode), one group per task. It lives with the CLI, not in src/synth, because
// it composes a client: the library below never imports one.
import { rollout } from '../clients/grpo/index.ts'
import type { PolicySettings } from '../src/synth/defaults.ts'
import type { ReferencePolicy, ServeEnv, TaskSolveCount } from '../src/synth/reference-policy.ts'

export class RolloutReferencePolicy implements ReferencePolicy {
  readonly #settings: PolicySettings
  readonly #serveEnv: ServeEnv

  constructor (settings: PolicySettings, serveEnv: ServeEnv) {
    this.#settings = settings
    this.#serveEnv = serveEnv
  }

  async solveCounts (envDir: string, envId: string, taskIds: readonly string[], tries: number): Promise<TaskSolveCount[]> {
    const settings = this.#settings
    const server = await this.#serveEnv(envDir)
    try {
      const counts = new Map(taskIds.map((taskId): [string, TaskSolveCount] => [taskId, { taskId, tries, solved: 0, errors: 0 }]))
      const run = rollout({
        tasks: taskIds.map((taskId) => ({ taskId, env: envId, reset: settings.maxSteps === undefined ? { task: taskId } : { task: taskId, maxSteps: settings.maxSteps } })),
        groupSize: tries,
        seed: settings.seed,
      }, {
        envServers: [server.url],
        backends: [settings.url],
        model: settings.model,
        mode: 'chat',
        temperature: settings.temperature,
        maxTokensPerTurn: settings.maxTokens,
        requestTimeoutMs: settings.requestTimeoutMs,
        maxRequestRetries: settings.maxRetries,
        retryInitialDelayMs: settings.retryBaseDelayMs,
        maxRolloutsInFlight: settings.concurrency,
        // Every rollout is counted here, those that failed too: none may be left out with its group.
        errorPolicy: 'flag',
      })
      for await (const record of run) {
        const count = counts.get(record.taskId)!
        if (record.termination === 'error') {
          count.errors++
          count.lastError = record.error ?? 'the rollout failed'
        } else if (record.reward === 1) {
          count.solved++
        }
      }
      return [...counts.values()]
    } finally {
      await server.close()
    }
  }
}
