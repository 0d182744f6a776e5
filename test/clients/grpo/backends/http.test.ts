// Generation requests: which failures are retried, and answers missing a field are named errors.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { postJson } from '../../../../clients/grpo/backends/http.ts'
import { completionsBackend } from '../../../../clients/grpo/backends/completions.ts'
import { sglangBackend } from '../../../../clients/grpo/backends/sglang.ts'
import { defaultSamplingControls } from '../../../../clients/grpo/defaults.ts'

let answer: (request: IncomingMessage, response: ServerResponse) => void = () => undefined
let requests = 0
const server = createServer((request, response) => {
  requests++
  request.resume()
  request.once('end', () => answer(request, response))
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
const policy = { requestTimeoutMs: 300, maxRequestRetries: 2, retryInitialDelayMs: 1 }
const reply = (status: number, body: unknown) => (_request: IncomingMessage, response: ServerResponse) => {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

await t.test('a 4xx other than 408/429 is not retried', async (t) => {
  requests = 0
  answer = reply(400, { error: { message: 'bad prompt' } })
  await t.rejects(postJson(`${base}/v1/completions`, {}, policy), { name: 'BackendError', status: 400, attempts: 1, fault: 'protocol', message: /refused the request \(HTTP 400: .*bad prompt/ })
  t.equal(requests, 1)
})

await t.test('context overflow and unreadable model output are not retried, and say so in fault', async (t) => {
  const cases: Array<[string, number, unknown, string]> = [
    ['llama.cpp', 400, { error: { code: 400, message: 'request (1600 tokens) exceeds the available context size (1536 tokens), try increasing it', type: 'exceed_context_size_error', n_prompt_tokens: 1600, n_ctx: 1536 } }, 'context_overflow'],
    ['vLLM', 400, { object: 'error', message: 'This model\'s maximum context length is 2048 tokens. However, you requested 2100 tokens.', type: 'BadRequestError', code: 400 }, 'context_overflow'],
    ['vLLM prompt', 400, { error: { message: 'The decoder prompt (length 5000) is longer than the maximum model length of 4096. Make sure ...' } }, 'context_overflow'],
    ['SGLang', 400, { error: { message: 'The input (5000 tokens) is longer than the model\'s context length (4096 tokens).' } }, 'context_overflow'],
    ['SGLang budget', 400, { error: { message: 'Requested token count exceeds the model\'s maximum context length of 4096 tokens. You requested a total of 4200 tokens' } }, 'context_overflow'],
    ['llama-server tool call', 500, { error: { code: 500, message: 'Failed to parse input at pos 12: <tool_call>{"name"', type: 'server_error' } }, 'model_output'],
    ['unknown field', 422, { detail: 'unexpected field' }, 'protocol'],
  ]
  for (const [name, status, body, fault] of cases) {
    requests = 0
    answer = reply(status, body)
    await t.rejects(postJson(`${base}/v1/chat/completions`, {}, policy), { name: 'BackendError', status, attempts: 1, fault }, name)
    t.equal(requests, 1, `${name}: one request`)
  }
  answer = reply(500, { error: { message: 'Failed to parse input at pos 0: <tool_call>' } })
  await t.rejects(postJson(`${base}/x`, {}, policy), { message: 'Failed to parse input at pos 0: <tool_call>' }, 'an unreadable reply carries the backend\'s own words, for the observation')
  answer = reply(503, { error: { message: 'overloaded' } })
  await t.rejects(postJson(`${base}/x`, {}, policy), { name: 'BackendError', fault: 'transport', attempts: 3 })
})

await t.test('429 and 5xx are retried up to maxRequestRetries, then fail with the last error', async (t) => {
  requests = 0
  answer = reply(429, { error: 'slow down' })
  await t.rejects(postJson(`${base}/x`, {}, policy), { name: 'BackendError', status: 429, attempts: 3 })
  t.equal(requests, 3)
  requests = 0
  let calls = 0
  answer = (request, response) => (++calls < 3 ? reply(502, {}) : reply(200, { ok: true }))(request, response)
  t.same(await postJson(`${base}/x`, {}, policy), { ok: true }, 'the third try got through')
  t.equal(requests, 3)
})

await t.test('no answer within requestTimeoutMs is retried, then fails', async (t) => {
  requests = 0
  answer = () => undefined
  await t.rejects(postJson(`${base}/x`, {}, { ...policy, requestTimeoutMs: 100, maxRequestRetries: 1 }), { name: 'BackendError', attempts: 2, message: /no answer within 100 ms/ })
  t.equal(requests, 2)
})

await t.test('a 200 without the fields asked for names the field', async (t) => {
  answer = reply(200, { choices: [{ text: 'x', finish_reason: 'stop' }] })
  const vllm = completionsBackend(base, 'm', policy)
  await t.rejects(vllm.generate([1, 2], [3], { ...defaultSamplingControls(), seed: 1, maxTokens: 4 }), { name: 'BackendError', message: /choices\[0\]\.token_ids \(is return_token_ids supported/ })
  answer = reply(200, { output_ids: [5, 6], meta_info: { output_token_logprobs: [[-0.5, 5, null]], finish_reason: { type: 'stop' } } })
  const sglang = sglangBackend(base, policy)
  await t.rejects(sglang.generate([1], [3], { ...defaultSamplingControls(), seed: 1, maxTokens: 4 }), { name: 'BackendError', message: /one log-prob per token \(2 tokens, 1 log-probs\)/ })
  answer = reply(200, 'not an object')
  await t.rejects(vllm.generate([1], [3], { ...defaultSamplingControls(), seed: 1, maxTokens: 4 }), { name: 'BackendError', message: /a JSON object/ })
})
