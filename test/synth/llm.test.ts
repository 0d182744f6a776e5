// The pipeline's Chat Completions client: retries, time-outs, bounded concurrency, seeds.
import t from 'tap'
import { loadChatTokenizer } from '../../clients/grpo/index.ts'
import { startTestBackend, type TestPolicy } from '../../tools/test-backend/index.ts'
import { defaultLlmSettings } from '../../src/synth/defaults.ts'
import { chatCompletionsUrl, LlmClient, LlmError, parseChatCompletion } from '../../src/synth/llm.ts'

// Loaded once: each backend would load it again.
const tokenizer = await loadChatTokenizer()

async function withBackend (policy: TestPolicy, use: (url: string, stats: () => { requests: number, maxInFlight: number, requestsBySeed: Record<string, number> }) => Promise<void>): Promise<void> {
  const backend = await startTestBackend({ policy, tokenizer })
  try {
    await use(backend.url, backend.stats)
  } finally {
    await backend.close()
  }
}

const settings = (url: string, extra: Partial<typeof defaultLlmSettings> = {}) => ({ ...defaultLlmSettings, url, model: 'm', retryBaseDelayMs: 1, ...extra })

await t.test('the chat completions URL of a base URL', async (t) => {
  t.equal(chatCompletionsUrl('http://h:1'), 'http://h:1/v1/chat/completions')
  t.equal(chatCompletionsUrl('http://h:1/v1/'), 'http://h:1/v1/chat/completions')
  t.equal(chatCompletionsUrl('http://h:1/v1/chat/completions'), 'http://h:1/v1/chat/completions')
})

await t.test('429 and 5xx are retried, up to maxRetries', async (t) => {
  let calls = 0
  await withBackend(() => ++calls <= 2 ? { kind: 'http_error', status: calls === 1 ? 429 : 503 } : { kind: 'text', text: 'hello' }, async (url, stats) => {
    const reply = await new LlmClient(settings(url)).complete([{ role: 'user', content: 'hi' }])
    t.equal(reply.text, 'hello')
    t.equal(stats().requests, 3)
  })
  await withBackend(() => ({ kind: 'http_error', status: 500 }), async (url, stats) => {
    await t.rejects(new LlmClient(settings(url, { maxRetries: 2 })).complete([{ role: 'user', content: 'hi' }]), { name: 'LlmError', status: 500, message: /HTTP 500/ })
    t.equal(stats().requests, 3, 'one request and two retries')
  })
})

await t.test('other HTTP errors are not retried', async (t) => {
  await withBackend(() => ({ kind: 'http_error', status: 400 }), async (url, stats) => {
    const failure = await new LlmClient(settings(url)).complete([{ role: 'user', content: 'hi' }]).catch((error: unknown) => error)
    t.ok(failure instanceof LlmError)
    t.equal((failure as LlmError).status, 400)
    t.equal(stats().requests, 1)
  })
})

await t.test('a request past requestTimeoutMs is abandoned and retried', async (t) => {
  await withBackend(() => ({ kind: 'hang' }), async (url, stats) => {
    await t.rejects(new LlmClient(settings(url, { requestTimeoutMs: 50, maxRetries: 1 })).complete([{ role: 'user', content: 'hi' }]), { name: 'LlmError', message: /no answer within 50 ms/ })
    t.equal(stats().requests, 2)
  })
})

await t.test('at most `concurrency` requests are in flight; the seed is the settings seed plus the offset', async (t) => {
  await withBackend(() => ({ kind: 'delay', ms: 20, then: { kind: 'text', text: 'ok' } }), async (url, stats) => {
    const client = new LlmClient(settings(url, { concurrency: 2, seed: 100 }))
    const replies = await Promise.all([1, 2, 3, 4, 5].map((offset) => client.complete([{ role: 'user', content: `q${offset}` }], { seedOffset: offset })))
    t.same(replies.map((reply) => reply.text), ['ok', 'ok', 'ok', 'ok', 'ok'])
    t.equal(stats().maxInFlight, 2)
    t.same(Object.keys(stats().requestsBySeed).sort(), ['101', '102', '103', '104', '105'])
  })
  t.throws(() => new LlmClient(settings('http://h', { concurrency: 0 })), RangeError)
})

await t.test('a malformed response body is an LlmError', async (t) => {
  t.throws(() => parseChatCompletion('not json'), { name: 'LlmError', message: /not JSON/ })
  t.throws(() => parseChatCompletion('{"choices": []}'), { name: 'LlmError', message: /no choices\[0\]\.message/ })
  t.same(parseChatCompletion('{"choices": [{"message": {"content": "x"}, "finish_reason": "length"}]}'), { text: 'x', toolCalls: [], finishReason: 'length' })
})
