// Each endpoint's response shape: token ids decode to the reply text and the stop token, one
// log-prob per token, usage counted with the tokenizer; replies depend on the request alone.
import t from 'tap'
import { startTestBackend, scriptedPolicy, type TestPolicyInput } from '../../../tools/test-backend/index.ts'
import { formatToolCall, parseToolCall } from '../../../clients/grpo/tool-calls.ts'
import { firstTurn, get, post, tokenizer, tools } from './helpers.ts'

const imEnd = 151645
const backend = await startTestBackend({ tokenizer })
t.teardown(() => backend.close())

const promptText = tokenizer.renderChat(firstTurn, { tools, addGenerationPrompt: true })
const promptIds = tokenizer.encode(promptText)
// Without Observe (no parameters, a short call) every first turn calls GetElement with an index.
const indexPromptIds = tokenizer.encode(tokenizer.renderChat(firstTurn, { tools: [tools[0], tools[2]], addGenerationPrompt: true }))

await t.test('/health and /v1/models', async (t) => {
  t.same(await get(backend.url, '/health'), { status: 200, body: { status: 'ok' } })
  const models = await get(backend.url, '/v1/models')
  t.equal(models.status, 200)
  t.match(models.body, { object: 'list', data: [{ id: 'codegym-test-model', object: 'model', max_model_len: 32768 }] })
})

await t.test('chat with tools: a call in tool_calls, token ids, log-probs and usage', async (t) => {
  const { status, body } = await post(backend.url, '/v1/chat/completions', { model: 'm', messages: firstTurn, tools, seed: 11, logprobs: true, return_token_ids: true })
  t.equal(status, 200)
  t.match(body, { object: 'chat.completion', model: 'codegym-test-model', choices: [{ index: 0, finish_reason: 'tool_calls', stop_reason: null }] })
  const choice = body.choices[0]
  t.equal(choice.message.content, null)
  t.equal(choice.message.tool_calls.length, 1)
  const call = choice.message.tool_calls[0]
  t.match(call, { id: /^call_[0-9a-f]{8}$/, type: 'function', function: { name: /^(GetElement|Observe)$/ } }, 'the first turn calls a tool other than Done')
  const parsed = parseToolCall({ content: null, toolCalls: [call] }, 'openai')
  t.ok(parsed.ok)
  if (!parsed.ok) return
  t.same(body.prompt_token_ids, promptIds, 'the prompt is the chat template rendering of messages and tools')
  t.equal(choice.token_ids.at(-1), imEnd)
  t.equal(tokenizer.decode(choice.token_ids), formatToolCall(parsed.action, 'hermes') + '<|im_end|>', 'the sampled tokens are the Hermes text of the call')
  t.equal(choice.logprobs.content.length, choice.token_ids.length, 'one log-prob per token')
  for (const entry of choice.logprobs.content) t.ok(entry.logprob <= 0 && entry.logprob > -5, `log-prob ${entry.logprob}`)
  t.equal(choice.logprobs.content.map((entry: { token: string }) => entry.token).join(''), tokenizer.decode(choice.token_ids))
  t.same(body.usage, { prompt_tokens: promptIds.length, completion_tokens: choice.token_ids.length, total_tokens: promptIds.length + choice.token_ids.length })
})

await t.test('the three endpoints give the same tokens for the same prompt and seed', async (t) => {
  const chat = (await post(backend.url, '/v1/chat/completions', { messages: firstTurn, tools, seed: 11, return_token_ids: true })).body.choices[0]
  const completions = await post(backend.url, '/v1/completions', { model: 'm', prompt: promptIds, seed: 11, max_tokens: 200, logprobs: 1, return_token_ids: true })
  t.equal(completions.status, 200)
  const choice = completions.body.choices[0]
  t.match(completions.body, { object: 'text_completion', usage: { prompt_tokens: promptIds.length, completion_tokens: chat.token_ids.length } })
  t.same(choice.token_ids, chat.token_ids)
  t.same(choice.prompt_token_ids, promptIds)
  t.equal(choice.finish_reason, 'stop')
  t.equal(choice.text, tokenizer.decode(choice.token_ids.slice(0, -1)), 'text leaves out the stop token')
  t.equal(choice.logprobs.token_logprobs.length, choice.token_ids.length)
  t.equal(choice.logprobs.tokens.join(''), tokenizer.decode(choice.token_ids))
  t.same(choice.logprobs.top_logprobs[0], { [choice.logprobs.tokens[0]]: choice.logprobs.token_logprobs[0] })
  t.equal(choice.logprobs.text_offset[1], choice.logprobs.tokens[0].length)

  const asText = (await post(backend.url, '/v1/completions', { prompt: promptText, seed: 11, max_tokens: 200, return_token_ids: true })).body.choices[0]
  t.same(asText.token_ids, chat.token_ids, 'a text prompt is the same prompt')
  t.equal(asText.logprobs, null, 'no log-probs unless asked')

  const generate = await post(backend.url, '/generate', { input_ids: promptIds, sampling_params: { sampling_seed: 11, max_new_tokens: 200, temperature: 1 }, return_logprob: true })
  t.equal(generate.status, 200)
  t.same(generate.body.output_ids, chat.token_ids)
  t.equal(generate.body.text, choice.text)
  t.same(generate.body.meta_info.finish_reason, { type: 'stop', matched: imEnd })
  t.match(generate.body.meta_info, { prompt_tokens: promptIds.length, completion_tokens: chat.token_ids.length })
  t.same(generate.body.meta_info.output_token_logprobs, choice.token_ids.map((id: number, index: number) => [choice.logprobs.token_logprobs[index], id, null]),
    'SGLang triples carry the same log-probs and ids')
  const generateText = await post(backend.url, '/generate', { text: promptText, sampling_params: { sampling_seed: 11, max_new_tokens: 200 } })
  t.same(generateText.body.output_ids, chat.token_ids)
  t.notOk('output_token_logprobs' in generateText.body.meta_info)
})

await t.test('the same request gets the same reply, in any order; other seeds get other replies', async (t) => {
  const seeds = [1, 2, 3, 4, 5, 6, 7, 8]
  const request = (seed: number) => post(backend.url, '/v1/completions', { prompt: promptIds, seed, max_tokens: 200, logprobs: 0, return_token_ids: true })
  const inOrder = []
  for (const seed of seeds) inOrder.push((await request(seed)).body.choices[0])
  const other = await startTestBackend({ tokenizer })
  const reversed = await Promise.all([...seeds].reverse().map((seed) =>
    post(other.url, '/v1/completions', { prompt: promptIds, seed, max_tokens: 200, logprobs: 0, return_token_ids: true })))
  await other.close()
  const strip = (choice: { token_ids: number[], logprobs: unknown, text: string }) => [choice.token_ids, choice.logprobs, choice.text]
  t.same(reversed.reverse().map((response) => strip(response.body.choices[0])), inOrder.map(strip), 'same replies on another backend, concurrently, in reverse order')
  // Observe takes no parameters, so two seeds that both pick it write the same call; a tool with
  // an integer parameter makes every seed's call its own.
  const texts = new Set<string>()
  for (const seed of seeds) texts.add((await post(backend.url, '/v1/completions', { prompt: indexPromptIds, seed, max_tokens: 200 })).body.choices[0].text)
  t.equal(texts.size, seeds.length, 'eight seeds, eight different calls')
})

await t.test('temperature 0 is greedy: the seed does not change the reply', async (t) => {
  const texts = new Set<string>()
  for (const seed of [1, 2, 3]) texts.add((await post(backend.url, '/v1/completions', { prompt: promptIds, seed, temperature: 0, max_tokens: 200 })).body.choices[0].text)
  t.equal(texts.size, 1)
})

await t.test('max_tokens cuts the completion with finish_reason length', async (t) => {
  const full = (await post(backend.url, '/v1/completions', { prompt: indexPromptIds, seed: 11, max_tokens: 200, return_token_ids: true })).body.choices[0]
  t.ok(full.token_ids.length > 16, `a GetElement call takes ${full.token_ids.length} tokens`)
  const cut = (await post(backend.url, '/v1/completions', { prompt: indexPromptIds, seed: 11, max_tokens: 5, return_token_ids: true })).body.choices[0]
  t.same(cut.token_ids, full.token_ids.slice(0, 5))
  t.equal(cut.finish_reason, 'length')
  t.equal(cut.text, tokenizer.decode(cut.token_ids))
  const exact = (await post(backend.url, '/v1/completions', { prompt: indexPromptIds, seed: 11, max_tokens: full.token_ids.length - 1, return_token_ids: true })).body.choices[0]
  t.same(exact.token_ids, full.token_ids.slice(0, -1), 'room for the text but not the stop token')
  t.equal(exact.finish_reason, 'length')
  const byDefault = (await post(backend.url, '/v1/completions', { prompt: indexPromptIds, seed: 11, return_token_ids: true })).body
  t.equal(byDefault.choices[0].token_ids.length, 16, 'vLLM\'s default max_tokens for completions is 16')
  t.equal(byDefault.choices[0].finish_reason, 'length')
  const generate = (await post(backend.url, '/generate', { input_ids: indexPromptIds, sampling_params: { sampling_seed: 11, max_new_tokens: 3 } })).body
  t.same(generate.output_ids, full.token_ids.slice(0, 3))
  t.same(generate.meta_info.finish_reason, { type: 'length', length: 3 })
  const chat = (await post(backend.url, '/v1/chat/completions', { messages: firstTurn, tools: [tools[0], tools[2]], seed: 11, max_tokens: 4, return_token_ids: true })).body.choices[0]
  t.equal(chat.finish_reason, 'length')
  t.notOk('tool_calls' in chat.message, 'a cut-off call is not a call')
  t.equal(chat.message.content, tokenizer.decode(full.token_ids.slice(0, 4)))
  t.same(chat.token_ids, full.token_ids.slice(0, 4))
})

await t.test('scripted text, stop_token_ids and length replies', async (t) => {
  const sentence = 'one two three four'
  const ids = tokenizer.encode(sentence)
  const scripted = await startTestBackend({
    tokenizer,
    policy: (input) => input.seed === 1 ? { kind: 'length', text: sentence } : { kind: 'text', text: sentence },
  })
  t.teardown(() => scripted.close())
  const plain = (await post(scripted.url, '/v1/chat/completions', { messages: firstTurn, tools, return_token_ids: true })).body.choices[0]
  t.same(plain.message, { role: 'assistant', content: sentence }, 'text replies are content verbatim, tools or not')
  t.equal(plain.finish_reason, 'stop')
  t.same(plain.token_ids, [...ids, imEnd])
  const length = (await post(scripted.url, '/v1/completions', { prompt: 'Hi', seed: 1, return_token_ids: true })).body.choices[0]
  t.same(length.token_ids, ids, 'no stop token after a cut-off reply')
  t.equal(length.finish_reason, 'length')
  const stopped = (await post(scripted.url, '/v1/completions', { prompt: 'Hi', stop_token_ids: [ids[2]], return_token_ids: true })).body.choices[0]
  t.same(stopped.token_ids, ids.slice(0, 3), 'the stop token is the last sampled token')
  t.equal(stopped.text, tokenizer.decode(ids.slice(0, 2)))
  t.equal(stopped.finish_reason, 'stop')
  t.equal(stopped.stop_reason, ids[2])
  const generate = (await post(scripted.url, '/generate', { text: 'Hi', sampling_params: { stop_token_ids: [ids[2]] } })).body
  t.same(generate.output_ids, ids.slice(0, 3))
  t.same(generate.meta_info.finish_reason, { type: 'stop', matched: ids[2] })
})

await t.test('callFormat: Hermes or paper text in the content; tool_choice none keeps calls in the text', async (t) => {
  const openai = (await post(backend.url, '/v1/chat/completions', { messages: firstTurn, tools, seed: 5 })).body.choices[0].message
  const action = parseToolCall({ content: null, toolCalls: openai.tool_calls }, 'openai')
  if (!action.ok) return t.fail(action.error)
  const none = (await post(backend.url, '/v1/chat/completions', { messages: firstTurn, tools, seed: 5, tool_choice: 'none' })).body.choices[0]
  t.same(none.message, { role: 'assistant', content: formatToolCall(action.action, 'hermes') })
  t.equal(none.finish_reason, 'stop')
  for (const callFormat of ['hermes', 'paper'] as const) {
    const other = await startTestBackend({ tokenizer, callFormat })
    const chat = (await post(other.url, '/v1/chat/completions', { messages: firstTurn, tools, seed: 5, return_token_ids: true })).body.choices[0]
    const completions = (await post(other.url, '/v1/completions', { prompt: promptIds, seed: 5, max_tokens: 100 })).body.choices[0]
    await other.close()
    t.same(chat.message, { role: 'assistant', content: formatToolCall(action.action, callFormat) }, callFormat)
    t.equal(chat.finish_reason, 'stop')
    t.equal(tokenizer.decode(chat.token_ids), chat.message.content + '<|im_end|>')
    t.same(parseToolCall({ content: completions.text }, callFormat), { ok: true, action: action.action }, `${callFormat} on /v1/completions`)
  }
})

await t.test('the policy sees the turn, the tools (sent or read from the prompt), the seed and the temperature', async (t) => {
  const inputs: TestPolicyInput[] = []
  const recording = await startTestBackend({
    tokenizer,
    policy: (input) => {
      inputs.push(input)
      return scriptedPolicy([{ kind: 'call', name: 'Observe', arguments: {} }])(input)
    },
  })
  t.teardown(() => recording.close())
  const later = [
    { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'Observe', arguments: '{}' } }] },
    { role: 'tool', tool_call_id: 'c1', content: 'an array of 6 numbers' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'c2', type: 'function', function: { name: 'GetElement', arguments: '{"index": 2}' } }] },
    { role: 'tool', tool_call_id: 'c2', content: '7' },
  ]
  const chat = await post(recording.url, '/v1/chat/completions', { messages: [...firstTurn, ...later], tools, seed: 9, temperature: 0.7, return_token_ids: true })
  t.equal(chat.status, 500, 'the script has no reply for turn 2')
  t.equal(chat.body.error.message, 'scripted policy: no reply for turn 2 (the script has 1)')
  const rendered = tokenizer.renderChat([
    ...firstTurn,
    { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'Observe', arguments: {} } }] },
    { role: 'tool', content: 'an array of 6 numbers' },
    { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'GetElement', arguments: { index: 2 } } }] },
    { role: 'tool', content: '7' },
  ], { tools, addGenerationPrompt: true })
  t.match(inputs[0], { endpoint: 'chat', turn: 2, seed: 9, temperature: 0.7, promptText: rendered })
  t.ok(rendered.includes('<tool_call>\n{"name": "GetElement", "arguments": {"index": 2}}\n</tool_call>'), 'JSON-string arguments are rendered as objects')
  await post(recording.url, '/v1/completions', { prompt: tokenizer.encode(rendered) })
  await post(recording.url, '/generate', { input_ids: tokenizer.encode(rendered), sampling_params: { sampling_seed: -4 } })
  await post(recording.url, '/v1/completions', { prompt: promptIds })
  t.match(inputs.slice(1).map(({ endpoint, turn, seed, temperature }) => ({ endpoint, turn, seed, temperature })), [
    { endpoint: 'completions', turn: 2, seed: 0, temperature: 1 },
    { endpoint: 'generate', turn: 2, seed: -4, temperature: 1 },
    { endpoint: 'completions', turn: 0, seed: 0, temperature: 1 },
  ])
  t.equal(inputs[1]!.promptText, rendered)
  for (const input of inputs) t.same(input.tools, tools.map((tool) => tool.function), `${input.endpoint}: tools`)
})

await t.test('chat takes text parts, max_completion_tokens, n: 1 and a named tool_choice', async (t) => {
  const reference = (await post(backend.url, '/v1/chat/completions', { messages: firstTurn, tools, seed: 3, max_tokens: 6, return_token_ids: true })).body.choices[0]
  const parts = firstTurn.map((message) => ({ ...message, content: [{ type: 'text', text: message.content.slice(0, 4) }, { type: 'text', text: message.content.slice(4) }] }))
  const { status, body } = await post(backend.url, '/v1/chat/completions', {
    messages: parts, tools, seed: 3, n: 1, stream: false, max_completion_tokens: 6, return_token_ids: true, tool_choice: { type: 'function', function: { name: 'Observe' } },
  })
  t.equal(status, 200)
  t.same(body.choices[0].token_ids, reference.token_ids, 'text parts join to the same prompt')
  t.equal(body.choices[0].token_ids.length, 6)
})
