// The reference policy of the difficulty filter: plays each task a few times with an
// OpenAI-compatible model and counts the wins. This is a minimal episode loop on the TypeScript
// client and the paper-style prompt (src/env/prompt.ts) against an in-process codegym-serve; the
// difficulty stage sees only the ReferencePolicy interface, so the GRPO rollout client can take
// its place.
import { pino } from 'pino'
import { CodeGymClient } from '../../clients/ts/index.ts'
import { doneToolName } from '../env/builtin-tools.ts'
import { observationText, openAiTools, renderPrompt } from '../env/prompt.ts'
import { CodeGymServer } from '../server/server.ts'
import type { StepResult } from '../schemas/env.generated.ts'
import type { PolicySettings } from './defaults.ts'
import { LlmClient, type LlmMessage, type LlmReply } from './llm.ts'

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
  close?: () => Promise<void>
}

/** A tool call read from a model reply: the first native tool call, else the first JSON object in the text. */
export function parseAction (reply: Pick<LlmReply, 'text' | 'toolCalls'>): { name: string, parameters: unknown } | undefined {
  const call = reply.toolCalls[0]
  if (call !== undefined) {
    try {
      return { name: call.function.name, parameters: JSON.parse(call.function.arguments || '{}') }
    } catch {
      return undefined
    }
  }
  const start = reply.text.indexOf('{')
  for (let end = reply.text.lastIndexOf('}'); start >= 0 && end > start; end = reply.text.lastIndexOf('}', end - 1)) {
    try {
      const value = JSON.parse(reply.text.slice(start, end + 1)) as { name?: unknown, parameters?: unknown, arguments?: unknown }
      if (typeof value.name === 'string') return { name: value.name, parameters: value.parameters ?? value.arguments ?? {} }
      return undefined
    } catch { /* a shorter span may parse */ }
  }
  return undefined
}

export class ChatReferencePolicy implements ReferencePolicy {
  readonly #llm: LlmClient
  readonly #settings: PolicySettings

  constructor (settings: PolicySettings) {
    this.#settings = settings
    this.#llm = new LlmClient(settings)
  }

  async solveCounts (envDir: string, envId: string, taskIds: readonly string[], tries: number): Promise<TaskSolveCount[]> {
    const server = await CodeGymServer.start({ port: 0, host: '127.0.0.1', envDirs: [envDir], sandbox: { workers: 1 }, logger: pino({ level: 'silent' }) })
    const client = await CodeGymClient.connect(server.url)
    try {
      const counts = taskIds.map((taskId): TaskSolveCount => ({ taskId, tries, solved: 0, errors: 0 }))
      const episodes: Array<Promise<void>> = []
      for (const count of counts) {
        for (let attempt = 0; attempt < tries; attempt++) {
          episodes.push(this.#play(client, envId, count.taskId, attempt).then((won) => {
            if (won) count.solved++
          }, (error: unknown) => {
            count.errors++
            count.lastError = (error as Error).message
          }))
        }
      }
      await Promise.all(episodes)
      return counts
    } finally {
      await client.close()
      await server.close()
    }
  }

  /** One episode; true when it ends with reward 1. The LLM client bounds how many run at once. */
  async #play (client: CodeGymClient, envId: string, taskId: string, attempt: number): Promise<boolean> {
    const { session, info } = await client.reset(envId, { task: taskId, seed: attempt + 1 })
    const messages: LlmMessage[] = renderPrompt(info)
    const tools = openAiTools(info.tools)
    try {
      for (let turn = 0; turn < this.#settings.maxTurns; turn++) {
        const reply = await this.#llm.complete(messages, { tools, seedOffset: attempt * this.#settings.maxTurns + turn })
        const action = parseAction(reply)
        messages.push({ role: 'assistant', content: reply.text !== '' ? reply.text : JSON.stringify(action ?? {}) })
        if (action === undefined) {
          messages.push({ role: 'user', content: 'Error: no tool call found. Answer with one JSON object {"name": ..., "parameters": {...}}.' })
          continue
        }
        const result: StepResult = await client.step(session, action)
        if (result.terminated || result.truncated) return result.reward === 1 && action.name === doneToolName
        messages.push({ role: 'user', content: observationText(result.observation) })
      }
      return false
    } finally {
      await client.closeSession(session).catch(() => undefined)
    }
  }
}
