// rollout() end to end: real codegym-serve instances (in process) and the deterministic test backend.
import t from 'tap'
import type { TestContext } from '../../helpers/tap.ts'
import { openAiTools } from '../../../src/contract/prompt.ts'
import { CodeGymClient } from '../../../clients/ts/index.ts'
import { rollout, rolloutSeed, type RolloutOptions, type RolloutRecord } from '../../../clients/grpo/index.ts'
import { loadChatTokenizer } from '../../../clients/grpo/tokenizer.ts'
import { malformedCallReplies, scriptedPolicy, seededPolicy, startTestBackend, type TestPolicy } from '../../../tools/test-backend/index.ts'
import { collect, exampleTasks, fixedTask, maxSubarray, startEnvServer, withoutTimings } from '../../helpers/grpo.ts'

const tokenizer = await loadChatTokenizer()
const envServer = await startEnvServer()
t.teardown(() => envServer.close())

function options (backends: string[], extra: Partial<RolloutOptions> = {}): RolloutOptions {
  return { envServers: [envServer.url], backends, model: 'test', mode: 'chat', tokenizer, ...extra }
}

function checkCounts (t: TestContext, records: RolloutRecord[], groups: number, groupSize: number): void {
  t.equal(records.length, groups * groupSize, 'one record per rollout')
  t.equal(new Set(records.map((record) => `${record.groupId}/${record.sampleIndex}`)).size, records.length, 'no duplicates')
}

await t.test('chat mode with OpenAI tools: tool_calls round-trip, tool messages answer them, Done ends the episode', async (t) => {
  const backend = await startTestBackend({ tokenizer, callFormat: 'openai' })
  t.teardown(() => backend.close())
  const records = await collect(rollout({ tasks: exampleTasks, groupSize: 4, seed: 3 }, options([backend.url])))
  checkCounts(t, records, 3, 4)
  for (const record of records) {
    t.equal(record.termination, 'done', `${record.groupId}/${record.sampleIndex} ended with Done`)
    t.equal(record.parseErrors, 0)
    t.equal(record.toolCalls, record.turns)
    t.ok(record.turns >= 3 && record.turns <= 6, 'the seeded policy calls Done after 2 to 5 other calls')
    const messages = record.messages!
    t.equal(messages[0]!.role, 'system')
    const assistants = messages.filter((message) => message.role === 'assistant')
    t.equal(assistants.length, record.turns)
    for (const message of assistants) t.equal((message as { tool_calls?: unknown[] }).tool_calls?.length, 1, 'each reply carries one tool call')
    const tools = messages.filter((message) => message.role === 'tool') as Array<{ tool_call_id?: string }>
    t.equal(tools.length, record.turns - 1, 'every call but Done is answered by a tool message')
    t.ok(tools.every((message) => typeof message.tool_call_id === 'string'))
    t.equal(record.prompt_ids, undefined, 'chat mode has no token ids')
  }
  const seeds = new Set(records.map((record) => record.seed))
  t.equal(seeds.size, records.length, 'every rollout has its own seed')
  t.same(Object.keys(backend.stats().requestsBySeed).sort(), [...seeds].map(String).sort(), 'every request carried its rollout\'s seed')
})

await t.test('chat mode in the paper\'s format: no tools sent, JSON calls in the text, observations as user turns', async (t) => {
  const backend = await startTestBackend({ tokenizer, callFormat: 'paper' })
  t.teardown(() => backend.close())
  const records = await collect(rollout({ tasks: exampleTasks.slice(0, 2), groupSize: 2, seed: 4 }, options([backend.url], { toolFormat: 'paper' })))
  checkCounts(t, records, 2, 2)
  for (const record of records) {
    t.equal(record.termination, 'done')
    t.equal(record.parseErrors, 0)
    const messages = record.messages!
    t.match(messages[0]!.content, /You have access to the following functions:/, 'the paper\'s system prompt lists the tools')
    t.notOk(messages.some((message) => message.role === 'tool'), 'no tool messages')
    t.ok(messages.filter((message) => message.role === 'assistant').every((message) => /^\{"name": /.test(message.content ?? '')), 'calls are JSON text')
  }
})

await t.test('parse errors (malformed, two calls, no call) are counted turns whose error comes back as the next observation', async (t) => {
  const [prose, unclosed, , , , twoCalls] = malformedCallReplies.hermes
  const policy = scriptedPolicy([unclosed!, twoCalls!, prose!], seededPolicy({ minTurnsBeforeDone: 4, maxTurnsBeforeDone: 4 }))
  const backend = await startTestBackend({ tokenizer, callFormat: 'hermes', policy })
  t.teardown(() => backend.close())
  const records = await collect(rollout({ tasks: [exampleTasks[0]!], groupSize: 2 }, options([backend.url], { mode: 'token', toolFormat: 'hermes' })))
  for (const record of records) {
    t.equal(record.termination, 'done')
    t.equal(record.parseErrors, 3)
    t.equal(record.turns, 5, 'three failed turns, one tool call, then Done on turn 4')
    t.equal(record.toolCalls, 2)
    const messages = record.messages!
    const answers = messages.slice(2).filter((message) => message.role !== 'assistant')
    t.match(answers[0]!.content, /^Error: /, 'an unclosed tag is an error observation')
    t.match(answers[1]!.content, /^Error: .*(two|2|more than one|exactly one)/i, 'two calls are an error observation')
    t.match(answers[2]!.content, /^Error: /, 'prose without a call is an error observation')
    t.equal(answers[0]!.role, 'user', 'parse errors come back as user turns')
  }
  t.equal(backend.stats().requests, 2 * 5, 'no reply was retried silently')
})

await t.test('token mode: prompt_ids + response_ids are the rendered conversation\'s tokens; mask and log-probs line up', async (t) => {
  const client = await CodeGymClient.connect(envServer.url)
  t.teardown(() => client.close())
  for (const toolFormat of ['hermes', 'paper'] as const) {
    const backend = await startTestBackend({ tokenizer, callFormat: toolFormat })
    t.teardown(() => backend.close())
    const task = fixedTask(maxSubarray, 'mixed-small')
    const { info } = await client.reset(task.env, task.reset)
    const tools = toolFormat === 'hermes' ? openAiTools(info.tools) : undefined
    const records = await collect(rollout({ tasks: [task], groupSize: 3, seed: 9 }, options([backend.url], { mode: 'token', toolFormat })))
    for (const record of records) {
      t.equal(record.termination, 'done', `${toolFormat}: Done ended the episode`)
      t.equal(record.parseErrors, 0)
      const ids = [...record.prompt_ids!, ...record.response_ids!]
      const rendered = tokenizer.renderChat(record.messages as never, { tools })
      // The template ends the last assistant turn with <|im_end|> and a newline; the transcript stops at <|im_end|>.
      t.same(tokenizer.encode(rendered), [...ids, ...tokenizer.encode('\n')], `${toolFormat}: the ids are the template's tokens`)
      t.equal(record.response_mask!.length, record.response_ids!.length)
      t.equal(record.rollout_log_probs!.length, record.response_ids!.length)
      // Each run of mask-1 ids is one sampled reply: ask the backend again for it and compare token by token.
      let turns = 0
      for (let start = 0; start < record.response_mask!.length;) {
        let end = start
        while (end < record.response_mask!.length && record.response_mask![end] === record.response_mask![start]) end++
        if (record.response_mask![start] === 1) {
          turns++
          const response = await fetch(`${backend.url}/v1/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'test', prompt: ids.slice(0, record.prompt_ids!.length + start), max_tokens: 1024, temperature: 1, seed: record.seed, logprobs: 1, return_token_ids: true, stop_token_ids: tokenizer.stopTokenIds }),
          })
          const choice = (await response.json() as { choices: Array<{ token_ids: number[], logprobs: { token_logprobs: number[] } }> }).choices[0]!
          t.same(record.response_ids!.slice(start, end), choice.token_ids, 'mask 1 = the ids the backend sampled')
          t.same(record.rollout_log_probs!.slice(start, end), choice.logprobs.token_logprobs, 'with the backend\'s log-probs')
        } else {
          t.ok(record.rollout_log_probs!.slice(start, end).every((value) => value === 0), 'env tokens have log-prob 0')
          t.match(tokenizer.decode(record.response_ids!.slice(start, end)), /^\n<\|im_start\|>user\n[^]*<\|im_end\|>\n<\|im_start\|>assistant\n$/, 'mask 0 = the template\'s text for the env turn')
        }
        start = end
      }
      t.equal(turns, record.turns, 'one sampled run per turn')
      t.equal(record.completionTokens, record.response_mask!.filter((bit) => bit === 1).length)
    }
  }
})

await t.test('token mode over SGLang\'s /generate gives the same transcripts as vLLM\'s /v1/completions', async (t) => {
  const backend = await startTestBackend({ tokenizer, callFormat: 'hermes' })
  t.teardown(() => backend.close())
  const batch = { tasks: [exampleTasks[1]!], groupSize: 2, seed: 5 }
  const vllm = await collect(rollout(batch, options([backend.url], { mode: 'token' })))
  const sglang = await collect(rollout(batch, options([backend.url], { mode: 'token', tokenApi: 'sglang' })))
  t.ok(vllm.every((record) => record.termination === 'done'))
  t.same(sglang.map((record) => record.response_ids), vllm.map((record) => record.response_ids))
  t.same(sglang.map((record) => record.response_mask), vllm.map((record) => record.response_mask))
})

await t.test('backend errors: retried within bounds; a hang times out into \'error\' and the rest of the batch completes', async (t) => {
  const flakySeed = rolloutSeed(11, 0, 0)
  const brokenSeed = rolloutSeed(11, 0, 1)
  const hangingSeed = rolloutSeed(11, 1, 0)
  const attempts = new Map<number, number>()
  const normal = seededPolicy()
  const policy: TestPolicy = (input) => {
    attempts.set(input.seed, (attempts.get(input.seed) ?? 0) + 1)
    if (input.seed === flakySeed && input.turn === 0 && attempts.get(input.seed)! <= 2) return { kind: 'http_error', status: 503, message: 'overloaded' }
    if (input.seed === brokenSeed) return { kind: 'http_error', status: 500, message: 'broken' }
    if (input.seed === hangingSeed && input.turn === 1) return { kind: 'hang' }
    return normal(input)
  }
  const backend = await startTestBackend({ tokenizer, policy })
  t.teardown(() => backend.close())
  const records = await collect(rollout({ tasks: exampleTasks.slice(0, 2), groupSize: 3, seed: 11 }, options([backend.url], { requestTimeoutMs: 400, maxRequestRetries: 2, retryInitialDelayMs: 10, errorPolicy: 'flag' })))
  checkCounts(t, records, 2, 3)
  const bySeed = new Map(records.map((record) => [record.seed, record]))
  const flaky = bySeed.get(flakySeed)!
  t.equal(flaky.termination, 'done', 'two 503s then an answer: the retries got through')
  t.equal(attempts.get(flakySeed), flaky.turns + 2)
  const broken = bySeed.get(brokenSeed)!
  t.equal(broken.termination, 'error')
  t.match(broken.error, /BackendError: .*failed 3 times; last: HTTP 500/)
  t.equal(attempts.get(brokenSeed), 3, 'one try and maxRequestRetries retries, no more')
  const hanging = bySeed.get(hangingSeed)!
  t.equal(hanging.termination, 'error')
  t.match(hanging.error, /no answer within 400 ms/)
  t.equal(hanging.turns, 1, 'the turn before the hang counted')
  t.equal(hanging.advantage, 0, 'an error rollout gets no advantage')
  const others = records.filter((record) => record.seed !== brokenSeed && record.seed !== hangingSeed)
  t.ok(others.every((record) => record.termination === 'done'), 'every other rollout finished')
})

await t.test('error policy: drop_group (default) leaves a group with an error out; zero_reward counts the error as reward 0', async (t) => {
  const brokenSeed = rolloutSeed(12, 0, 1)
  const normal = seededPolicy()
  const policy: TestPolicy = (input) => input.seed === brokenSeed ? { kind: 'http_error', status: 503, message: 'down' } : normal(input)
  const backend = await startTestBackend({ tokenizer, policy })
  t.teardown(() => backend.close())
  const batch = { tasks: exampleTasks.slice(0, 2), groupSize: 3, seed: 12 }
  const dropRun = rollout(batch, options([backend.url], { maxRequestRetries: 0 }))
  const kept = await collect(dropRun)
  t.same([...new Set(kept.map((record) => record.groupId))], ['b12-g1'], 'the group with an error rollout is not yielded')
  t.equal(dropRun.stats().excludedGroups, 1)
  t.ok(kept.every((record) => record.errorPolicy === 'drop_group' && record.excluded === undefined))
  const zero = await collect(rollout(batch, options([backend.url], { maxRequestRetries: 0, errorPolicy: 'zero_reward' })))
  const group = zero.filter((record) => record.groupId === 'b12-g0')
  t.equal(group.length, 3)
  const broken = group.find((record) => record.seed === brokenSeed)!
  t.equal(broken.termination, 'error')
  t.equal(broken.reward, 0)
  const rewards = group.map((record) => record.reward)
  const mean = rewards.reduce((sum, reward) => sum + reward, 0) / rewards.length
  t.ok(group.every((record) => Math.sign(record.advantage) === Math.sign(record.reward - mean)), 'the error rollout is part of the group\'s baseline')
})

await t.test('two backends: least-loaded placement spreads rollouts, and each rollout stays on one backend', async (t) => {
  const first = await startTestBackend({ tokenizer })
  const second = await startTestBackend({ tokenizer })
  t.teardown(() => Promise.all([first.close(), second.close()]))
  const records = await collect(rollout({ tasks: exampleTasks, groupSize: 4, seed: 2 }, options([first.url, second.url])))
  checkCounts(t, records, 3, 4)
  const onFirst = records.filter((record) => record.backend === first.url)
  const onSecond = records.filter((record) => record.backend === second.url)
  t.equal(onFirst.length + onSecond.length, records.length)
  t.ok(Math.abs(onFirst.length - onSecond.length) <= 1, `rollouts spread evenly (${onFirst.length} / ${onSecond.length})`)
  const firstSeeds = first.stats().requestsBySeed
  const secondSeeds = second.stats().requestsBySeed
  for (const record of records) {
    const [mine, other] = record.backend === first.url ? [firstSeeds, secondSeeds] : [secondSeeds, firstSeeds]
    t.equal(mine[String(record.seed)], record.turns, 'every turn went to the rollout\'s backend')
    t.equal(other[String(record.seed)], undefined, 'and none to the other')
  }
})

await t.test('two env servers: sessions are sharded over both', async (t) => {
  const other = await startEnvServer()
  t.teardown(() => other.close())
  const backend = await startTestBackend({ tokenizer })
  t.teardown(() => backend.close())
  const run = rollout({ tasks: exampleTasks, groupSize: 4, seed: 6 }, { ...options([backend.url]), envServers: [envServer.url, other.url] })
  const records = await collect(run)
  checkCounts(t, records, 3, 4)
  const counts = run.stats().envServers.map((server) => server.sessionsOpened)
  t.same(counts, [6, 6], 'the quietest server gets each new session')
  t.same(new Set(records.map((record) => record.envServer)), new Set([envServer.url, other.url]))
  t.ok(records.every((record) => record.termination === 'done'))
})

await t.test('determinism: the same batch seed gives the same records apart from timings; another seed does not', async (t) => {
  const backend = await startTestBackend({ tokenizer })
  t.teardown(() => backend.close())
  const batch = { tasks: exampleTasks, groupSize: 3, seed: 21 }
  const once = await collect(rollout(batch, options([backend.url], { maxRolloutsInFlight: 2 })))
  const again = await collect(rollout(batch, options([backend.url])))
  t.same(again.map(withoutTimings), once.map(withoutTimings))
  const other = await collect(rollout({ ...batch, seed: 22 }, options([backend.url])))
  t.notSame(other.map((record) => record.messages), once.map((record) => record.messages))
})

await t.test('the run holds at most maxRolloutsInFlight episodes at once', async (t) => {
  const backend = await startTestBackend({ tokenizer, latencyMs: 5 })
  t.teardown(() => backend.close())
  const run = rollout({ tasks: exampleTasks, groupSize: 4 }, options([backend.url], { maxRolloutsInFlight: 5 }))
  await collect(run)
  t.equal(run.stats().maxInFlight, 5)
  t.ok(backend.stats().maxInFlight <= 5)
})

await t.test('bad options are typed errors before anything starts', async (t) => {
  const batch = { tasks: exampleTasks, groupSize: 2 }
  t.throws(() => rollout(batch, options(['http://127.0.0.1:1'], { toolFormat: 'hermes' })), { name: 'RolloutConfigError', message: /does not go with chat mode/ })
  t.throws(() => rollout({ ...batch, groupSize: 0 }, options(['http://127.0.0.1:1'])), { name: 'RolloutConfigError' })
  t.throws(() => rollout(batch, options(['127.0.0.1:1'])), { name: 'RolloutConfigError', message: /http\(s\) base URL/ })
  t.throws(() => rollout(batch, options(['http://127.0.0.1:1'], { maxTokensPerTurn: 0 })), { name: 'RolloutConfigError', message: /maxTokensPerTurn/ })
})

await t.test('T_max truncation comes from the env; the context limit ends a token-mode episode before it overflows', async (t) => {
  const backend = await startTestBackend({ tokenizer, callFormat: 'hermes', policy: seededPolicy({ minTurnsBeforeDone: 6, maxTurnsBeforeDone: 6 }) })
  t.teardown(() => backend.close())
  const short = { ...exampleTasks[0]!, reset: { ...exampleTasks[0]!.reset, maxSteps: 2 } }
  const truncated = await collect(rollout({ tasks: [short], groupSize: 2 }, options([backend.url], { mode: 'token' })))
  for (const record of truncated) {
    t.equal(record.termination, 'truncated')
    t.equal(record.toolCalls, 2)
    t.equal(record.reward, 0)
  }
  const promptLength = (await collect(rollout({ tasks: [exampleTasks[0]!], groupSize: 1 }, options([backend.url], { mode: 'token' }))))[0]!.prompt_ids!.length
  const maxContextTokens = promptLength + 120
  const limited = await collect(rollout({ tasks: [exampleTasks[0]!], groupSize: 2 }, options([backend.url], { mode: 'token', maxContextTokens })))
  for (const record of limited) {
    t.equal(record.termination, 'context_limit')
    t.ok(record.prompt_ids!.length + record.response_ids!.length <= maxContextTokens, 'the transcript fits the context')
    t.ok(record.turns >= 1)
  }
})
