// One episode: committed state, step count and status, changed only by a successful call.
import { CodeGymError } from '../contract/errors.ts'
import { validateAction } from '../schemas/validate.ts'
import type { EpisodeStatus, JsonValue, RollbackCode, StepInfo, StepResult } from '../schemas/env.generated.ts'
import { doneToolName, observeToolName } from '../contract/builtin-tools.ts'
import { guestFailure, type GuestCaller } from './guest.ts'
import { encodeSnapshot, type EpisodeRecord } from './snapshot.ts'
import type { SnapshotKeys } from './snapshot-keys.ts'

export class Episode {
  readonly #record: EpisodeRecord
  readonly #guest: GuestCaller
  readonly #snapshotKeys: SnapshotKeys
  #closed = false
  /** A call is running (see #enter). */
  #busy = false

  constructor (record: EpisodeRecord, guest: GuestCaller, snapshotKeys: SnapshotKeys) {
    this.#record = record
    this.#guest = guest
    this.#snapshotKeys = snapshotKeys
  }

  get envId (): string { return this.#record.spec.manifest.id }
  get seed (): number { return this.#record.seed }
  get taskId (): string | undefined { return this.#record.taskId }
  get difficulty (): string | undefined { return this.#record.difficulty }
  get maxSteps (): number { return this.#record.maxSteps }
  /** Actions taken so far, failed ones included. */
  get stepCount (): number { return this.#record.step }
  get status (): EpisodeStatus { return this.#closed ? 'closed' : this.#record.status }
  /** The committed env state as JSON text: the same text before and after a rolled-back step. */
  get committedState (): string { return this.#record.state }

  /**
   * Takes one action. Any failure rolls back and becomes the observation; the episode goes on.
   * With expectStep, the action is taken only if exactly that many steps were taken before it, so
   * a step sent again after a lost answer is refused instead of applied twice.
   */
  async step (action: unknown, expectStep?: number): Promise<StepResult> {
    // One async frame for the whole step (the checks, the count, the call): a step is the hot path.
    this.#enter()
    try {
      this.#assertOpen()
      const record = this.#record
      if (record.status !== 'running') {
        throw new CodeGymError('episode_ended', `the episode is ${record.status}; reset to play again`)
      }
      if (expectStep !== undefined && expectStep !== record.step) {
        throw new CodeGymError('step_mismatch', `the episode has taken ${record.step} steps, not ${expectStep}`, { step: record.step })
      }
      // A step counts as taken once it gets a result, a rolled-back one included. A call the
      // sandbox refused to queue (sandbox_busy) ran nothing: it is not counted, so a retry is the
      // same step.
      record.step++
      try {
        return await this.#takeAction(action)
      } catch (error) {
        record.step--
        throw error
      }
    } finally {
      this.#busy = false
    }
  }

  /** Submits an answer: the same as the action {name: 'Done', parameters: {answer}}. */
  done (answer: JsonValue, expectStep?: number): Promise<StepResult> {
    return this.step({ name: doneToolName, parameters: { answer } }, expectStep)
  }

  /** What Observe would return, without taking a step. */
  observe (): Promise<JsonValue> {
    return this.#exclusive(async () => {
      this.#assertOpen()
      const result = await this.#guest(this.#record.spec, 'observe', this.#record.state, {})
      if (!result.ok) throw guestFailure('observe()', result)
      return result.observation
    })
  }

  /** Opaque bytes that restore this episode exactly as it is after the operations before it. */
  snapshot (): Promise<Uint8Array> {
    return this.capture().then((captured) => captured.bytes)
  }

  /** A snapshot together with the step count it was taken at. */
  capture (): Promise<{ bytes: Uint8Array, step: number }> {
    return this.#exclusive(() => {
      this.#assertOpen()
      return { bytes: encodeSnapshot(this.#record, this.#snapshotKeys), step: this.#record.step }
    })
  }

  /** An independent copy that continues from the same point. */
  fork (): Promise<Episode> {
    return this.#exclusive(() => {
      this.#assertOpen()
      return new Episode({ ...this.#record }, this.#guest, this.#snapshotKeys)
    })
  }

  close (): void {
    this.#closed = true
  }

  #assertOpen (): void {
    if (this.#closed) throw new CodeGymError('episode_closed', 'the episode was closed')
  }

  /**
   * Marks the episode busy for one call. The episode does not order calls itself: the server's
   * session chain (SessionTable.run) is the one queue that orders a session's requests, and an
   * in-process caller awaits each call. Two calls at once would read and write the same record, so
   * an overlapping call is refused instead of being allowed to lose an update.
   */
  #enter (): void {
    if (this.#busy) throw new Error('a call on this episode is still running: await it before the next one')
    this.#busy = true
  }

  async #exclusive<T> (operation: () => T | Promise<T>): Promise<T> {
    this.#enter()
    try {
      return await operation()
    } finally {
      this.#busy = false
    }
  }

  async #takeAction (action: unknown): Promise<StepResult> {
    const record = this.#record
    if (!validateAction(action)) return this.#rollback('invalid_action', `invalid action: ${validateAction.lastError}`)
    const { name } = action
    const parameters = action.parameters ?? {}
    const validate = record.spec.parameterValidators.get(name)
    if (validate === undefined) {
      const known = record.spec.tools.map((tool) => tool.name).join(', ')
      return this.#rollback('unknown_tool', `unknown tool ${JSON.stringify(name)}; the tools are ${known}`)
    }
    if (!validate(parameters)) return this.#rollback('invalid_parameters', `invalid parameters for ${name}: ${validate.lastError}`, name)

    if (name === doneToolName) {
      const result = await this.#guest(record.spec, 'check', '', { submitted: parameters.answer ?? null, truth: record.truth })
      if (!result.ok) return this.#rollback(result.code, result.message, name)
      const correct = result.correct === true
      record.status = 'terminated'
      return { observation: correct ? 'Correct.' : 'Incorrect.', reward: correct ? 1 : 0, terminated: true, truncated: false, info: this.#info(name, { correct }) }
    }
    const result = name === observeToolName
      ? await this.#guest(record.spec, 'observe', record.state, {})
      : await this.#guest(record.spec, 'tool', record.state, { name, parameters })
    if (!result.ok) return this.#rollback(result.code, result.message, name)
    if (typeof result.state === 'string') record.state = result.state
    return this.#outcome(result.observation, this.#info(name, {}))
  }

  #rollback (code: RollbackCode, message: string, tool?: string): StepResult {
    return this.#outcome(`Error: ${message}`, this.#info(tool, { rolledBack: true, error: { code, message } }))
  }

  #outcome (observation: JsonValue, info: StepInfo): StepResult {
    const truncated = this.#record.step >= this.#record.maxSteps
    if (truncated) this.#record.status = 'truncated'
    return { observation, reward: 0, terminated: false, truncated, info }
  }

  #info (tool: string | undefined, extra: Partial<StepInfo>): StepInfo {
    const info: StepInfo = { step: this.#record.step, maxSteps: this.#record.maxSteps, rolledBack: false, ...extra }
    if (tool !== undefined) info.tool = tool
    return info
  }
}
