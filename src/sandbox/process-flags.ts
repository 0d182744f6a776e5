// Node/V8 memory flags of the server's own processes: the server process (and its --workers) and
// the sandbox processes. V8 sizes its heap when a process starts, so these are command-line flags
// of the process, not settings a running process can change (v8.setFlagsFromString is too late).
import type { SandboxPoolOptions } from './limits.ts'

/**
 * Memory settings of the server process, read before it starts (see serverProcessOptions); 0
 * leaves the default of V8 or glibc. The server's --workers inherit them, and its sandbox processes
 * inherit mallocArenaMax.
 *
 * Measured with the load generator of bench/load at 4,096 sessions stepping over 16 connections
 * for 10 s (2 cores, busy, one server worker, 2 sandbox processes; 2–3 runs per setting alternated
 * with runs without it): the server's resident memory grew ~220 MiB (~55 KiB per session for the
 * whole process tree), the sandbox processes' 2–5 MiB each. Nearly all of it is V8 heap that is not
 * live (a heap snapshot mid-run holds ~11 MiB more than idle): a young generation grown to its
 * cap, and promoted garbage in old space waiting for the next mark-compact. Each setting below
 * cuts part of that and costs more server CPU per step than the 5% we accept (numbers on each),
 * because the requests in flight survive scavenges and get promoted; so none is on by default.
 * They get cheaper as a step keeps fewer objects alive while it waits.
 */
export interface ServerProcessOptions {
  /**
   * Cap on one V8 semi-space of the server process, in MiB (V8's `--max-semi-space-size`). The young
   * generation is two semi-spaces; under allocation pressure V8 grows a semi-space to its cap (64
   * MiB on a 64-bit machine with more than 2 GiB) and those pages stay resident. Measured: 16 saved
   * ~60 MiB and cost +25% server CPU per step (+14% for the tree); 8 and 4 saved no more and cost
   * +30–35%. With a 1 GiB old-space cap, 2 reached ~12 KiB per session at +38% tree CPU.
   */
  serverSemiSpaceMb: number
  /**
   * How far V8 lets old space grow past what survived the last mark-compact before the next one,
   * in percent (V8's `--heap-growing-percent`; by default V8 picks up to 300 on a large machine).
   * Measured: 50 saved ~75 MiB and cost +14% server CPU per step (+8% tree); 100 saved ~60 MiB
   * for +10% (+6%).
   */
  serverHeapGrowingPercent: number
  /**
   * glibc malloc arenas of the process (`MALLOC_ARENA_MAX`; by default up to 8 per core). Threads
   * that contend for malloc get arenas of their own, each keeping what was freed into it. Measured:
   * 2 saved ~7 MiB of the idle server, nothing measurable under load, for +5% server CPU per step;
   * 1 saved ~10 MiB idle for +1% (within noise). A MALLOC_ARENA_MAX in the environment wins.
   */
  mallocArenaMax: number
}

export const defaultServerProcessOptions: Readonly<ServerProcessOptions> = Object.freeze({
  serverSemiSpaceMb: 0,
  serverHeapGrowingPercent: 0,
  mallocArenaMax: 0,
})

/** The environment variable that sets serverSemiSpaceMb when the command line does not. */
export const serverSemiSpaceEnvVariable = 'CODEGYM_SERVER_SEMI_SPACE_MB'

/**
 * Each setting: its codegym-serve flag, an environment variable that sets it when the flag is
 * absent, and how it reaches the process: a V8 flag or an environment variable read at startup.
 */
const serverSettings: ReadonlyArray<{
  name: keyof ServerProcessOptions
  flag: string
  envVariable?: string
  applies: { v8Flag: string } | { processEnv: string }
}> = [
  { name: 'serverSemiSpaceMb', flag: '--server-semi-space-mb', envVariable: serverSemiSpaceEnvVariable, applies: { v8Flag: '--max-semi-space-size' } },
  { name: 'serverHeapGrowingPercent', flag: '--server-heap-growing-percent', envVariable: 'CODEGYM_SERVER_HEAP_GROWING_PERCENT', applies: { v8Flag: '--heap-growing-percent' } },
  { name: 'mallocArenaMax', flag: '--malloc-arena-max', applies: { processEnv: 'MALLOC_ARENA_MAX' } },
]

/** The V8 flags a sandbox process is started with (child_process.fork's execArgv). */
export function sandboxExecArgv (options: Pick<SandboxPoolOptions, 'sandboxProcessHeapMb' | 'sandboxProcessSemiSpaceMb'>): string[] {
  return [
    `--max-old-space-size=${options.sandboxProcessHeapMb}`,
    ...(options.sandboxProcessSemiSpaceMb > 0 ? [`--max-semi-space-size=${options.sandboxProcessSemiSpaceMb}`] : []),
  ]
}

/** Why the server's memory settings could not be read: the message names the flag and the value. */
export class ProcessFlagError extends Error {}

function wholeNumber (source: string, text: string): number {
  const value = Number(text)
  if (text.trim() === '' || !Number.isSafeInteger(value) || value < 0) {
    throw new ProcessFlagError(`${source} takes a whole number (0: the default of Node or glibc); got ${JSON.stringify(text)}`)
  }
  return value
}

/**
 * The server's memory settings from its command line (`--server-semi-space-mb N` or `=N`, the last
 * one wins, as yargs reads it), else the environment, else the defaults.
 */
export function serverProcessOptions (args: readonly string[], env: NodeJS.ProcessEnv): ServerProcessOptions {
  const options = { ...defaultServerProcessOptions }
  for (const { name, flag, envVariable } of serverSettings) {
    let fromArgs: string | undefined
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!
      if (arg === '--') break
      if (arg === flag) fromArgs = args[++i] ?? ''
      else if (arg.startsWith(flag + '=')) fromArgs = arg.slice(flag.length + 1)
    }
    const fromEnv = envVariable === undefined ? undefined : env[envVariable]
    if (fromArgs !== undefined) options[name] = wholeNumber(flag, fromArgs)
    else if (fromEnv !== undefined) options[name] = wholeNumber(envVariable!, fromEnv)
  }
  return options
}

/** Whether Node was already given this V8 flag, on its command line or in NODE_OPTIONS. */
function given (flag: string, execArgv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  // V8 reads `_` and `-` in flag names alike.
  const mentions = (text: string): boolean => text.split('=')[0]!.replace(/_/g, '-') === flag
  return execArgv.some(mentions) || (env.NODE_OPTIONS ?? '').split(/\s+/).some(mentions)
}

/** What the server process lacks of its settings: V8 flags, and environment variables for glibc. */
export interface MissingServerSettings {
  nodeFlags: string[]
  env: Record<string, string>
}

/**
 * What bin/ adds by re-executing Node before the server starts. A flag the user gave Node (on its
 * command line, or in NODE_OPTIONS) or a variable already in the environment wins over ours, and a
 * process started with our settings lacks nothing, so a re-executed process does not loop.
 */
export function missingServerSettings (options: ServerProcessOptions, execArgv: readonly string[], env: NodeJS.ProcessEnv): MissingServerSettings {
  const missing: MissingServerSettings = { nodeFlags: [], env: {} }
  for (const { name, applies } of serverSettings) {
    const value = options[name]
    if (value === 0) continue
    if ('v8Flag' in applies) {
      if (!given(applies.v8Flag, execArgv, env)) missing.nodeFlags.push(`${applies.v8Flag}=${value}`)
    } else if (env[applies.processEnv] === undefined) {
      missing.env[applies.processEnv] = String(value)
    }
  }
  return missing
}

/**
 * Restarts this process image with the server's settings when it lacks them: same pid, same
 * arguments, same environment plus ours (process.execve, so a process manager sees no new
 * process). Where execve is not available (Windows), the server runs with the defaults of Node.
 */
export function reexecWithServerFlags (args: readonly string[] = process.argv.slice(2)): void {
  const missing = missingServerSettings(serverProcessOptions(args, process.env), process.execArgv, process.env)
  if ((missing.nodeFlags.length === 0 && Object.keys(missing.env).length === 0) || typeof process.execve !== 'function') return
  process.execve(process.execPath, [process.execPath, ...missing.nodeFlags, ...process.execArgv, ...process.argv.slice(1)], { ...process.env, ...missing.env })
}
