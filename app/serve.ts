// `codegym serve` / `codegym-serve`: the server on the bundled envs (or --envs), every limit a flag.
import cluster from 'node:cluster'
import { isIP } from 'node:net'
import type { Argv } from 'yargs'
import { pino, type Logger } from 'pino'
import { bundledEnvsDir } from '../src/env/runtime.ts'
import { defaultSandboxPoolOptions, type SandboxPoolOptions } from '../src/sandbox/limits.ts'
import { defaultServerLimits, type ServerLimits } from '../src/server/limits.ts'
import { CodeGymServer, defaultDrainGraceMs, defaultDrainTimeoutMs, defaultHost, defaultPort, type ServerOptions } from '../src/server/server.ts'
import { ClusterPrimary, defaultClusterLimits, defaultSandboxWorkers, defaultServerWorkers } from '../src/server/cluster.ts'
import { minTokenChars } from '../src/server/auth.ts'
import { minSnapshotKeyBytes, processSnapshotKeys } from '../src/env/snapshot-keys.ts'
import { resolveSnapshotKeys, resolveTokens } from './serve-secrets.ts'
import { defaultServerProcessOptions, serverSemiSpaceEnvVariable } from '../src/sandbox/process-flags.ts'
import { clusterWorkerIndex, connectToPrimary, workerServerOptions, workerShareOfLimits } from '../src/server/cluster-worker.ts'

const kebab = (name: string): string => name.replace(/[A-Z]/g, (letter) => '-' + letter.toLowerCase())

/**
 * Flag names that differ from their defaults-table names: `--workers` is the number of server
 * processes, so the sandbox pool's `workers` is `--sandbox-workers`.
 */
const flagNames: Readonly<Record<string, string>> = { workers: 'sandboxWorkers' }
const flagName = (name: string): string => flagNames[name] ?? name

/** Flags for every limit, made from the defaults tables so a new limit is a new flag. */
function limitOptions<T> (cli: Argv<T>, table: Readonly<Record<string, number>>, group: string, computedDefaults: Readonly<Record<string, string>> = {}): Argv<T> {
  let withOptions = cli
  for (const [name, value] of Object.entries(table)) {
    const computed = computedDefaults[name]
    withOptions = withOptions.option(kebab(flagName(name)), computed === undefined
      ? { type: 'number', default: value, group, describe: name }
      : { type: 'number', defaultDescription: computed, group, describe: name })
  }
  return withOptions
}

function pick<K extends string> (args: Record<string, unknown>, table: Readonly<Record<K, number>>): Partial<Record<K, number>> {
  const picked: Partial<Record<K, number>> = {}
  for (const name of Object.keys(table) as K[]) {
    const value = args[flagName(name)]
    if (value !== undefined) picked[name] = value as number
  }
  return picked
}

function positiveInteger (flag: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${flag} takes a whole number of at least 1; got ${value}`)
  return value
}

function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'))
}

const memoryGroup = 'Server process memory (each saves memory under load and costs CPU):'

export function serveOptions<T> (cli: Argv<T>) {
  const base = cli
    .option('port', { type: 'number', default: defaultPort, describe: 'TCP port (0: any free port)' })
    .option('host', { type: 'string', default: defaultHost, describe: 'address to bind; a non-loopback address needs --token' })
    .option('envs', { type: 'string', array: true, default: [bundledEnvsDir], describe: 'env folders' })
    .option('token', { type: 'string', array: true, describe: `require this token in hello and on /metrics and /envs (at least ${minTokenChars} characters; give it again to accept several while rotating; also $CODEGYM_TOKEN, comma-separated)` })
    .option('token-file', { type: 'string', describe: 'a file of accepted tokens, one per line (a mounted Secret)' })
    .option('snapshot-key', { type: 'string', describe: `the key snapshots are signed with (at least ${minSnapshotKeyBytes} bytes; visible in the process list: prefer --snapshot-key-file or $CODEGYM_SNAPSHOT_KEY). Default: a random key of this server, so its snapshots restore only on it` })
    .option('snapshot-key-file', { type: 'string', describe: 'a file holding the snapshot signing key (share it between the servers a client moves sessions across)' })
    .option('snapshot-old-keys-file', { type: 'string', describe: 'a file of old snapshot keys, one per line, still accepted by restore after a rotation (also $CODEGYM_SNAPSHOT_OLD_KEYS, comma-separated)' })
    .option('drain-grace-ms', { type: 'number', default: defaultDrainGraceMs, describe: 'on SIGTERM, time clients may go on using sessions (to move them elsewhere) before reading stops; ends early once no session is left' })
    .option('drain-timeout-ms', { type: 'number', default: defaultDrainTimeoutMs, describe: 'on SIGTERM, time to wait for requests in flight' })
    .option('log-level', { type: 'string', default: 'info', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'silent'] })
    .option('workers', { type: 'number', default: defaultServerWorkers, describe: 'server processes on the one port, each with its own sandbox pool (default: one per core; 1: a single process, no primary)' })
    // Read by bin/ before the server starts (see process-flags.ts); declared here for --help.
    .option('server-semi-space-mb', { type: 'number', default: defaultServerProcessOptions.serverSemiSpaceMb, group: memoryGroup, describe: `cap on one V8 semi-space of the server process in MiB (0: V8's default, up to 64; also $${serverSemiSpaceEnvVariable}; a --max-semi-space-size given to Node wins)` })
    .option('server-heap-growing-percent', { type: 'number', default: defaultServerProcessOptions.serverHeapGrowingPercent, group: memoryGroup, describe: 'how far V8 lets the old space of the server process grow past its live data before collecting it, in percent (0: V8\'s default; also $CODEGYM_SERVER_HEAP_GROWING_PERCENT; a --heap-growing-percent given to Node wins)' })
    .option('malloc-arena-max', { type: 'number', default: defaultServerProcessOptions.mallocArenaMax, group: memoryGroup, describe: 'glibc malloc arenas of the server and its sandbox processes (0: glibc\'s default of up to 8 per core; a MALLOC_ARENA_MAX in the environment wins)' })
  const withLimits = limitOptions(limitOptions(base, defaultServerLimits, 'Protocol limits:'), defaultSandboxPoolOptions, 'Sandbox limits:', {
    workers: 'cores / --workers, at least 1',
  })
  return limitOptions(withLimits, defaultClusterLimits, 'Server worker limits (--workers 2 or more):')
}

export async function serve (args: Awaited<ReturnType<typeof serveOptions>['argv']>): Promise<void> {
  const tokens = resolveTokens(args)
  if (!isLoopback(args.host) && tokens.length === 0) {
    throw new Error(`binding to ${args.host} exposes the server beyond this machine: give --token, --token-file or CODEGYM_TOKEN`)
  }
  const snapshotKeys = resolveSnapshotKeys(args, process.env, () => processSnapshotKeys)
  const workers = positiveInteger('workers', args.workers)
  const sandboxWorkers = positiveInteger('sandbox-workers', (args.sandboxWorkers as number | undefined) ?? defaultSandboxWorkers(workers))
  const workerIndex = clusterWorkerIndex()
  const logger = pino({ name: 'codegym-serve', level: args.logLevel, ...(workerIndex === undefined ? {} : { base: { worker: workerIndex, pid: process.pid } }) }, pino.destination(2))
  const serverOptions: ServerOptions = {
    host: args.host,
    port: args.port,
    envDirs: args.envs,
    token: tokens,
    snapshotKeys,
    limits: pick(args, defaultServerLimits) as Partial<ServerLimits>,
    sandbox: { ...pick(args, defaultSandboxPoolOptions), workers: sandboxWorkers } as Partial<SandboxPoolOptions>,
    drainGraceMs: args.drainGraceMs,
    drainTimeoutMs: args.drainTimeoutMs,
    logger,
  }
  if (workers > 1 && cluster.isPrimary) return servePrimary(workers, { ...args, tokens }, logger)
  if (workerIndex !== undefined) {
    const limits = { ...defaultServerLimits, ...serverOptions.limits }
    return serveWorker(workerIndex, { ...serverOptions, limits: { ...limits, ...workerShareOfLimits(limits, workers) } }, logger)
  }
  const server = await CodeGymServer.start(serverOptions)
  const stop = (signal: string): void => {
    logger.info({ signal }, 'shutting down')
    server.drain().then(() => process.exit(0), (error: unknown) => {
      logger.error({ err: error }, 'drain failed')
      process.exit(1)
    })
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
}

/** The primary of `--workers N`: owns the port, starts N workers (this same command), drains them all on SIGTERM. */
async function servePrimary (workers: number, args: Record<string, unknown> & { host: string, port: number, tokens: string[] }, logger: Logger): Promise<void> {
  const serverLimits = { ...defaultServerLimits, ...pick(args, defaultServerLimits) }
  const primary = await ClusterPrimary.start({ workers, host: args.host, port: args.port, logger, tokens: args.tokens, limits: pick(args, defaultClusterLimits), unauthenticated: serverLimits })
  const stop = (signal: string): void => {
    logger.info({ signal }, 'shutting down')
    void primary.drain().then((clean) => process.exit(clean ? 0 : 1))
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
}

/** A worker of `--workers N`: drains when its primary says so, and exits. */
function serveWorker (index: number, options: ServerOptions, logger: Logger): void {
  // The primary coordinates: Ctrl-C, and process managers that signal the whole process group
  // (systemd's control-group mode), reach the workers too, and a worker that drained on its own
  // before the primary did would be replaced as if it had died.
  process.on('SIGINT', () => {})
  process.on('SIGTERM', () => {})
  const starting = CodeGymServer.start({ ...options, ...workerServerOptions(index) })
  connectToPrimary(starting, (error) => {
    if (error !== undefined) logger.error({ err: error }, 'server worker failed')
    process.exit(error === undefined ? 0 : 1)
  })
}

export function serveCommand<T> (cli: Argv<T>): Argv<T> {
  return cli.command('serve', 'run codegym-serve: the WebSocket server for the envs', serveOptions, serve)
}
