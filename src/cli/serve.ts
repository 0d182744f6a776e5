// `codegym serve` / `codegym-serve`: the server on the bundled envs (or --envs), every limit a flag.
import { isIP } from 'node:net'
import type { Argv } from 'yargs'
import { pino } from 'pino'
import { bundledEnvsDir } from '../env/runtime.ts'
import { defaultSandboxPoolOptions, type SandboxPoolOptions } from '../sandbox/limits.ts'
import { defaultServerLimits, type ServerLimits } from '../server/limits.ts'
import { CodeGymServer, defaultHost, defaultPort } from '../server/server.ts'

const kebab = (name: string): string => name.replace(/[A-Z]/g, (letter) => '-' + letter.toLowerCase())

/** Flags for every limit, made from the defaults tables so a new limit is a new flag. */
function limitOptions<T> (cli: Argv<T>, table: Readonly<Record<string, number>>, group: string): Argv<T> {
  let withOptions = cli
  for (const [name, value] of Object.entries(table)) {
    withOptions = withOptions.option(kebab(name), { type: 'number', default: value, group, describe: name })
  }
  return withOptions
}

function pick<K extends string> (args: Record<string, unknown>, table: Readonly<Record<K, number>>): Record<K, number> {
  const picked = {} as Record<K, number>
  for (const name of Object.keys(table) as K[]) picked[name] = args[name] as number
  return picked
}

function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'))
}

export function serveOptions<T> (cli: Argv<T>) {
  const base = cli
    .option('port', { type: 'number', default: defaultPort, describe: 'TCP port (0: any free port)' })
    .option('host', { type: 'string', default: defaultHost, describe: 'address to bind; a non-loopback address needs --token' })
    .option('envs', { type: 'string', array: true, default: [bundledEnvsDir], describe: 'env folders' })
    .option('token', { type: 'string', describe: 'require this token in hello (default: $CODEGYM_TOKEN)' })
    .option('drain-grace-ms', { type: 'number', default: 0, describe: 'on SIGTERM, time clients may go on using sessions before reading stops' })
    .option('drain-timeout-ms', { type: 'number', default: 30_000, describe: 'on SIGTERM, time to wait for requests in flight' })
    .option('log-level', { type: 'string', default: 'info', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'silent'] })
  return limitOptions(limitOptions(base, defaultServerLimits, 'Protocol limits:'), defaultSandboxPoolOptions, 'Sandbox limits:')
}

export async function serve (args: Awaited<ReturnType<typeof serveOptions>['argv']>): Promise<void> {
  const token = args.token ?? process.env.CODEGYM_TOKEN
  if (!isLoopback(args.host) && token === undefined) {
    throw new Error(`binding to ${args.host} exposes the server beyond this machine: give --token (or CODEGYM_TOKEN)`)
  }
  const logger = pino({ name: 'codegym-serve', level: args.logLevel }, pino.destination(2))
  const server = await CodeGymServer.start({
    host: args.host,
    port: args.port,
    envDirs: args.envs,
    token,
    limits: pick(args, defaultServerLimits) as Partial<ServerLimits>,
    sandbox: pick(args, defaultSandboxPoolOptions) as Partial<SandboxPoolOptions>,
    drainGraceMs: args.drainGraceMs,
    drainTimeoutMs: args.drainTimeoutMs,
    logger,
  })
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

export function serveCommand<T> (cli: Argv<T>): Argv<T> {
  return cli.command('serve', 'run codegym-serve: the WebSocket server for the envs', serveOptions, serve)
}
