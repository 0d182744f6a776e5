// The ready-made policies: the seeded default (valid calls, then Done at a per-seed turn), the
// turn-by-turn script, and the malformed-call fixtures.
import t from 'tap'
import { Ajv } from 'ajv'
import { malformedCallReplies, scriptedPolicy, seededPolicy, type TestPolicyInput, type TestReply } from '../../../tools/test-backend/index.ts'
import { schemaValue } from '../../../tools/test-backend/schema-values.ts'
import { parseToolCall } from '../../../clients/grpo/tool-calls.ts'
import { seededRandom } from '../../../src/seeded-random.ts'
import { toolList } from './helpers.ts'

const input = (overrides: Partial<TestPolicyInput>): TestPolicyInput =>
  ({ endpoint: 'chat', promptText: 'prompt', tools: toolList, turn: 0, seed: 1, temperature: 1, sampling: {}, ...overrides })
const ajv = new Ajv({ strict: false })
const validators = new Map(toolList.map((tool) => [tool.name, ajv.compile(tool.parameters)]))

await t.test('seededPolicy: valid calls to the env tools, then Done from a per-seed turn on', async (t) => {
  const policy = seededPolicy()
  const doneTurns = new Set<number>()
  for (let seed = 0; seed < 40; seed++) {
    let doneTurn: number | undefined
    for (let turn = 0; turn < 8; turn++) {
      const reply = policy(input({ seed, turn, promptText: `prompt after ${turn} turns` }))
      if (reply.kind !== 'call') return t.fail(`seed ${seed} turn ${turn}: ${reply.kind}`)
      const validate = validators.get(reply.name)!
      if (!validate(reply.arguments)) t.fail(`${reply.name} ${JSON.stringify(reply.arguments)}: ${ajv.errorsText(validate.errors)}`)
      if (reply.name === 'Done') doneTurn ??= turn
      else if (doneTurn !== undefined) t.fail(`seed ${seed}: ${reply.name} after Done`)
    }
    if (doneTurn === undefined || doneTurn < 2 || doneTurn > 5) t.fail(`seed ${seed}: Done first at ${doneTurn}`)
    doneTurns.add(doneTurn!)
  }
  t.same([...doneTurns].sort(), [2, 3, 4, 5], 'every turn from 2 to 5 ends some seed\'s episodes')
  t.same(policy(input({ seed: 3, promptText: 'same' })), policy(input({ seed: 3, promptText: 'same' })), 'the same input, the same reply')
  const greedy = new Set([1, 2, 3, 4, 5].map((seed) => JSON.stringify(policy(input({ seed, temperature: 0 })))))
  t.equal(greedy.size, 1, 'temperature 0 ignores the seed')
})

await t.test('seededPolicy options and edge cases', async (t) => {
  t.match(seededPolicy({ minTurnsBeforeDone: 0, maxTurnsBeforeDone: 0 })(input({})), { kind: 'call', name: 'Done' })
  t.match(seededPolicy({ doneTool: 'Observe', minTurnsBeforeDone: 1, maxTurnsBeforeDone: 1 })(input({ turn: 1 })), { kind: 'call', name: 'Observe', arguments: {} })
  t.same(seededPolicy()(input({ tools: [] })), { kind: 'text', text: 'There is no tool to call.' })
  t.match(seededPolicy()(input({ tools: [toolList[2]!] })), { kind: 'call', name: 'Done' }, 'Done alone is called at once')
  t.throws(() => seededPolicy({ minTurnsBeforeDone: 3, maxTurnsBeforeDone: 2 }), new RangeError('seededPolicy: need integers 0 <= minTurnsBeforeDone (3) <= maxTurnsBeforeDone (2)'))
})

await t.test('scriptedPolicy: one reply per turn, then `after` or a 500 that says so', async (t) => {
  const script: TestReply[] = [{ kind: 'text', text: 'first' }, { kind: 'hang' }]
  t.same(scriptedPolicy(script)(input({ turn: 0 })), script[0])
  t.same(scriptedPolicy(script)(input({ turn: 1 })), script[1])
  t.same(scriptedPolicy(script)(input({ turn: 2 })), { kind: 'http_error', status: 500, message: 'scripted policy: no reply for turn 2 (the script has 2)' })
  t.same(scriptedPolicy(script, { kind: 'length', text: 'x' })(input({ turn: 5 })), { kind: 'length', text: 'x' })
  t.match(scriptedPolicy(script, seededPolicy())(input({ turn: 7 })), { kind: 'call', name: 'Done' })
})

await t.test('schemaValue draws values the schema accepts', async (t) => {
  const schemas = [
    { type: 'integer', exclusiveMinimum: -3, exclusiveMaximum: 3 },
    { type: 'number', minimum: 10, maximum: 10 },
    { type: 'string', minLength: 7, maxLength: 9 },
    { type: 'string', maxLength: 1 },
    { enum: ['a', 2, null] },
    { const: { fixed: true } },
    { anyOf: [{ type: 'boolean' }, { type: 'null' }] },
    { type: ['integer', 'string'] },
    { type: 'array', items: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1, maxItems: 2 }, minItems: 2 },
    { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'object', properties: { c: { type: 'string' } }, required: ['c'] } }, required: ['b'] },
  ]
  const random = seededRandom(5)
  for (const schema of schemas) {
    const validate = ajv.compile(schema)
    for (let draw = 0; draw < 25; draw++) {
      const value = schemaValue(schema, random)
      if (!validate(value)) t.fail(`${JSON.stringify(schema)}: ${JSON.stringify(value)} (${ajv.errorsText(validate.errors)})`)
    }
    t.pass(JSON.stringify(schema))
  }
})

await t.test('every malformed-call fixture fails to parse in its format', async (t) => {
  for (const format of ['hermes', 'paper'] as const) {
    for (const reply of malformedCallReplies[format]) {
      if (reply.kind !== 'text') return t.fail(reply.kind)
      t.match(parseToolCall({ content: reply.text }, format), { ok: false, error: /^Error: / }, `${format}: ${reply.text}`)
    }
  }
})
