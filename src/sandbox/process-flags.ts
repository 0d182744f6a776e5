// Node/V8 memory flags of the server's own processes: the server process (and its --workers) and
// the sandbox processes. V8 sizes its heap when a process starts, so these are command-line flags
// of the process, not settings a running process can change (v8.setFlagsFromString is too late).
import type { SandboxPoolOptions } from './limits.ts'

/**
 * Memory settings of the server process, read before it starts (see serverNodeFlags). Each is a
 * V8 flag; 0 leaves V8's own default.
 */
export interface ServerProcessOptions {
  /**
   * Cap on one V8 semi-space of the server process, in MiB (V8's `--max-semi-space-size`). The young
   * generation is two semi-spaces plus promotion room; under allocation pressure V8 grows a
   * semi-space to its cap (64 MiB by default on a 64-bit machine with more than 2 GiB) and keeps
   * those pages resident. The server's young objects are per-request and short-lived, so a smaller
   * cap costs a few more scavenges and saves that resident memory.
   */
  serverSemiSpaceMb: number
}

export const defaultServerProcessOptions: Readonly<ServerProcessOptions> = Object.freeze({
  serverSemiSpaceMb: 16,
})

/** The environment variable that sets serverSemiSpaceMb when the command line does not. */
export const serverSemiSpaceEnvVariable = 'CODEGYM_SERVER_SEMI_SPACE_MB'
const serverSemiSpaceFlag = '--server-semi-space-mb'

/** The V8 flags a sandbox process is started with (child_process.fork's execArgv). */
export function sandboxExecArgv (options: Pick<SandboxPoolOptions, 'sandboxProcessHeapMb' | 'sandboxProcessSemiSpaceMb'>): string[] {
  return [
    `--max-old-space-size=${options.sandboxProcessHeapMb}`,
    ...(options.sandboxProcessSemiSpaceMb > 0 ? [`--max-semi-space-size=${options.sandboxProcessSemiSpaceMb}`] : []),
  ]
}

/** Why the server's memory settings could not be read: the message names the flag and the value. */
export class ProcessFlagError extends Error {}

function wholeMebibytes (source: string, text: string): number {
  const value = Number(text)
  if (text.trim() === '' || !Number.isSafeInteger(value) || value < 0) {
    throw new ProcessFlagError(`${source} takes a whole number of MiB (0: V8's default); got ${JSON.stringify(text)}`)
  }
  return value
}

/**
 * The server's memory settings from its command line (`--server-semi-space-mb N` or `=N`, the last
 * one wins, as yargs reads it), else the environment, else the defaults.
 */
export function serverProcessOptions (args: readonly string[], env: NodeJS.ProcessEnv): ServerProcessOptions {
  let fromArgs: string | undefined
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--') break
    if (arg === serverSemiSpaceFlag) fromArgs = args[++i] ?? ''
    else if (arg.startsWith(serverSemiSpaceFlag + '=')) fromArgs = arg.slice(serverSemiSpaceFlag.length + 1)
  }
  const fromEnv = env[serverSemiSpaceEnvVariable]
  return {
    serverSemiSpaceMb: fromArgs !== undefined
      ? wholeMebibytes(serverSemiSpaceFlag, fromArgs)
      : fromEnv !== undefined ? wholeMebibytes(serverSemiSpaceEnvVariable, fromEnv) : defaultServerProcessOptions.serverSemiSpaceMb,
  }
}

/** Whether Node was already given this V8 flag, on its command line or in NODE_OPTIONS. */
function given (flag: string, execArgv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  // V8 reads `_` and `-` in flag names alike.
  const mentions = (text: string): boolean => text.split('=')[0]!.replace(/_/g, '-') === flag
  return execArgv.some(mentions) || (env.NODE_OPTIONS ?? '').split(/\s+/).some(mentions)
}

/**
 * The V8 flags the server process lacks: what bin/ adds by re-executing Node before the server
 * starts. A flag the user gave Node (on its command line, or in NODE_OPTIONS) wins over ours, and
 * a process started with our flags needs nothing, so a re-executed process does not loop.
 */
export function missingServerNodeFlags (options: ServerProcessOptions, execArgv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const wanted: Array<[string, number]> = [['--max-semi-space-size', options.serverSemiSpaceMb]]
  return wanted.filter(([flag, value]) => value > 0 && !given(flag, execArgv, env)).map(([flag, value]) => `${flag}=${value}`)
}

/**
 * Restarts this process image with the server's V8 flags when it lacks them: same pid, same
 * arguments, same environment (process.execve, so a process manager sees no new process). Where
 * execve is not available (Windows), the server runs with V8's defaults.
 */
export function reexecWithServerFlags (args: readonly string[] = process.argv.slice(2)): void {
  const flags = missingServerNodeFlags(serverProcessOptions(args, process.env), process.execArgv, process.env)
  if (flags.length === 0 || typeof process.execve !== 'function') return
  process.execve(process.execPath, [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)], process.env)
}
