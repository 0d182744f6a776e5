// One rollout: reset a session, then turn after turn ask the policy for a tool call and send it to
// the env, until Done, T_max, the context limit or an error. A reply that does not parse as exactly
// one tool call costs a turn and comes back to the policy as an error observation; it is never
// retried silently and never reaches the env. The same goes for the model's other faults: a reply
// cut off at the per-turn limit, or one the backend itself could not parse. A full context, measured
// before sending or answered by the backend, ends the episode with 'context_limit'. Only transport
// faults (after the HTTP layer's retries) and env failures end it with 'error'; a protocol mismatch
// with the backend stops the batch.
import { performance } from 'node:perf_hooks'
import { observationText, type StepResult } from '../../src/contract/index.ts'
import type { SamplingParams } from './backends/types.ts'
import { makeDialogue, type Dialogue } from './dialogue.ts'
import type { Termination } from './record.ts'
import { parseToolCall, toolCallHint, type ParsedToolCall } from './tool-calls.ts'
import { BackendError, BatchAbortedError, TranscriptMismatchError } from './errors.ts'

import type { EpisodeInput, EpisodeMode, EpisodeRecord } from './episode-input.ts'
export type { EpisodeInput, EpisodeMode, EpisodeRecord, EpisodeSettings, TokenToolFormat } from './episode-input.ts'

interface Counters {
  turns: number
  toolCalls: number
  parseErrors: number
  rollbacks: number
  completionTokens: number
  generationMs: number
  envMs: number
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
