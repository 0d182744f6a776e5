// Tool calls as policies write them: each format parsed, every way a call can be wrong named in
// the error observation, and formatToolCall → parseToolCall round trips.
import t from 'tap'
import { formatToolCall, parseToolCall, splitReasoning, templateJson, type PolicyReplyMessage } from '../../../clients/grpo/tool-calls.ts'
import { loadChatTokenizer } from '../../../clients/grpo/tokenizer.ts'

const openAiHint = 'Call exactly one tool per turn, as a function call through the tool-calling interface.'
const hermesHint = 'Call exactly one tool per turn, written as <tool_call>\n{"name": <tool name>, "arguments": {...}}\n</tool_call>.'
const paperHint = 'Call exactly one tool per turn, written as one JSON object: {"name": <tool name>, "parameters": {...}}.'

function toolCalls (...calls: Array<[name: string, args: string]>): PolicyReplyMessage {
  return { content: null, toolCalls: calls.map(([name, args], index) => ({ id: `call_${index}`, type: 'function', function: { name, arguments: args } })) }
}
const text = (content: string | null): PolicyReplyMessage => ({ content })

await t.test('openai: the tool_calls field', async (t) => {
  t.same(parseToolCall(toolCalls(['GetElement', '{"index": 3}']), 'openai'), { ok: true, action: { name: 'GetElement', parameters: { index: 3 } }, callId: 'call_0' })
  t.same(parseToolCall(toolCalls(['Observe', '{}']), 'openai'), { ok: true, action: { name: 'Observe', parameters: {} }, callId: 'call_0' })
  const failures: Array<[PolicyReplyMessage, string]> = [
    [text('I would call Observe.'), `Error: the reply has no tool call. ${openAiHint}`],
    [{ content: null, toolCalls: [] }, `Error: the reply has no tool call. ${openAiHint}`],
    [toolCalls(['Observe', '{}'], ['Observe', '{}']), `Error: the reply has 2 tool calls. ${openAiHint}`],
    [toolCalls(['Add', '{"a": 1']), `Error: the arguments of the call to Add are not valid JSON (Expected ',' or '}' after property value in JSON at position 7 (line 1 column 8)). ${openAiHint}`],
    [toolCalls(['Add', '[1]']), `Error: the arguments of the call to Add must be a JSON object, not an array. ${openAiHint}`],
    [toolCalls(['Add', '"x"']), `Error: the arguments of the call to Add must be a JSON object, not the string "x". ${openAiHint}`],
    [toolCalls(['Add', 'null']), `Error: the arguments of the call to Add must be a JSON object, not null. ${openAiHint}`],
    [toolCalls(['', '{}']), `Error: the tool call has no name. ${openAiHint}`],
  ]
  for (const [reply, error] of failures) t.same(parseToolCall(reply, 'openai'), { ok: false, error }, error)
})

await t.test('hermes: <tool_call> tags around {"name", "arguments"}', async (t) => {
  t.same(parseToolCall(text('Let me look.\n<tool_call>\n{"name": "GetElement", "arguments": {"index": 3}}\n</tool_call>'), 'hermes'),
    { ok: true, action: { name: 'GetElement', parameters: { index: 3 } } })
  t.same(parseToolCall(text('<tool_call>{"name": "Observe"}</tool_call>'), 'hermes'), { ok: true, action: { name: 'Observe', parameters: {} } },
    'a call without arguments has none')
  t.same(parseToolCall(toolCalls(['Observe', '{}']), 'hermes'), { ok: false, error: `Error: the reply has no <tool_call>. ${hermesHint}` },
    'hermes reads the content only')
  const failures: Array<[string | null, string]> = [
    ['I will think first.', `Error: the reply has no <tool_call>. ${hermesHint}`],
    [null, `Error: the reply has no <tool_call>. ${hermesHint}`],
    ['<tool_call>\n{"name": "Observe", "arguments": {}}', `Error: <tool_call> is not closed by </tool_call>. ${hermesHint}`],
    ['<tool_call>{"name": "A"}</tool_call>\n<tool_call>{"name": "B"}</tool_call>', `Error: the reply has 2 tool calls. ${hermesHint}`],
    ['<tool_call>\n{"name": "Observe", "arguments": {}\n</tool_call>', `Error: the tool call is not valid JSON (Expected ',' or '}' after property value in JSON at position 35 (line 1 column 36)). ${hermesHint}`],
    ['<tool_call>\n"Observe"\n</tool_call>', `Error: the tool call must be a JSON object, not the string "Observe". ${hermesHint}`],
    ['<tool_call>\n{"arguments": {}}\n</tool_call>', `Error: the tool call has no "name". ${hermesHint}`],
    ['<tool_call>\n{"name": 7, "arguments": {}}\n</tool_call>', `Error: "name" must be a non-empty string, not the number 7. ${hermesHint}`],
    ['<tool_call>\n{"name": "", "arguments": {}}\n</tool_call>', `Error: "name" must be a non-empty string, not the string "". ${hermesHint}`],
    ['<tool_call>\n{"name": "Observe", "arguments": []}\n</tool_call>', `Error: "arguments" of the call to Observe must be a JSON object, not an array. ${hermesHint}`],
    ['<tool_call>\n{"name": "Observe", "arguments": true}\n</tool_call>', `Error: "arguments" of the call to Observe must be a JSON object, not the boolean true. ${hermesHint}`],
    ['<tool_call>\n{"name": "Observe", "parameters": {}}\n</tool_call>', `Error: unexpected key "parameters" in the tool call (expected "name" and "arguments"). ${hermesHint}`],
  ]
  for (const [content, error] of failures) t.same(parseToolCall(text(content), 'hermes'), { ok: false, error }, error)
})

await t.test('paper: one {"name", "parameters"} object, bare, in prose or fenced', async (t) => {
  const ok = { ok: true, action: { name: 'Get', parameters: { key: 'a}b"{' } } }
  t.same(parseToolCall(text('{"name": "Get", "parameters": {"key": "a}b\\"{"}}'), 'paper'), ok, 'braces and quotes inside strings')
  t.same(parseToolCall(text('I will read it.\n```json\n{"name": "Get", "parameters": {"key": "a}b\\"{"}}\n```\n'), 'paper'), ok, 'fenced, after prose')
  t.same(parseToolCall(text('{"name": "Observe"}'), 'paper'), { ok: true, action: { name: 'Observe', parameters: {} } })
  const failures: Array<[string | null, string]> = [
    ['I will look around first.', `Error: the reply has no tool call. ${paperHint}`],
    [null, `Error: the reply has no tool call. ${paperHint}`],
    ['{"name": "Observe", "parameters": {}', `Error: a JSON object in the reply is not closed. ${paperHint}`],
    ['{"name": "Observe", "parameters": {},}', `Error: the tool call is not valid JSON (Expected double-quoted property name in JSON at position 37 (line 1 column 38)). ${paperHint}`],
    ['{"name": "Observe", "parameters": {}}\n{"name": "Observe", "parameters": {}}', `Error: the reply has 2 JSON objects. ${paperHint}`],
    ['{"parameters": {}}', `Error: the tool call has no "name". ${paperHint}`],
    ['{"name": ["Observe"], "parameters": {}}', `Error: "name" must be a non-empty string, not an array. ${paperHint}`],
    ['{"name": "Observe", "parameters": "none"}', `Error: "parameters" of the call to Observe must be a JSON object, not the string "none". ${paperHint}`],
    ['{"name": "Observe", "parameters": null}', `Error: "parameters" of the call to Observe must be a JSON object, not null. ${paperHint}`],
    ['{"name": "Observe", "parameters": {}, "extra": 1}', `Error: unexpected key "extra" in the tool call (expected "name" and "parameters"). ${paperHint}`],
    ['{"name": "Observe", "arguments": {}}', `Error: unexpected key "arguments" in the tool call (expected "name" and "parameters"). ${paperHint}`],
  ]
  for (const [content, error] of failures) t.same(parseToolCall(text(content), 'paper'), { ok: false, error }, error)
})

await t.test('auto: the tool_calls field, then Hermes tags, then a paper object', async (t) => {
  t.same(parseToolCall({ content: '{"name": "Ignored", "parameters": {}}', toolCalls: toolCalls(['Observe', '{}']).toolCalls! }, 'auto'),
    { ok: true, action: { name: 'Observe', parameters: {} }, callId: 'call_0' })
  t.same(parseToolCall(text('<tool_call>\n{"name": "Observe", "arguments": {}}\n</tool_call>'), 'auto'), { ok: true, action: { name: 'Observe', parameters: {} } })
  t.same(parseToolCall(text('<tool_call>\n{"name": "Observe", "arguments": {}}'), 'auto'), { ok: false, error: `Error: <tool_call> is not closed by </tool_call>. ${openAiHint}` },
    'a reply with a Hermes tag is judged as Hermes, and the hint asks for a function call (the model was offered API tools)')
  t.same(parseToolCall({ content: '{"name": "Observe", "parameters": {}}', toolCalls: [] }, 'auto'), { ok: true, action: { name: 'Observe', parameters: {} } })
  t.same(parseToolCall(text(''), 'auto'), { ok: false, error: `Error: the reply has no tool call. ${openAiHint}` })
  t.notMatch(parseToolCall(text('I am done.'), 'auto'), { error: /"parameters"/ }, 'no JSON syntax is suggested with API tools')
  t.same(parseToolCall(toolCalls(['A', '{}'], ['B', '{}']), 'auto'), { ok: false, error: `Error: the reply has 2 tool calls. ${openAiHint}` })
})

await t.test('splitReasoning: the content after the last </think> is what is parsed', async (t) => {
  t.same(splitReasoning('<think>\nLet me see.\n</think>\n\n<tool_call>x</tool_call>'), { content: '<tool_call>x</tool_call>', reasoning: 'Let me see.' })
  t.same(splitReasoning('Thinking with the open tag in the prompt.</think>answer'), { content: 'answer', reasoning: 'Thinking with the open tag in the prompt.' })
  t.same(splitReasoning('<think>cut off before the end'), { content: '', reasoning: 'cut off before the end' }, 'an unclosed think block is all thinking')
  t.same(splitReasoning('plain reply'), { content: 'plain reply' })
})

await t.test('formatToolCall writes what parseToolCall reads back, in every format that reads it', async (t) => {
  const actions = [
    { name: 'Observe', parameters: {} },
    { name: 'GetElement', parameters: { index: 3 } },
    { name: 'Done', parameters: { answer: [1, -2.5, 'ünï "quoted" }{', null, true, { nested: [] }] } },
  ]
  for (const action of actions) {
    const hermes = formatToolCall(action, 'hermes')
    const paper = formatToolCall(action, 'paper')
    t.same(parseToolCall(text(hermes), 'hermes'), { ok: true, action }, hermes)
    t.same(parseToolCall(text(hermes), 'auto'), { ok: true, action }, hermes)
    t.same(parseToolCall(text(paper), 'paper'), { ok: true, action }, paper)
    t.same(parseToolCall(text(paper), 'auto'), { ok: true, action }, paper)
    t.same(parseToolCall(toolCalls([action.name, JSON.stringify(action.parameters)]), 'openai'), { ok: true, action, callId: 'call_0' })
  }
  t.equal(formatToolCall({ name: 'GetElement', parameters: { index: 3 } }, 'hermes'), '<tool_call>\n{"name": "GetElement", "arguments": {"index": 3}}\n</tool_call>')
  t.equal(formatToolCall({ name: 'GetElement', parameters: { index: 3 } }, 'paper'), '{"name": "GetElement", "parameters": {"index": 3}}')
})

await t.test('a Hermes call is byte for byte what the chat template renders for that call', async (t) => {
  const tokenizer = await loadChatTokenizer()
  const parameters = { answer: [1, -2.5, 'ünï "q"'], flag: false }
  const rendered = tokenizer.renderChat([
    { role: 'user', content: 'U' },
    { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'Done', arguments: parameters } }] },
  ])
  t.ok(rendered.endsWith(`<|im_start|>assistant\n${formatToolCall({ name: 'Done', parameters }, 'hermes')}<|im_end|>\n`), rendered)
  t.equal(templateJson({ a: [1, 'x'], b: null }), '{"a": [1, "x"], "b": null}')
})

