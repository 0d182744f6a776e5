// Requests the backend refuses, with OpenAI-style error bodies, and the error and hang replies
// a policy scripts.
import t from 'tap'
import { request as httpRequest } from 'node:http'
import { startTestBackend, type TestReply } from '../../../tools/test-backend/index.ts'
import { firstTurn, post, tokenizer, tools } from './helpers.ts'

const backend = await startTestBackend({ tokenizer, maxContextTokens: 300, maxRequestBytes: 64 * 1024 })
t.teardown(() => backend.close())

const invalid = (message: string, param: string | null) => ({ status: 400, body: { error: { message, type: 'invalid_request_error', param, code: 400 } } })

await t.test('malformed bodies, missing fields and wrong types are 400 with the field named', async (t) => {
  const cases: Array<[path: string, body: unknown, message: string, param: string | null]> = [
    ['/v1/chat/completions', '{"messages": [', 'the request body is not valid JSON: Unexpected end of JSON input', null],
    ['/v1/chat/completions', '[1]', 'the request body must be a JSON object', null],
    ['/v1/chat/completions', {}, 'messages is required', 'messages'],
    ['/v1/chat/completions', { messages: [] }, 'messages must be a non-empty array', 'messages'],
    ['/v1/chat/completions', { messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role must be one of system, user, assistant, tool', 'messages[0].role'],
    ['/v1/chat/completions', { messages: [{ role: 'user', content: 7 }] }, 'messages[0].content must be a string, an array of text parts or null', 'messages[0].content'],
    ['/v1/chat/completions', { messages: firstTurn, model: 3 }, 'model must be a string', 'model'],
    ['/v1/chat/completions', { messages: firstTurn, tools: {} }, 'tools must be an array', 'tools'],
    ['/v1/chat/completions', { messages: firstTurn, tools: [{ name: 'Observe' }] }, 'tools[0] must be {"type": "function", "function": {"name": string, ...}}', 'tools[0]'],
    ['/v1/chat/completions', { messages: firstTurn, tool_choice: 'always' }, 'tool_choice must be "none", "auto", "required" or {"type": "function", "function": {"name": string}}', 'tool_choice'],
    ['/v1/chat/completions', { messages: firstTurn, seed: 1.5 }, 'seed must be an integer', 'seed'],
    ['/v1/chat/completions', { messages: firstTurn, temperature: -1 }, 'temperature must be a number >= 0', 'temperature'],
    ['/v1/chat/completions', { messages: firstTurn, max_tokens: 0 }, 'max_tokens must be an integer >= 1', 'max_tokens'],
    ['/v1/chat/completions', { messages: firstTurn, logprobs: 'yes' }, 'logprobs must be a boolean', 'logprobs'],
    ['/v1/chat/completions', { messages: firstTurn, top_logprobs: 2 }, 'top_logprobs needs logprobs: true', 'top_logprobs'],
    ['/v1/chat/completions', { messages: firstTurn, stream: true }, 'stream is not supported by the test backend', 'stream'],
    ['/v1/chat/completions', { messages: firstTurn, n: 2 }, 'n must be 1: the test backend samples one choice', 'n'],
    ['/v1/chat/completions', { messages: [{ role: 'user', content: [{ type: 'image_url' }] }] }, 'messages[0].content[0] must be {"type": "text", "text": string}', 'messages[0].content[0]'],
    ['/v1/chat/completions', { messages: [{ role: 'user', content: 'x', tool_calls: [] }] }, 'messages[0].tool_calls must be an array on an assistant message', 'messages[0].tool_calls'],
    ['/v1/chat/completions', { messages: [{ role: 'assistant', content: null, tool_calls: [{ function: { name: 'A' } }] }] }, 'messages[0].tool_calls[0] must be {"function": {"name": string, "arguments": string}}', 'messages[0].tool_calls[0]'],
    ['/v1/chat/completions', { messages: [{ role: 'tool', content: 'x', tool_call_id: 3 }] }, 'messages[0].tool_call_id must be a string', 'messages[0].tool_call_id'],
    ['/v1/completions', {}, 'prompt is required', 'prompt'],
    ['/v1/completions', { prompt: [] }, 'prompt must be a string or a non-empty list of token ids (one prompt per request)', 'prompt'],
    ['/v1/completions', { prompt: ['a', 'b'] }, 'prompt must be a string or a non-empty list of token ids (one prompt per request)', 'prompt'],
    ['/v1/completions', { prompt: [1, 'x'] }, 'prompt[1] must be a non-negative integer token id', 'prompt'],
    ['/v1/completions', { prompt: [1, 999999999] }, 'prompt[1]: token id 999999999 is not in the vocabulary', 'prompt'],
    ['/v1/completions', { prompt: [1], logprobs: 21 }, 'logprobs must be an integer from 0 to 20', 'logprobs'],
    ['/v1/completions', { prompt: [1], stop_token_ids: 151645 }, 'stop_token_ids must be a list of token ids', 'stop_token_ids'],
    ['/v1/completions', { prompt: [1], return_token_ids: 1 }, 'return_token_ids must be a boolean', 'return_token_ids'],
    ['/generate', {}, 'give exactly one of text and input_ids', 'text'],
    ['/generate', { text: 'a', input_ids: [1] }, 'give exactly one of text and input_ids', 'input_ids'],
    ['/generate', { input_ids: [[1, 2]] }, 'input_ids must be a non-empty list of token ids (one prompt per request)', 'input_ids'],
    ['/generate', { input_ids: [1, -2] }, 'input_ids[1] must be a non-negative integer token id', 'input_ids'],
    ['/generate', { text: 'a', sampling_params: [] }, 'sampling_params must be an object', 'sampling_params'],
    ['/generate', { text: 'a', sampling_params: { max_new_tokens: 'many' } }, 'sampling_params.max_new_tokens must be an integer >= 1', 'sampling_params.max_new_tokens'],
    ['/generate', { text: 'a', sampling_params: { sampling_seed: 'x' } }, 'sampling_params.sampling_seed must be an integer', 'sampling_params.sampling_seed'],
    ['/generate', { text: 'a', return_logprob: 'true' }, 'return_logprob must be a boolean', 'return_logprob'],
  ]
  for (const [path, body, message, param] of cases) t.same(await post(backend.url, path, body), invalid(message, param), `${path} ${message}`)
  t.equal(backend.stats().requests, cases.length, 'refused requests count as requests')
  t.same(backend.stats().requestsBySeed, {}, 'but not under a seed')
})

await t.test('a prompt beyond the context is refused; SGLang shortens max_new_tokens instead', async (t) => {
  const long = Array.from({ length: 300 }, () => 16)
  t.same(await post(backend.url, '/v1/completions', { prompt: long }), invalid(
    'This model\'s maximum context length is 300 tokens. However, you requested 316 tokens (300 in the prompt, 16 in the completion). Please reduce the length of the prompt or completion.', 'prompt'))
  t.same(await post(backend.url, '/v1/completions', { prompt: long.slice(0, 290), max_tokens: 11 }), invalid(
    'This model\'s maximum context length is 300 tokens. However, you requested 301 tokens (290 in the prompt, 11 in the completion). Please reduce the length of the prompt or completion.', 'prompt'))
  t.equal((await post(backend.url, '/v1/completions', { prompt: long.slice(0, 290), max_tokens: 10 })).status, 200, 'exactly the context is allowed')
  const chat = await post(backend.url, '/v1/chat/completions', { messages: [{ role: 'user', content: 'word '.repeat(400) }] })
  t.equal(chat.status, 400)
  t.match(chat.body.error.message, /^This model's maximum context length is 300 tokens\. However, you requested \d+ tokens \(\d+ in the messages, 0 in the completion\)/)
  const shortened = await post(backend.url, '/generate', { input_ids: long.slice(0, 297), sampling_params: { max_new_tokens: 100 } })
  t.equal(shortened.status, 200)
  t.ok(shortened.body.output_ids.length <= 3, `${shortened.body.output_ids.length} tokens fit after 297`)
  t.equal((await post(backend.url, '/generate', { input_ids: long })).status, 400)
})

await t.test('unknown routes are 404, wrong methods 405, oversized bodies 413', async (t) => {
  t.same(await post(backend.url, '/v1/embeddings', {}), { status: 404, body: { error: { message: 'no route /v1/embeddings', type: 'not_found_error', param: null, code: 404 } } })
  const wrongMethod = await fetch(backend.url + '/v1/completions')
  t.equal(wrongMethod.status, 405)
  t.same(await wrongMethod.json(), { error: { message: 'GET is not allowed on /v1/completions', type: 'invalid_request_error', param: null, code: 405 } })
  const big = await post(backend.url, '/v1/completions', { prompt: 'x'.repeat(70 * 1024) })
  t.equal(big.status, 413)
  t.match(big.body.error.message, /the limit is 65536/)
  // Without a content-length the limit is found while reading.
  const chunked = await new Promise<{ status: number, body: string }>((resolve, reject) => {
    const request = httpRequest(backend.url + '/v1/completions', { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (response) => {
      let body = ''
      response.on('data', (chunk: Buffer) => { body += chunk.toString() })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
    request.on('error', reject)
    for (let i = 0; i < 5; i++) request.write('x'.repeat(16 * 1024))
    request.end()
  })
  t.equal(chunked.status, 413)
  t.match(JSON.parse(chunked.body), { error: { message: 'the request body is over the limit of 65536 bytes', code: 413 } })
})

await t.test('scripted http_error replies carry their status and message', async (t) => {
  const replies: Record<number, TestReply> = {
    1: { kind: 'http_error', status: 503, message: 'overloaded' },
    2: { kind: 'http_error', status: 429 },
    3: { kind: 'delay', ms: 1, then: { kind: 'http_error', status: 500, message: 'late failure' } },
  }
  const failing = await startTestBackend({ tokenizer, policy: (input) => replies[input.seed] ?? { kind: 'text', text: 'fine' } })
  t.teardown(() => failing.close())
  t.same(await post(failing.url, '/v1/chat/completions', { messages: firstTurn, tools, seed: 1 }),
    { status: 503, body: { error: { message: 'overloaded', type: 'server_error', param: null, code: 503 } } })
  t.same(await post(failing.url, '/v1/completions', { prompt: 'x', seed: 2 }),
    { status: 429, body: { error: { message: 'scripted error 429', type: 'invalid_request_error', param: null, code: 429 } } })
  t.match(await post(failing.url, '/generate', { text: 'x', sampling_params: { sampling_seed: 3 } }), { status: 500, body: { error: { message: 'late failure' } } })
  t.match(await post(failing.url, '/generate', { text: 'x' }), { status: 200, body: { text: 'fine' } })
  t.same(failing.stats().requestsBySeed, { 0: 1, 1: 1, 2: 1, 3: 1 })
})

await t.test('a policy that throws answers 500 with its message', async (t) => {
  const broken = await startTestBackend({ tokenizer, policy: () => { throw new Error('policy bug') } })
  t.teardown(() => broken.close())
  t.match(await post(broken.url, '/v1/completions', { prompt: 'x' }), { status: 500, body: { error: { message: 'test backend: policy bug', type: 'server_error' } } })
})
