// What one episode of the turn loop is given and what it returns, apart from the loop itself, so
// that the policy side (dialogue.ts) can name them without importing the loop.
import type { ChatBackend, SamplingControls, TokenBackend } from './backends/types.ts'
import type { TaskSpec } from './batch.ts'
import type { ChatToolFormat } from './conversation/chat.ts'
import type { EnvLease } from './env-pool.ts'
import type { RolloutRecord } from './record.ts'
import type { BackendLane } from './router.ts'
import type { ChatTokenizer } from './tokenizer.ts'

export type TokenToolFormat = 'hermes' | 'paper'

export type EpisodeMode =
  /** Chat mode measures prompts with `tokenizer` when one is given (its template must be the backend's). */
  | { mode: 'chat', toolFormat: ChatToolFormat, lane: BackendLane<ChatBackend>, tokenizer: ChatTokenizer | undefined }
  | { mode: 'token', toolFormat: TokenToolFormat, lane: BackendLane<TokenBackend>, tokenizer: ChatTokenizer }

export interface EpisodeSettings {
  maxTokensPerTurn: number
  maxContextTokens: number
  sampling: SamplingControls
  envRequestTimeoutMs: number
  policyVersion: string | number | null
}

export interface EpisodeInput {
  task: TaskSpec
  groupId: string
  sampleIndex: number
  seed: number
  env: EnvLease
  envServer: string
  generation: EpisodeMode
  settings: EpisodeSettings
  /** Set when the batch is being abandoned: the episode stops at its next turn. */
  isCancelled: () => boolean
}

/** The part of a record the episode decides; the advantage comes once the group is complete. */
export type EpisodeRecord = Omit<RolloutRecord, 'advantage' | 'zeroVariance' | 'excluded' | 'errorPolicy'>
