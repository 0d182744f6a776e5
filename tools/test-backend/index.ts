// A deterministic OpenAI-compatible backend for tests and benchmarks of rollout clients: chat and
// completions endpoints (vLLM's token-id fields) and SGLang's /generate, replies from a policy
// that sees the prompt, the tools, the turn and the seed. The same request always gets the same
// reply, whatever the order requests arrive in.
import { loadChatTokenizer } from '../../clients/grpo/tokenizer.ts'
import { testBackendDefaults } from './defaults.ts'
import { seededPolicy } from './policies.ts'
import { segmentCodec } from './segment-cache.ts'
import { BackendServer } from './server.ts'
import type { TestBackend, TestBackendOptions } from './types.ts'

export type { CallFormat, ChatServer, TestSampling, TestBackend, TestBackendOptions, TestBackendStats, TestPolicy, TestPolicyInput, TestPolicyTool, TestReply } from './types.ts'
export { malformedCallReplies, scriptedPolicy, seededPolicy, type SeededPolicyOptions } from './policies.ts'
export { testBackendDefaults } from './defaults.ts'

const callFormats = new Set(['openai', 'hermes', 'paper'])

export async function startTestBackend (options: TestBackendOptions = {}): Promise<TestBackend> {
  const settings = { ...testBackendDefaults, ...definedOnly(options) }
  for (const name of ['latencyMs', 'perTokenLatencyMs'] as const) {
    if (!Number.isFinite(settings[name]) || settings[name] < 0) throw new RangeError(`startTestBackend: ${name} must be a number >= 0, not ${settings[name]}`)
  }
  for (const name of ['maxContextTokens', 'maxRequestBytes'] as const) {
    if (!Number.isSafeInteger(settings[name]) || settings[name] < 1) throw new RangeError(`startTestBackend: ${name} must be a positive integer, not ${settings[name]}`)
  }
  const callFormat = options.callFormat ?? 'openai'
  if (!callFormats.has(callFormat)) throw new RangeError(`startTestBackend: callFormat must be openai, hermes or paper, not ${String(callFormat)}`)
  const chatServer = options.chatServer ?? 'vllm'
  if (chatServer !== 'vllm' && chatServer !== 'llama.cpp') throw new RangeError(`startTestBackend: chatServer must be vllm or llama.cpp, not ${String(chatServer)}`)
  const tokenizer = options.tokenizer ?? await loadChatTokenizer()
  const knownIds = new Set<number>()
  const server = new BackendServer({
    host: settings.host,
    port: settings.port,
    model: settings.model,
    tokenizer,
    policy: options.policy ?? seededPolicy(),
    callFormat,
    latencyMs: settings.latencyMs,
    perTokenLatencyMs: settings.perTokenLatencyMs,
    maxRequestBytes: settings.maxRequestBytes,
    requestContext: {
      tokenizer,
      callFormat,
      chatServer,
      maxContextTokens: settings.maxContextTokens,
      completionsMaxTokens: settings.completionsMaxTokens,
      generateMaxNewTokens: settings.generateMaxNewTokens,
      maxLogprobs: settings.maxLogprobs,
      codec: segmentCodec(tokenizer, settings.promptCacheEntries),
      // The tokenizer decodes an unknown id to nothing: that is how an id outside the vocabulary shows.
      isKnownId: (id) => {
        if (knownIds.has(id)) return true
        if (tokenizer.decode([id]) === '') return false
        knownIds.add(id)
        return true
      },
    },
  })
  const url = await server.listen()
  return {
    url,
    stats: () => server.stats(),
    resetStats: () => server.resetStats(),
    close: () => server.close(),
  }
}

function definedOnly<T extends object> (options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>
}
