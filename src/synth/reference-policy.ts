// The reference policy of the difficulty filter, as the difficulty stage sees it: something that
// plays each task a few times and counts the wins. The one the CLI passes in (app/reference-policy.ts)
// plays with an OpenAI-compatible model through the GRPO rollout client.

/** An env server reachable at `url` until closed. */
export interface ServedEnv {
  readonly url: string
  close (): Promise<void>
}

/** Serves the env package in envDir (and nothing else) on a loopback address. */
export type ServeEnv = (envDir: string) => Promise<ServedEnv>

export interface TaskSolveCount {
  taskId: string
  tries: number
  solved: number
  /** Episodes that could not be played to the end (backend or server failures). */
  errors: number
  lastError?: string
}

export interface ReferencePolicy {
  /** Plays every task `tries` times on the env package in envDir; one count per task, in order. */
  solveCounts (envDir: string, envId: string, taskIds: readonly string[], tries: number): Promise<TaskSolveCount[]>
}
