// Runs the conformance checks against a server, once per codec, one line per check, and the
// checks over all the traffic of a pass: every frame well-formed, every whole number an integer.
import { protocolDefinition } from '../contract/index.ts'
import { CheckContext, CheckSkipped, checkedResult, type Check, type EnvFacts, type Level, type SuiteOptions } from './context.ts'
import { episodeChecks } from './checks/episodes.ts'
import { framingChecks } from './checks/framing.ts'
import { handshakeChecks } from './checks/handshake.ts'
import { httpChecks } from './checks/http.ts'
import { sessionChecks } from './checks/sessions.ts'
import { ConformanceFailure, WireConnection, type Codec, type Received } from './wire.ts'

/** Every check, in the order PROTOCOL.md states them. */
export const conformanceChecks: readonly Check[] = [...framingChecks, ...handshakeChecks, ...episodeChecks, ...sessionChecks, ...httpChecks]

export type Outcome = 'passed' | 'failed' | 'skipped'

export interface CheckReport {
  readonly section: string
  readonly level: Level
  readonly statement: string
  readonly codec: Codec
  readonly outcome: Outcome
  readonly detail: string
}

export interface ConformanceSummary {
  readonly passed: number
  readonly failed: number
  readonly skipped: number
  readonly reports: readonly CheckReport[]
}

/** A check may wait for a few answers and, for the hello timeout, for helloTimeoutMs. */
const checkTimeoutFactor = 6

export function formatReport (report: CheckReport): string {
  const mark = report.outcome === 'passed' ? 'ok  ' : report.outcome === 'failed' ? 'FAIL' : 'skip'
  const line = `${mark} ${report.level.padEnd(8)} [${report.codec}] §${report.section}: ${report.statement}`
  return report.detail === '' ? line : `${line} — ${report.detail}`
}

export async function runConformance (options: SuiteOptions, print: (line: string) => void = () => {}): Promise<ConformanceSummary> {
  const reports: CheckReport[] = []
  const record = (report: CheckReport): void => {
    reports.push(report)
    print(formatReport(report))
  }
  for (const [pass, codec] of options.codecs.entries()) {
    const traffic: WireConnection[] = []
    const discovered = await discover(options, codec, traffic).then((facts) => ({ facts }), (error: unknown) => ({ error: error as Error }))
    if ('error' in discovered) {
      record({ section: 'Versioning and the hello handshake', level: 'MUST', statement: 'hello, envs.list and envs.describe answer', codec, outcome: 'failed', detail: discovered.error.message })
      continue
    }
    const { limits, env } = discovered.facts
    for (const check of conformanceChecks) {
      if ((check.once === true && pass > 0) || (check.only !== undefined && check.only !== codec)) continue
      const opened: WireConnection[] = []
      const context = new CheckContext(options, codec, limits, env, opened)
      const limitMs = options.timeoutMs * checkTimeoutFactor + (limits.helloTimeoutMs ?? 0)
      const { outcome, detail } = await runOne(check, context, limitMs)
      await Promise.all(opened.map((wire) => wire.close()))
      traffic.push(...opened)
      record({ section: check.section, level: check.level, statement: check.statement, codec, outcome, detail })
    }
    for (const report of trafficChecks(codec, traffic.flatMap((wire) => wire.received))) record(report)
  }
  const count = (outcome: Outcome): number => reports.filter((report) => report.outcome === outcome).length
  return { passed: count('passed'), failed: count('failed'), skipped: count('skipped'), reports }
}

async function runOne (check: Check, context: CheckContext, limitMs: number): Promise<{ outcome: Outcome, detail: string }> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new ConformanceFailure(`the check did not finish within ${limitMs} ms`)), limitMs)
  })
  try {
    await Promise.race([check.run(context), deadline])
    return { outcome: 'passed', detail: '' }
  } catch (error) {
    if (error instanceof CheckSkipped) return { outcome: 'skipped', detail: error.message }
    if (error instanceof ConformanceFailure) return { outcome: 'failed', detail: error.message }
    return { outcome: 'failed', detail: `${(error as Error).name}: ${(error as Error).message}` }
  } finally {
    clearTimeout(timer)
  }
}

/** The server's limits and the env to play: one with fixed tasks and a boolean answer when there is one. */
async function discover (options: SuiteOptions, codec: Codec, traffic: WireConnection[]): Promise<{ limits: Record<string, number>, env: EnvFacts }> {
  const wire = await WireConnection.open(options.url, { timeoutMs: options.timeoutMs })
  traffic.push(wire)
  try {
    const hello = checkedResult('hello', await wire.call('hello', { versions: [1], client: 'codegym-conformance', ...(options.token === undefined ? {} : { token: options.token }) }, codec))
    const { envs } = checkedResult('envs.list', await wire.call('envs.list', undefined, codec)) as { envs: Array<{ id: string, tasks: number }> }
    if (envs.length === 0) throw new ConformanceFailure('the server runs no envs')
    const described: Array<Record<string, unknown>> = []
    for (const { id } of envs) described.push(checkedResult('envs.describe', await wire.call('envs.describe', { env: id }, codec)))
    const score = (describe: Record<string, unknown>): number =>
      ((describe.answer as { type?: unknown }).type === 'boolean' ? 2 : 0) + ((describe.tasks as unknown[]).length > 0 ? 1 : 0)
    const chosen = described.reduce((best, candidate) => score(candidate) > score(best) ? candidate : best)
    const tools = chosen.tools as Array<{ name: string, parameters?: { required?: string[] } }>
    const builtIn = new Set(['Observe', 'Done'])
    return {
      limits: hello.limits as Record<string, number>,
      env: {
        id: chosen.id as string,
        describe: chosen,
        toolNames: tools.map((tool) => tool.name),
        task: (chosen.tasks as string[])[0],
        plainTool: tools.find((tool) => !builtIn.has(tool.name) && (tool.parameters?.required ?? []).length === 0)?.name,
        booleanAnswer: (chosen.answer as { type?: unknown }).type === 'boolean',
      },
    }
  } finally {
    await wire.close()
  }
}

const validateResponse = protocolDefinition<unknown>('Response', 'response')
const validateEvent = protocolDefinition<unknown>('Event', 'event')

/** Statements that hold for every frame of a pass, whichever check provoked it. */
function trafficChecks (codec: Codec, frames: readonly Received[]): CheckReport[] {
  const report = (section: string, statement: string, problems: string[]): CheckReport => ({
    section,
    level: 'MUST',
    statement: `${statement} (${frames.length} frames)`,
    codec,
    outcome: problems.length === 0 ? 'passed' : 'failed',
    detail: problems.length === 0 ? '' : `${problems.length} problems; first: ${problems.slice(0, 3).join('; ')}`,
  })
  const malformed: string[] = []
  const floats: string[] = []
  const episodes: string[] = []
  for (const frame of frames) {
    if (frame.message === undefined) {
      malformed.push(`a frame that does not decode: ${frame.decodeError ?? ''}`)
      continue
    }
    const message = frame.message
    if ('event' in message ? !validateEvent(message) : !validateResponse(message)) {
      malformed.push(`${'event' in message ? validateEvent.lastError : validateResponse.lastError} in ${JSON.stringify(message).slice(0, 200)}`)
    }
    for (const float of frame.wholeFloats) floats.push(`${float.path} = ${float.value} (id ${String(message.id)})`)
    for (const outcome of stepResults(message.result)) {
      if (outcome.terminated === true && outcome.truncated === true) episodes.push(`both terminated and truncated (id ${String(message.id)})`)
      if (outcome.reward !== 0 && outcome.reward !== 1) episodes.push(`reward ${String(outcome.reward)} (id ${String(message.id)})`)
      if (outcome.reward === 1 && (outcome.terminated !== true || (outcome.info as { correct?: unknown } | undefined)?.correct !== true)) episodes.push(`reward 1 without a correct Done (id ${String(message.id)})`)
    }
  }
  const reports = [
    report('Messages', 'every frame the server sends decodes and is a Response or an Event of the schema', malformed),
    report('Episodes: actions, rewards, rollback', 'no step result is both terminated and truncated; reward is 1 only for a correct Done, else 0', episodes),
  ]
  if (codec === 'msgpack') reports.push(report('Codecs', 'every whole number the server sends is a MessagePack integer, never a float', floats))
  return reports
}

/** Step results in a result: the result itself, or a batch's results. */
function stepResults (result: unknown): Array<Record<string, unknown>> {
  if (result === null || typeof result !== 'object') return []
  const record = result as Record<string, unknown>
  if (Array.isArray(record.results)) return (record.results as Array<{ result?: unknown }>).flatMap((outcome) => stepResults(outcome?.result))
  return 'terminated' in record && 'truncated' in record ? [record] : []
}
