// One rollout: reset a session, then turn after turn ask the policy for a tool call and send it to
// the env, until Done, T_max, the context limit or an error. A reply that does not parse as exactly
// one tool call costs a turn and comes back to the policy as an error observation; it is never
// retried silently and never reaches the env. The same goes for the model's other faults: a reply
// cut off at the per-turn limit, or one the backend itself could not parse. A full context, measured
// before sending or answered by the backend, ends the episode with 'context_limit'. Only transport
// faults (after the HTTP layer's retries) and env failures end it with 'error'; a protocol mismatch
// with the backend stops the batch.
import { performance } from 'node:perf_hooks'
import { observationText, openAiTools, renderPrompt } from '../../src/env/prompt.ts'
import type { ResetResult, StepResult } from '../../src/schemas/env.generated.ts'
import type { ChatApiMessage, ChatBackend, SamplingControls, SamplingParams, TokenBackend } from './backends/types.ts'
import { ChatConversation, type ChatToolFormat } from './conversation/chat.ts'
import { TokenTranscript } from './conversation/token.ts'
import type { EnvLease } from './env-pool.ts'
import type { RolloutRecord, Termination } from './record.ts'
import type { BackendLane } from './router.ts'
import type { ChatTokenizer, TemplateMessage } from './tokenizer.ts'
import { parseToolCall, splitReasoning, toolCallHint, type ParsedToolCall, type PolicyReplyMessage } from './tool-calls.ts'
import { BackendError, BatchAbortedError, TranscriptMismatchError } from './errors.ts'
import type { TaskSpec } from './batch.ts'

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

interface Counters {
  turns: number
  toolCalls: number
  parseErrors: number
  rollbacks: number
  completionTokens: number
  generationMs: number
  envMs: number
}

/** One generation, as the turn loop sees it. */
type Generated =
  /** A reply to parse; `fillsContext` when it used up the context (a turn that counts but cannot be answered). */
  | { kind: 'reply', reply: PolicyReplyMessage, completionTokens: number, cutOff: boolean, fillsContext: boolean }
  /** No room to generate: measured before sending, or the backend's context-overflow answer. */
  | { kind: 'context_limit' }
  /** The backend could not read what the model wrote (llama-server's 500 on an unparseable call). */
  | { kind: 'unreadable', error: string }

/** The policy's side of an episode, one implementation per mode. */
interface Dialogue {
  generate (sampling: SamplingParams): Promise<Generated>
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
  let abort: Error | undefined
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
  const format = replyFormat(input.generation)
  try {
    if (input.isCancelled()) throw new Error('the batch was cancelled')
    const reset = await timed('envMs', () => env.client.reset(task.env, task.reset))
    session = reset.session
    dialogue = makeDialogue(input, reset)
    const maxTurns = reset.info.maxSteps
    const sampling: SamplingParams = { ...settings.sampling, seed: input.seed, maxTokens: settings.maxTokensPerTurn }
    for (;;) {
      if (input.isCancelled()) throw new Error('the batch was cancelled')
      if (counters.turns >= maxTurns) {
        termination = 'truncated'
        break
      }
      const generated = await timed('generationMs', () => dialogue!.generate(sampling))
      if (generated.kind === 'context_limit') {
        termination = 'context_limit'
        break
      }
      counters.turns++
      let parsed: ParsedToolCall
      if (generated.kind === 'unreadable') {
        // The model's fault, not the backend's: a failed turn like any other unparseable reply.
        parsed = { ok: false, error: `Error: your reply could not be read as a tool call (${generated.error}). ${toolCallHint(format)}` }
      } else {
        counters.completionTokens += generated.completionTokens
        if (generated.fillsContext) {
          termination = 'context_limit'
          break
        }
        parsed = generated.cutOff
          ? { ok: false, error: `Error: your reply reached the limit of ${settings.maxTokensPerTurn} tokens per turn before it ended. ${toolCallHint(format)}` }
          : parseToolCall(generated.reply, format)
      }
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
    // Faults every rollout would meet stop the batch rather than fill it with errors.
    if (caught instanceof TranscriptMismatchError || (caught instanceof BackendError && caught.fault === 'protocol')) abort = caught
  }
  if (session !== undefined) env.closeInBackground(session)
  if (abort !== undefined) throw new BatchAbortedError(`rollout ${input.groupId}/${input.sampleIndex} (task ${task.taskId}): ${error ?? abort.message}`, abort)
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
    sampling: { ...settings.sampling, stop: [...settings.sampling.stop], maxTokensPerTurn: settings.maxTokensPerTurn },
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

/** A generation request's failure that the episode answers itself; anything else propagates. */
async function generationOutcome<T> (request: () => Promise<T>): Promise<T | Generated> {
  try {
    return await request()
  } catch (error) {
    if (error instanceof BackendError && error.fault === 'context_overflow') return { kind: 'context_limit' }
    if (error instanceof BackendError && error.fault === 'model_output') return { kind: 'unreadable', error: error.message }
    throw error
  }
}

function isOutcome (value: object): value is Generated {
  return 'kind' in value
}

/** The reply's text as the parser reads it: a reasoning model's thinking apart. */
function readReply (message: PolicyReplyMessage): PolicyReplyMessage {
  if (message.content === null || !message.content.includes('<think>') && !message.content.includes('</think>')) return message
  const { content, reasoning } = splitReasoning(message.content)
  const thinking = [message.reasoning, reasoning].filter((part) => part !== undefined && part !== '').join('\n')
  return { ...message, content, ...(thinking === '' ? {} : { reasoning: thinking }) }
}

function makeDialogue (input: EpisodeInput, reset: ResetResult): Dialogue {
  const generation = input.generation
  const { maxContextTokens } = input.settings
  if (generation.mode === 'chat') {
    const conversation = new ChatConversation(reset.info, generation.toolFormat)
    const { tokenizer } = generation
    // The prompt's size before sending: the tokenizer's count of the rendered conversation when one
    // is given, otherwise the backend's count from the last answer (prompt + completion), which the
    // next prompt exceeds only by the observation; the backend's overflow answer covers the rest.
    let lastUsageTokens = 0
    const promptTokens = (): number => tokenizer === undefined
      ? lastUsageTokens
      : tokenizer.encode(tokenizer.renderChat(conversation.messages.map(templateMessage), { tools: conversation.tools, addGenerationPrompt: true })).length
    return {
      async generate (sampling) {
        const room = maxContextTokens - promptTokens()
        if (room <= 0) return { kind: 'context_limit' }
        const maxTokens = Math.min(sampling.maxTokens, room)
        const answer = await generationOutcome(() => generation.lane.request((backend) => backend.chat(conversation.messages, conversation.tools, { ...sampling, maxTokens })))
        if (isOutcome(answer)) {
          // The conversation needs the failed reply's place: an empty assistant turn, then the error.
          if (answer.kind === 'unreadable') conversation.appendReply({ content: '' })
          return answer
        }
        conversation.appendReply(answer.message)
        if (answer.promptTokens !== undefined && answer.completionTokens !== undefined) lastUsageTokens = answer.promptTokens + answer.completionTokens
        const cutOff = answer.finishReason === 'length'
        // The context is full when the reply was cut at the room left, when the backend's count
        // reaches the limit, or when it was cut short of max_tokens (the server's context ended
        // first: llama-server stops there, SGLang shortens max_new_tokens).
        const fillsContext = lastUsageTokens >= maxContextTokens || (cutOff && (maxTokens < sampling.maxTokens || (answer.completionTokens !== undefined && answer.completionTokens < maxTokens)))
        return { kind: 'reply', reply: readReply(answer.message), completionTokens: answer.completionTokens ?? 0, cutOff, fillsContext }
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
      if (room <= 0) return { kind: 'context_limit' }
      const answer = await generationOutcome(() => generation.lane.request((backend) => backend.generate(transcript.promptIds.concat(transcript.responseIds), tokenizer.stopTokenIds, { ...sampling, maxTokens: Math.min(sampling.maxTokens, room) })))
      if (isOutcome(answer)) {
        // A token API parses nothing, so it cannot fail on the model's output: only the context can be full.
        if (answer.kind === 'unreadable') throw new BackendError(answer.error, { url: generation.lane.backend.url, attempts: 1, fault: 'transport' })
        return answer
      }
      const maxTokens = Math.min(sampling.maxTokens, room)
      const text = transcript.appendGeneration(answer)
      const cutOff = answer.finishReason === 'length'
      // Cut at the room left, or short of max_tokens (the server's own context ended first).
      const fillsContext = cutOff && (transcript.length >= maxContextTokens || answer.ids.length < maxTokens)
      return { kind: 'reply', reply: readReply({ content: text }), completionTokens: answer.ids.length, cutOff, fillsContext }
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

/** A Chat Completions message as a chat template takes it: tool-call arguments parsed, as vLLM does before templating. */
function templateMessage (message: ChatApiMessage): TemplateMessage {
  const result: TemplateMessage = { role: message.role, content: message.content ?? '' }
  if (message.reasoning_content !== undefined) result.reasoning_content = message.reasoning_content
  if (message.tool_calls !== undefined) {
    result.tool_calls = message.tool_calls.map((call) => ({ type: 'function', function: { name: call.function.name, arguments: parsedArguments(call.function.arguments) } }))
  }
  if (message.tool_call_id !== undefined) result.tool_call_id = message.tool_call_id
  return result
}

function parsedArguments (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
