// Latency (lower bounds only), replies that hang, close() with requests in flight, and the counters.
import t from 'tap'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { startTestBackend, type TestBackend } from '../../../tools/test-backend/index.ts'
import { firstTurn, post, tokenizer, tools } from './helpers.ts'

/** Waits until the backend's counters say so; the test's own timeout bounds the wait. */
async function until (backend: TestBackend, condition: (stats: ReturnType<TestBackend['stats']>) => boolean): Promise<void> {
  while (!condition(backend.stats())) await sleep(5)
}

async function timed<T> (work: () => Promise<T>): Promise<{ ms: number, result: T }> {
  const start = performance.now()
  const result = await work()
  return { ms: performance.now() - start, result }
}

await t.test('latencyMs, perTokenLatencyMs and delay replies hold each answer back at least that long', async (t) => {
  const text = 'one two three four five six seven eight'
  const tokens = tokenizer.encode(text).length + 1
  const backend = await startTestBackend({
    tokenizer,
    latencyMs: 80,
    perTokenLatencyMs: 10,
    policy: (input) => input.seed === 1 ? { kind: 'delay', ms: 150, then: { kind: 'delay', ms: 50, then: { kind: 'text', text } } } : { kind: 'text', text },
  })
  t.teardown(() => backend.close())
  const plain = await timed(() => post(backend.url, '/v1/completions', { prompt: 'x', max_tokens: 100 }))
  t.equal(plain.result.body.usage.completion_tokens, tokens)
  t.ok(plain.ms >= 80 + 10 * tokens, `${plain.ms.toFixed(1)} ms >= ${80 + 10 * tokens} ms`)
  const delayed = await timed(() => post(backend.url, '/generate', { text: 'x', sampling_params: { sampling_seed: 1 } }))
  t.equal(delayed.result.status, 200)
  t.ok(delayed.ms >= 80 + 10 * tokens + 200, `${delayed.ms.toFixed(1)} ms >= ${80 + 10 * tokens + 200} ms (nested delays add up)`)
  t.ok(backend.stats().busyMs >= 2 * (80 + 10 * tokens) + 200, `busyMs ${backend.stats().busyMs.toFixed(1)} counts both calls`)
})

await t.test('a hanging reply never answers; the client gives up and the request leaves inFlight', async (t) => {
  const backend = await startTestBackend({ tokenizer, policy: () => ({ kind: 'hang' }) })
  t.teardown(() => backend.close())
  await t.rejects(post(backend.url, '/v1/chat/completions', { messages: firstTurn, tools, seed: 4 }, { signal: AbortSignal.timeout(100) }), { name: 'TimeoutError' })
  await until(backend, (stats) => stats.inFlight === 0)
  t.match(backend.stats(), { requests: 1, inFlight: 0, maxInFlight: 1, completionTokens: 0, promptTokens: 0, requestsBySeed: { 4: 1 } })
})

await t.test('close() ends hanging and delayed requests and leaves no timers or sockets', async (t) => {
  const resources = (): Record<string, number> => {
    const counts: Record<string, number> = {}
    for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1
    return counts
  }
  const before = resources()
  const backend = await startTestBackend({
    tokenizer,
    latencyMs: 60_000,
    policy: (input) => input.seed === 1 ? { kind: 'hang' } : { kind: 'delay', ms: 60_000, then: { kind: 'text', text: 'late' } },
  })
  const pending = [1, 2, 3].map((seed) => post(backend.url, '/v1/completions', { prompt: 'x', seed }).then(() => 'answered', (error: Error) => error.name))
  await until(backend, (stats) => stats.inFlight === 3)
  t.ok((resources()['Timeout'] ?? 0) >= (before['Timeout'] ?? 0) + 2, 'two delays are waiting')
  await backend.close()
  t.same(await Promise.all(pending), ['TypeError', 'TypeError', 'TypeError'], 'every client sees its connection end')
  const after = resources()
  // Earlier tests' connections may still be closing when `before` is read: nothing may be added to them.
  t.ok((after['Timeout'] ?? 0) <= (before['Timeout'] ?? 0), 'no timer left')
  t.ok((after['TCPServerWrap'] ?? 0) <= (before['TCPServerWrap'] ?? 0), 'no listening socket left')
  // The clients' ends of the connections close an event-loop turn or so after the server's.
  for (let turn = 0; turn < 100 && (resources()['TCPSocketWrap'] ?? 0) > (before['TCPSocketWrap'] ?? 0); turn++) await sleep(10)
  t.ok((resources()['TCPSocketWrap'] ?? 0) <= (before['TCPSocketWrap'] ?? 0), 'no connection left')
  t.equal(backend.stats().inFlight, 0)
})

await t.test('stats: requests, tokens, in-flight peak, requests by seed, busy time; resetStats', async (t) => {
  const backend = await startTestBackend({ tokenizer, policy: (input) => input.seed >= 100 ? { kind: 'hang' } : { kind: 'text', text: `reply ${input.seed}` } })
  const other = await startTestBackend({ tokenizer })
  t.teardown(() => Promise.all([backend.close(), other.close()]))
  t.same(backend.stats(), { requests: 0, inFlight: 0, maxInFlight: 0, completionTokens: 0, promptTokens: 0, requestsBySeed: {}, busyMs: 0 })
  let promptTokens = 0
  let completionTokens = 0
  for (const seed of [1, 2, 2]) {
    const { body } = await post(backend.url, '/v1/chat/completions', { messages: firstTurn, tools, seed })
    promptTokens += body.usage.prompt_tokens
    completionTokens += body.usage.completion_tokens
  }
  const generate = await post(backend.url, '/generate', { text: 'hello', sampling_params: { sampling_seed: 3 } })
  promptTokens += generate.body.meta_info.prompt_tokens
  completionTokens += generate.body.meta_info.completion_tokens
  await post(other.url, '/v1/completions', { prompt: 'hello', seed: 7 })
  const stats = backend.stats()
  t.match(stats, { requests: 4, inFlight: 0, maxInFlight: 1, promptTokens, completionTokens, requestsBySeed: { 1: 1, 2: 2, 3: 1 } })
  t.ok(stats.busyMs > 0)
  t.same(other.stats().requestsBySeed, { 7: 1 }, 'each backend counts only the seeds it served')

  const controllers = [100, 101, 102, 103].map(() => new AbortController())
  const hanging = controllers.map((controller, index) =>
    post(backend.url, '/v1/completions', { prompt: 'x', seed: 100 + index }, { signal: controller.signal }).catch(() => undefined))
  await until(backend, (s) => s.inFlight === 4)
  t.equal(backend.stats().maxInFlight, 4)
  backend.resetStats()
  t.match(backend.stats(), { requests: 0, inFlight: 4, maxInFlight: 4, completionTokens: 0, promptTokens: 0, requestsBySeed: {}, busyMs: 0 },
    'requests still in flight stay counted')
  for (const controller of controllers) controller.abort()
  await Promise.all(hanging)
  await until(backend, (s) => s.inFlight === 0)
  t.equal(backend.stats().maxInFlight, 4)
})
