// `codegym conformance <ws-url>`: checks a running server against PROTOCOL.md over the wire.
import type { Argv } from 'yargs'
import { runConformance } from '../src/conformance/runner.ts'
import type { Codec } from '../src/conformance/wire.ts'
import { tokensOfVariable } from './serve-secrets.ts'

/** Longest wait for any one answer of the server under test. */
const defaultAnswerTimeoutMs = 10_000

export function conformanceCommand<T> (cli: Argv<T>): Argv<T> {
  return cli.command('conformance <url>', 'check a running server against PROTOCOL.md (one line per check; exits 1 if any fails)',
    (command) => command
      .positional('url', { type: 'string', demandOption: true, describe: 'the server\'s WebSocket URL, e.g. ws://127.0.0.1:8765/' })
      .option('token', { type: 'string', describe: 'the server\'s token (default: the first of $CODEGYM_TOKEN); with it, the unauthorized checks run too' })
      .option('codec', { type: 'string', choices: ['msgpack', 'json', 'both'], default: 'both', describe: 'run the checks over MessagePack, JSON, or each in turn' })
      .option('timeout-ms', { type: 'number', default: defaultAnswerTimeoutMs, describe: 'longest wait for any one answer' }),
    async (args) => {
      if (!/^wss?:\/\//.test(args.url)) throw new Error(`the URL must start with ws:// or wss://; got ${args.url}`)
      const codecs: Codec[] = args.codec === 'both' ? ['msgpack', 'json'] : [args.codec as Codec]
      const summary = await runConformance({ url: args.url, token: args.token ?? tokensOfVariable()?.[0], codecs, timeoutMs: args.timeoutMs }, (line) => console.log(line))
      if (summary.skipped > 0) console.log(`${summary.skipped} skipped (not provokable on this server; the reason is on each line)`)
      console.log(`${summary.passed} passed, ${summary.failed} failed`)
      process.exitCode = summary.failed > 0 ? 1 : 0
    })
}
