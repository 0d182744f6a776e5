// What every stage gets: the settings, the LLM, the sandbox for untrusted code, the reference policy.
import type { JsonValue } from '../schemas/env.generated.ts'
import type { StageReason, SynthProblem, SynthReasonCode } from '../schemas/synth.generated.ts'
import { readOptionalText } from '../contract/read-optional.ts'
import { writeText, type ProblemArtefacts } from './artefacts.ts'
import type { SynthLimits } from './defaults.ts'
import { LlmError, type LlmClient } from './llm.ts'
import { loadPrompt, renderPrompt, type PromptName } from './prompts.ts'
import type { ReferencePolicy } from './reference-policy.ts'
import type { UntrustedCode } from './untrusted.ts'

export interface SynthContext {
  limits: SynthLimits
  /** Absent when every LLM stage is already done (a rerun of later stages only). */
  llm: LlmClient | undefined
  untrusted: UntrustedCode
  /** Absent: the difficulty filter is skipped. */
  policy: ReferencePolicy | undefined
}

/** A stage's verdict, before the runner adds the bookkeeping. */
export interface StageResult {
  status: 'kept' | 'rejected' | 'skipped' | 'error'
  reason?: StageReason
  attempts: number
  promptVersion?: string
  details?: Record<string, JsonValue>
}

export interface StageInput {
  context: SynthContext
  problem: SynthProblem
  artefacts: ProblemArtefacts
}

export function rejected (code: SynthReasonCode, message: string, extra: Partial<StageResult> = {}): StageResult {
  return { status: 'rejected', reason: { code, message }, attempts: 0, ...extra }
}

/** The LLM's answer to a prompt, saved at path; an answer already saved there is used again. */
export async function askLlm (context: SynthContext, path: string, prompt: PromptName, variables: Record<string, string | number>, attempt: number): Promise<{ answer: string, promptVersion: string }> {
  const template = loadPrompt(prompt)
  const saved = await readOptionalText(path)
  if (saved !== undefined) return { answer: saved, promptVersion: template.version }
  if (context.llm === undefined) throw new LlmError(`no LLM is configured and ${path} is not there yet: give --llm-url and --model`)
  const text = renderPrompt(template, { ...variables, attempt })
  const reply = await context.llm.complete([{ role: 'user', content: text }], { seedOffset: attempt })
  await writeText(path, reply.text)
  return { answer: reply.text, promptVersion: template.version }
}
