// `codegym play <env>`: play an episode by hand; `codegym oracle <env>`: watch the env's oracle solve one.
import { createInterface } from 'node:readline'
import type { Argv } from 'yargs'
import { CodeGymError } from '../src/contract/errors.ts'
import { doneToolName, observeToolName } from '../src/contract/builtin-tools.ts'
import { envNameMatches } from '../src/env-check/index.ts'
import { oraclePolicy } from '../src/env-check/oracle-policy.ts'
import { playEpisode } from '../src/env-check/play.ts'
import { observationText } from '../src/contract/prompt.ts'
import type { Runtime } from '../src/env/runtime.ts'
import type { ResetOptions, ResetResult, StepResult, ToolDescriptor } from '../src/schemas/env.generated.ts'
import { envsOption, withRuntime } from './envs.ts'

/** A line typed at the `play` prompt. */
export type PlayCommand =
  | { kind: 'action', action: unknown }
  | { kind: 'help' | 'observe' | 'quit' | 'empty' }
  | { kind: 'error', message: string }

/**
 * `Name`, `Name {"param": 1}`, the JSON action `{"name": ..., "parameters": {...}}`, or `help`,
 * `observe`, `quit`. `Done 5` is short for `Done {"answer": 5}`. Anything else is refused here,
 * before it costs a step.
 */
export function parsePlayCommand (line: string): PlayCommand {
  const text = line.trim()
  if (text === '') return { kind: 'empty' }
  if (text === 'help' || text === '?') return { kind: 'help' }
  if (text === 'observe') return { kind: 'observe' }
  if (text === 'quit' || text === 'exit') return { kind: 'quit' }
  if (text.startsWith('{')) {
    try {
      return { kind: 'action', action: JSON.parse(text) as unknown }
    } catch (error) {
      return { kind: 'error', message: `not JSON: ${(error as Error).message}` }
    }
  }
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:\s+(.*))?$/s.exec(text)
  if (match === null) return { kind: 'error', message: 'write a tool call as Name {"param": value}, or type help' }
  const name = match[1]!
  const rest = match[2]?.trim() ?? ''
  if (rest === '') return { kind: 'action', action: { name, parameters: {} } }
  let parameters: unknown
  try {
    parameters = JSON.parse(rest)
  } catch (error) {
    return { kind: 'error', message: `the parameters are not JSON: ${(error as Error).message}` }
  }
  const isObject = parameters !== null && typeof parameters === 'object' && !Array.isArray(parameters)
  if (name === doneToolName && !(isObject && Object.keys(parameters as object).length === 1 && Object.hasOwn(parameters as object, 'answer'))) {
    return { kind: 'action', action: { name, parameters: { answer: parameters } } }
  }
  if (!isObject) return { kind: 'error', message: 'the parameters must be a JSON object, e.g. {"index": 0}' }
  return { kind: 'action', action: { name, parameters } }
}

function typeOf (schema: unknown): string {
  if (schema === null || typeof schema !== 'object') return 'any'
  const { type, enum: values, items } = schema as { type?: unknown, enum?: unknown[], items?: unknown }
  if (Array.isArray(values)) return values.map((value) => JSON.stringify(value)).join(' | ')
  if (type === 'array') return `${typeOf(items)}[]`
  if (Array.isArray(type)) return type.join(' | ')
  return typeof type === 'string' ? type : 'any'
}

/** Tool docs for a person: a signature, the description, then each parameter. */
export function formatToolDocs (tools: readonly ToolDescriptor[]): string {
  const lines: string[] = []
  for (const tool of tools) {
    const properties = Object.entries(tool.parameters.properties)
    lines.push(`  ${tool.name}(${properties.map(([name, schema]) => `${name}: ${typeOf(schema)}`).join(', ')})`)
    lines.push(`      ${tool.description}`)
    for (const [name, schema] of properties) lines.push(`      ${name}: ${schema?.description ?? ''}`)
  }
  return lines.join('\n')
}

const helpText = [
  'One tool call per line:',
  '  Name                          a tool without parameters, e.g. Observe',
  '  Name {"param": value}         e.g. GetElement {"index": 0}',
  '  {"name": ..., "parameters": {...}}   the JSON action an agent sends',
  '  Done <answer>                 submit the answer (same as Done {"answer": <answer>}); ends the episode',
  'and: help (this), observe (what Observe shows, without taking a step), quit.',
].join('\n')

function describeStart (runtime: Runtime, reset: ResetResult): string {
  const { manifest } = runtime.spec(reset.info.envId)
  const where = reset.info.taskId !== undefined ? `task ${reset.info.taskId}` : `seed ${reset.info.seed}${reset.info.difficulty !== undefined ? `, ${reset.info.difficulty}` : ''}`
  return `${reset.info.envId}: ${manifest.title} (${where}; at most ${reset.info.maxSteps} tool calls)`
}

function describeAction (action: unknown): string {
  if (action !== null && typeof action === 'object' && 'name' in action && typeof action.name === 'string') {
    const parameters = 'parameters' in action ? action.parameters : undefined
    const empty = parameters === undefined || (parameters !== null && typeof parameters === 'object' && Object.keys(parameters).length === 0)
    return empty ? action.name : `${action.name} ${JSON.stringify(parameters)}`
  }
  return JSON.stringify(action)
}

/** One line for a step's result; a second one when the episode ended. */
export function describeStep (action: unknown, result: StepResult): string {
  const { info } = result
  let line = `[${info.step}/${info.maxSteps}] ${describeAction(action)} -> ${observationText(result.observation)}`
  if (info.rolledBack) line += `  (rolled back: ${info.error?.code ?? 'error'})`
  if (result.terminated) line += `\nreward ${result.reward}: the episode is over (${info.correct === true ? 'correct' : 'incorrect'} answer)`
  else if (result.truncated) line += `\nreward ${result.reward}: the episode was truncated at the step limit`
  return line
}

function resolveEnv (runtime: Runtime, name: string): string {
  const ids = runtime.envIds().filter((id) => envNameMatches(name, id, runtime.spec(id).dir))
  if (ids.length === 1) return ids[0]!
  throw new CodeGymError('unknown_env', `no env ${JSON.stringify(name)}; the envs are ${runtime.envIds().join(', ')}`)
}

function episodeOptions<T> (cli: Argv<T>) {
  return envsOption(cli)
    .positional('env', { type: 'string', demandOption: true, describe: 'env id or folder name, e.g. max-subarray' })
    .option('seed', { type: 'number', describe: 'seed of the generated task and the episode (default: drawn)' })
    .option('difficulty', { type: 'string', describe: 'difficulty of the generated task (default: the easiest)' })
    .option('task', { type: 'string', describe: 'a fixed task from tasks.jsonl instead of a generated one' })
    .option('max-steps', { type: 'number', describe: 'T_max for this episode (default: the env\'s)' })
    .conflicts('task', 'difficulty')
}

function resetOptions (args: { seed?: number | undefined, difficulty?: string | undefined, task?: string | undefined, maxSteps?: number | undefined }): ResetOptions {
  const options: ResetOptions = {}
  if (args.seed !== undefined) options.seed = args.seed
  if (args.difficulty !== undefined) options.difficulty = args.difficulty
  if (args.task !== undefined) options.task = args.task
  if (args.maxSteps !== undefined) options.maxSteps = args.maxSteps
  return options
}

async function play (runtime: Runtime, envId: string, options: ResetOptions): Promise<void> {
  const { episode, ...reset } = await runtime.reset(envId, options)
  const interactive = process.stdin.isTTY === true
  console.log(describeStart(runtime, reset))
  console.log(`\nTask: ${reset.info.task}\n\nTools:\n${formatToolDocs(reset.info.tools)}\n\n${helpText}\n`)
  const lines = createInterface({ input: process.stdin, terminal: interactive })
  const prompt = (): void => { if (interactive) process.stdout.write(`[${episode.stepCount}/${episode.maxSteps}] > `) }
  prompt()
  try {
    for await (const line of lines) {
      const command = parsePlayCommand(line)
      if (command.kind === 'quit') break
      if (command.kind === 'help') console.log(helpText)
      else if (command.kind === 'observe') console.log(observationText(await episode.observe()))
      else if (command.kind === 'error') console.log(`? ${command.message}`)
      else if (command.kind === 'action') {
        const result = await episode.step(command.action)
        console.log(describeStep(command.action, result))
        if (result.terminated || result.truncated) return
      }
      prompt()
    }
    console.log(`the episode was left unfinished after ${episode.stepCount} of ${episode.maxSteps} tool calls`)
  } finally {
    lines.close()
    episode.close()
  }
}

async function watchOracle (runtime: Runtime, envId: string, options: ResetOptions): Promise<void> {
  const spec = runtime.spec(envId)
  const { episode, ...reset } = await runtime.reset(envId, options)
  console.log(describeStart(runtime, reset))
  console.log(`\nTask: ${reset.info.task}\n`)
  const oracle = oraclePolicy(spec)
  let last: unknown
  const show = (move: ReturnType<typeof oracle.start>): typeof move => {
    if ('action' in move) last = move.action
    return move
  }
  try {
    const played = await playEpisode(episode, reset, {
      start: (start) => show(oracle.start(start)),
      next: (result) => {
        console.log(describeStep(last, result))
        return show(oracle.next(result))
      },
    })
    const final = played.steps.at(-1)
    if (final !== undefined && (played.terminated || played.truncated)) console.log(describeStep(last, final))
    const tools = played.distinctTools.filter((name) => name !== doneToolName && name !== observeToolName)
    console.log(`${played.toolCalls} tool calls, ${tools.length} distinct env tools (${tools.join(', ')})`)
    if (played.policyError !== undefined) throw new Error(`the oracle stopped: ${played.policyError}`)
    if (played.reward !== 1) process.exitCode = 1
  } finally {
    oracle.dispose()
    episode.close()
  }
}

export function playCommands<T> (cli: Argv<T>): Argv<T> {
  return cli
    .command('play <env>', 'play an episode by hand: type tool calls, see observations and the reward (stdin may be piped)',
      episodeOptions,
      (args) => withRuntime(args.envs, (runtime) => play(runtime, resolveEnv(runtime, args.env), resetOptions(args))))
    .command('oracle <env>', 'watch the env\'s oracle solve a task, step by step; exits 1 unless it earns reward 1',
      episodeOptions,
      (args) => withRuntime(args.envs, (runtime) => watchOracle(runtime, resolveEnv(runtime, args.env), resetOptions(args))))
}
