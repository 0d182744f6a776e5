// Tools and turns read back from a prompt that arrives as text or token ids.
import t from 'tap'
import { assistantTurns, toolsFromPrompt } from '../../../tools/test-backend/prompt-reading.ts'
import { segmentCodec } from '../../../tools/test-backend/segment-cache.ts'
import { renderPrompt } from '../../../src/contract/prompt.ts'
import type { TemplateMessage } from '../../../clients/grpo/tokenizer.ts'
import { firstTurn, tokenizer, toolList, tools } from './helpers.ts'

const conversation: TemplateMessage[] = [
  ...firstTurn,
  { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'Observe', arguments: {} } }] },
  { role: 'tool', content: 'six numbers' },
]

await t.test('tools: Hermes <tools> lines, the paper\'s functions list, or none', async (t) => {
  t.same(toolsFromPrompt(tokenizer.renderChat(firstTurn, { tools, addGenerationPrompt: true })), toolList)
  const paper = tokenizer.renderChat(renderPrompt({ task: 'Find the largest element.', tools: toolList }), { addGenerationPrompt: true })
  t.same(toolsFromPrompt(paper), toolList, 'the paper\'s system prompt lists the tools as JSON')
  t.same(toolsFromPrompt(tokenizer.renderChat(firstTurn, { addGenerationPrompt: true })), [])
  t.same(toolsFromPrompt('You have access to the following functions:\n[{"name": "A"}, {"nameless": 1}, 3'), [], 'an unterminated list is no list')
  t.same(toolsFromPrompt('<tools>\n{"name": "A", "description": 7}\nnot json\n</tools>'), [{ name: 'A' }], 'unreadable entries and fields are skipped')
})

await t.test('turns: closed assistant turns, not the generation prompt', async (t) => {
  t.equal(assistantTurns(tokenizer.renderChat(firstTurn, { addGenerationPrompt: true })), 0)
  t.equal(assistantTurns(tokenizer.renderChat(conversation, { tools, addGenerationPrompt: true })), 1)
  t.equal(assistantTurns(tokenizer.renderChat([...conversation, { role: 'assistant', content: 'Thinking.' }], { tools })), 2)
  t.equal(assistantTurns('no markers at all'), 0)
})

await t.test('the turn cache encodes and decodes exactly as the tokenizer does, within its bound', async (t) => {
  const codec = segmentCodec(tokenizer, 3)
  const texts = [
    tokenizer.renderChat(conversation, { tools, addGenerationPrompt: true }),
    tokenizer.renderChat([...conversation, { role: 'assistant', content: 'ünïcode 🙂 <|im_start|> in text' }], { tools }),
    'no turns at all',
    '<|im_start|>',
    '',
  ]
  for (const text of texts) {
    t.same(codec.encode(text), tokenizer.encode(text), JSON.stringify(text.slice(0, 30)))
    t.same(codec.encode(text), tokenizer.encode(text), 'again, from the cache')
    t.equal(codec.decode(tokenizer.encode(text)), text)
  }
  const im = tokenizer.encode('<|im_start|>')[0]!
  const partial = [...tokenizer.encode('🙂').slice(0, 1), im, 198, ...tokenizer.encode('é'), im]
  t.equal(codec.decode(partial), tokenizer.decode(partial), 'a character cut by a turn marker decodes the same')
})
