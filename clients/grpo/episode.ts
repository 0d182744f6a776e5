// One rollout: reset a session, then turn after turn ask the policy for a tool call and send it to
// the env, until Done, T_max, the context limit or an error. A reply that does not parse as exactly
// one tool call costs a turn and comes back to the policy as an error observation; it is never
// retried silently and never reaches the env.
import { performance } from 'node:perf_hooks'
import { observationText, openAiTools, renderPrompt } from '../../src/env/prompt.ts'
import type { ResetResult, StepResult } from '../../src/schemas/env.generated.ts'
import type { ChatBackend, SamplingParams, TokenBackend } from './backends/types.ts'
import { ChatConversation, type ChatToolFormat } from './conversation/chat.ts'
import { TokenTranscript } from './conversation/token.ts'
import type { EnvLease } from './env-pool.ts'
import type { RolloutRecord, Termination } from './record.ts'
import type { BackendLane } from './router.ts'
import type { ChatTokenizer, TemplateMessage } from './tokenizer.ts'
import { parseToolCall, type ParsedToolCall, type PolicyReplyMessage } from './tool-calls.ts'
import type { TaskSpec } from './batch.ts'

export type TokenToolFormat = 'hermes' | 'paper'

export type EpisodeMode =
  | { mode: 'chat', toolFormat: ChatToolFormat, lane: BackendLane<ChatBackend> }
  | { mode: 'token', toolFormat: TokenToolFormat, lane: BackendLane<TokenBackend>, tokenizer: ChatTokenizer }

export interface EpisodeSettings {
  maxTokensPerTurn: number
  maxContextTokens: number
  temperature: number
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
export type EpisodeRecord = Omit<RolloutRecord, 'advantage' | 'zeroVariance'>

interface Counters {
  turns: number
  toolCalls: number
  parseErrors: number
  rollbacks: number
  completionTokens: number
  generationMs: number
  envMs: number
}

/** The policy's side of an episode, one implementation per mode. */
interface Dialogue {
  /**
   * One generation: the reply to parse, and whether it filled the context (a turn that counts but
   * cannot be answered); or `context_limit` when there is no room to generate at all.
   */
  generate (sampling: SamplingParams): Promise<{ reply: PolicyReplyMessage, completionTokens: number, fillsContext: boolean } | { end: 'context_limit' }>
  /** The env's answer (or the parse error) for the next turn; false when it does not fit the context. */
  answer (text: string, isToolResult: boolean): boolean
  finish (record: EpisodeRecord): void
}

export async function runEpisode (input: EpisodeInput): Promise<EpisodeRecord> {
  const { task, settings, env } = input
  const startedAtMs = Date.now()
  const started = performance.now()
  const counters: Counters = { turns: 0, toolCalls: 0, parseErrors: 0, rollbacks: 0, completionTokens: 0, generationMs: 0, envMs: 0 }
  let termination: Termination = 'error'
  let reward = 0
  let error: string | undefined
  let dialogue: Dialogue | undefined
  let session: string | undefined
  const timed = async <T>(key: 'generationMs' | 'envMs', work: () => Promise<T>): Promise<T> => {
    const at = performance.now()
    try {
      return await work()
    } finally {
      counters[key] += performance.now() - at
    }
  }
  try {
    if (input.isCancelled()) throw new Error('the batch was cancelled')
    const reset = await timed('envMs', () => env.client.reset(task.env, task.reset))
    session = reset.session
    dialogue = makeDialogue(input, reset)
    const maxTurns = reset.info.maxSteps
    const sampling = { seed: input.seed, maxTokens: settings.maxTokensPerTurn, temperature: settings.temperature }
    for (;;) {
      if (input.isCancelled()) throw new Error('the batch was cancelled')
      if (counters.turns >= maxTurns) {
        termination = 'truncated'
        break
      }
      const generated = await timed('generationMs', () => dialogue!.generate(sampling))
      if ('end' in generated) {
        termination = generated.end
        break
      }
      counters.turns++
      counters.completionTokens += generated.completionTokens
      if (generated.fillsContext) {
        termination = 'context_limit'
        break
      }
      const parsed: ParsedToolCall = parseToolCall(generated.reply, replyFormat(input.generation))
      if (!parsed.ok) {
        counters.parseErrors++
        if (!dialogue.answer(parsed.error, false)) {
          termination = 'context_limit'
          break
        }
        continue
      }
      counters.toolCalls++
      const result: StepResult = await timed('envMs', () => env.client.step(session!, { name: parsed.action.name, parameters: parsed.action.parameters }))
      if (result.info.rolledBack) counters.rollbacks++
      if (result.terminated) {
        termination = 'done'
        reward = result.reward
        break
      }
      if (result.truncated) {
        termination = 'truncated'
        break
      }
      if (!dialogue.answer(observationText(result.observation), true)) {
        termination = 'context_limit'
        break
      }
    }
  } catch (caught) {
    termination = 'error'
    reward = 0
    error = caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)
  }
  if (session !== undefined) env.closeInBackground(session)
  const record: EpisodeRecord = {
    groupId: input.groupId,
    taskId: task.taskId,
    env: task.env,
    sampleIndex: input.sampleIndex,
    seed: input.seed,
    reward,
    termination,
    ...(error === undefined ? {} : { error }),
    turns: counters.turns,
    toolCalls: counters.toolCalls,
    parseErrors: counters.parseErrors,
    rollbacks: counters.rollbacks,
    completionTokens: counters.completionTokens,
    backend: input.generation.lane.backend.url,
    envServer: input.envServer,
    timings: { startedAtMs, totalMs: round(performance.now() - started), generationMs: round(counters.generationMs), envMs: round(counters.envMs) },
    policyVersion: settings.policyVersion,
  }
  dialogue?.finish(record)
  return record
}

function round (ms: number): number {
  return Math.round(ms * 10) / 10
}

function replyFormat (generation: EpisodeMode): 'auto' | 'paper' | 'hermes' {
  if (generation.mode === 'chat') return generation.toolFormat === 'openai' ? 'auto' : 'paper'
  return generation.toolFormat
}

function makeDialogue (input: EpisodeInput, reset: ResetResult): Dialogue {
  const generation = input.generation
  const { maxContextTokens } = input.settings
  if (generation.mode === 'chat') {
    const conversation = new ChatConversation(reset.info, generation.toolFormat)
    let contextTokens = 0
    return {
      async generate (sampling) {
        const answer = await generation.lane.request((backend) => backend.chat(conversation.messages, conversation.tools, sampling))
        conversation.appendReply(answer.message)
        if (answer.promptTokens !== undefined && answer.completionTokens !== undefined) contextTokens = answer.promptTokens + answer.completionTokens
        // The backend counts tokens in chat mode: a reply that filled the context cannot be answered.
        return { reply: answer.message, completionTokens: answer.completionTokens ?? 0, fillsContext: contextTokens >= maxContextTokens }
      },
      answer (text) {
        conversation.appendObservation(text)
        return true
      },
      finish (record) {
        record.messages = conversation.messages
      },
    }
  }
  const { tokenizer } = generation
  const hermes = generation.toolFormat === 'hermes'
  const first: TemplateMessage[] = hermes
    ? [{ role: 'user', content: reset.info.task }]
    : renderPrompt(reset.info)
  const transcript = new TokenTranscript(tokenizer, first, hermes ? openAiTools(reset.info.tools) : undefined)
  return {
    async generate (sampling) {
      const room = maxContextTokens - transcript.length
      if (room <= 0) return { end: 'context_limit' }
      const answer = await generation.lane.request((backend) => backend.generate(transcript.promptIds.concat(transcript.responseIds), tokenizer.stopTokenIds, { ...sampling, maxTokens: Math.min(sampling.maxTokens, room) }))
      const text = transcript.appendGeneration(answer)
      const fillsContext = answer.finishReason === 'length' && transcript.length >= maxContextTokens
      return { reply: { content: text }, completionTokens: answer.ids.length, fillsContext }
    },
    answer (text, isToolResult) {
      const message: TemplateMessage = { role: hermes && isToolResult ? 'tool' : 'user', content: text }
      const ids = transcript.envTurnIds(message)
      // An env turn that does not leave room for one sampled token ends the episode before it is appended.
      if (transcript.length + ids.length >= maxContextTokens) return false
      transcript.commitEnvTurn(message, ids)
      return true
    },
    finish (record) {
      record.messages = transcript.messages
      record.prompt_ids = transcript.promptIds
      record.response_ids = transcript.responseIds
      record.response_mask = transcript.responseMask
      record.rollout_log_probs = transcript.logProbs
    },
  }
}
