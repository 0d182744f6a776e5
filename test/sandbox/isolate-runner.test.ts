// The guest's answer to one call, read directly from an IsolateRunner: the plain-JSON checks give
// their code and exact message (the quick walk and the full walk that explains a refusal agree),
// values that are plain JSON pass as they are, the state comes back as the guest's own text, and
// nothing of one call is left for the next.
import t from 'tap'
import { decodeGuestAnswer, type GuestResult } from '../../src/env/guest.ts'
import { IsolateRunner } from '../../src/sandbox/isolate-runner.ts'
import { defaultSandboxLimits } from '../../src/sandbox/limits.ts'

const limits = { ...defaultSandboxLimits, isolateMemoryLimitMb: 64, maxStateBytes: 16 * 1024, maxObservationBytes: 4 * 1024 }

// Each maker builds a value; Return gives it as the observation, Store puts it into the state.
const envSource = `
let calls = 0
const makers = {
  'nan': () => ({ a: [1, NaN] }),
  'infinity': () => [{ b: -Infinity }],
  'function': () => ({ f: () => 1 }),
  'bigint': () => [1n],
  'symbol-value': () => ({ s: Symbol('s') }),
  'undefined-element': () => [1, undefined],
  'cycle': () => { const a = { b: [] }; a.b.push(a); return a },
  'shared-not-cycle': () => { const x = { v: 1 }; return [x, x, { y: x }] },
  'deep-64': () => { let v = 1; for (let i = 0; i < 64; i++) v = [v]; return v },
  'deep-65': () => { let v = 1; for (let i = 0; i < 65; i++) v = [v]; return v },
  'instance': () => ({ p: new (class Point {})() }),
  'map': () => [new Map()],
  'date': () => ({ when: new Date(0) }),
  'array-subclass': () => ({ list: new (class List extends Array {})() }),
  'getter': () => ({ o: { get x () { return 1 } } }),
  'setter-only': () => ({ o: { set x (v) {} } }),
  'non-enumerable': () => { const o = { a: 1 }; Object.defineProperty(o, 'hidden', { value: 2 }); return { o } },
  'symbol-key': () => ({ o: { [Symbol('k')]: 1 } }),
  'hole': () => ({ list: [1, , 3] }),
  'array-named': () => { const list = [1, 2]; list.extra = 3; return { list } },
  'hole-and-named': () => { const list = [1, , 3]; list.extra = 4; return { list } },
  'array-getter': () => { const list = [1, 2]; Object.defineProperty(list, 1, { get () { return 2 }, enumerable: true }); return list },
  'array-non-enumerable-index': () => { const list = [1, 2]; Object.defineProperty(list, 0, { enumerable: false }); return list },
  'array-non-enumerable-named': () => { const list = [1, 2]; Object.defineProperty(list, 'meta', { value: 1 }); return list },
  'array-symbol': () => { const list = [1, 2]; list[Symbol('k')] = 1; return list },
  'huge-string': () => 'x'.repeat(5000),
  'huge-array': () => new Array(3000).fill(1),
  'plain': () => ({ n: -0, big: 2 ** 53, text: 'lone \\ud800 and \\udc00 pair \\ud83d\\ude00 \\u0001', none: undefined, list: [0, false, null, '', {}], frozen: Object.freeze([1]) }),
  'proto-key': () => JSON.parse('{"__proto__": {"x": 1}, "y": 2}'),
  'null-proto': () => Object.assign(Object.create(null), { a: 1 }),
}
module.exports = {
  reset (config) { return { count: config.start } },
  observe (state) { return { count: state.count } },
  answer () { return 0 },
  tools: {
    Return (state, { kind }) { state.count++; return makers[kind]() },
    Store (state, { kind }) { state.count++; state.value = makers[kind](); return 'stored' },
    StoreHuge (state, { size }) { state.blob = 'b'.repeat(size); return 'stored' },
    StoreZeros (state, { size }) { state.zeros = new Array(size).fill(0); return 'stored' },
    Count () { calls++; return calls },
  },
}
`

const runner = new IsolateRunner(limits)
t.teardown(() => { runner.dispose() })
runner.load('probe', envSource)

function call (op: 'reset' | 'tool' | 'observe', state: string, args: object): GuestResult {
  const result = runner.call('probe', op, state, JSON.stringify(args))
  if (!result.ok) throw new Error(`the runner failed: ${result.code}: ${result.message}`)
  return decodeGuestAnswer(result.json)
}

const started = call('reset', '', { config: { start: 1 }, seed: 5 })
if (!started.ok || started.state === undefined) throw new Error('reset failed')
const state = started.state

void t.test('reset answers with the state as the guest made it, the truth and the observation', async (t) => {
  t.same(started, { ok: true, state, truth: 0, observation: { count: 1 } })
  t.same((JSON.parse(state) as { s: unknown }).s, { count: 1 })
})

const refusals: Array<[string, string, string]> = [
  ['nan', 'not_json', 'observation holds NaN, which is not JSON at .a[1]'],
  ['infinity', 'not_json', 'observation holds -Infinity, which is not JSON at [0].b'],
  ['function', 'not_json', 'observation holds a function, which is not JSON at .f'],
  ['bigint', 'not_json', 'observation holds a bigint, which is not JSON at [0]'],
  ['symbol-value', 'not_json', 'observation holds a symbol, which is not JSON at .s'],
  ['undefined-element', 'not_json', 'observation holds a undefined, which is not JSON at [1]'],
  ['cycle', 'not_json', 'observation contains a cycle at .b[0]'],
  ['deep-65', 'not_json', `observation is nested deeper than 64 levels at ${'[0]'.repeat(64)}`],
  ['instance', 'not_json', 'observation holds an object that is not a plain object or array at .p'],
  ['map', 'not_json', 'observation holds an object that is not a plain object or array at [0]'],
  ['date', 'not_json', 'observation holds an object that is not a plain object or array at .when'],
  ['array-subclass', 'not_json', 'observation holds an object that is not a plain object or array at .list'],
  ['getter', 'not_json', 'observation has a getter or setter at .o.x'],
  ['setter-only', 'not_json', 'observation has a getter or setter at .o.x'],
  ['non-enumerable', 'not_json', 'observation has a non-enumerable property at .o.hidden'],
  ['symbol-key', 'not_json', 'observation has symbol keys at .o'],
  ['hole', 'not_json', 'observation is an array with holes at .list'],
  ['array-named', 'not_json', 'observation is an array with a property that is not an index at .list.extra'],
  ['hole-and-named', 'not_json', 'observation is an array with a property that is not an index at .list.extra'],
  ['array-getter', 'not_json', 'observation has a getter or setter at .1'],
  ['array-non-enumerable-index', 'not_json', 'observation has a non-enumerable property at .0'],
  ['array-non-enumerable-named', 'not_json', 'observation is an array with a property that is not an index at .meta'],
  ['array-symbol', 'not_json', 'observation has symbol keys'],
  ['huge-string', 'observation_too_large', 'observation is over the limit of 4096 bytes as JSON'],
  ['huge-array', 'observation_too_large', 'observation is over the limit of 4096 bytes as JSON'],
]

void t.test('an observation that is not plain JSON is refused with its code and message', async (t) => {
  for (const [kind, code, message] of refusals) {
    t.same(call('tool', state, { name: 'Return', parameters: { kind } }), { ok: false, code, message }, kind)
  }
})

void t.test('a state that is not plain JSON is refused with its code and message', async (t) => {
  for (const [kind, code, message] of refusals) {
    // In the state the value is two levels down (.s.value): the depth refusal comes at another path.
    if (code !== 'not_json' || kind === 'deep-65') continue
    const path = message.replace(/^observation /, '').replace(/ at /, ' at .s.value')
    const expected = path.includes(' at .s.value') ? path : `${path} at .s.value`
    t.same(call('tool', state, { name: 'Store', parameters: { kind } }), { ok: false, code, message: `state ${expected}` }, kind)
  }
})

void t.test('plain JSON passes as it is', async (t) => {
  const plain = call('tool', state, { name: 'Return', parameters: { kind: 'plain' } })
  t.same(plain, {
    ok: true,
    state: '{"s":{"count":2},"r":' + JSON.stringify((JSON.parse(state) as { r: unknown }).r) + '}',
    observation: { n: 0, big: 2 ** 53, text: 'lone \ud800 and \udc00 pair \ud83d\ude00 \u0001', list: [0, false, null, '', {}], frozen: [1] },
  })
  t.equal(call('tool', state, { name: 'Return', parameters: { kind: 'deep-64' } }).ok, true, '64 levels are allowed')
  for (const kind of ['shared-not-cycle', 'proto-key', 'null-proto']) {
    const answer = call('tool', state, { name: 'Store', parameters: { kind } })
    t.equal(answer.ok, true, kind)
    if (!answer.ok) continue
    t.equal(typeof answer.state, 'string')
    const stored = (JSON.parse(answer.state!) as { s: { value: unknown } }).s.value
    t.ok(stored !== undefined, `${kind} is in the state`)
  }
  const proto = call('tool', state, { name: 'Return', parameters: { kind: 'proto-key' } })
  t.ok(proto.ok && Object.hasOwn(proto.observation as object, '__proto__'), 'an own __proto__ key stays a key')
})

void t.test('a state far over the limit is refused while it is walked', async (t) => {
  // 40 MB of state and its 40 MB of JSON would not fit in the 64 MB isolate: memory_limit. Refused
  // once the walk has seen the limit's worth, it is state_too_large.
  t.same(call('tool', state, { name: 'StoreHuge', parameters: { size: 40 * 1024 * 1024 } }),
    { ok: false, code: 'state_too_large', message: 'state is over the limit of 16384 bytes as JSON' })
  // 4 million elements fit in the isolate; a list of their 4 million keys would not.
  t.same(call('tool', state, { name: 'StoreZeros', parameters: { size: 4_000_000 } }),
    { ok: false, code: 'state_too_large', message: 'state is over the limit of 16384 bytes as JSON' })
  t.same(call('tool', state, { name: 'Return', parameters: { kind: 'huge-array' } }),
    { ok: false, code: 'observation_too_large', message: 'observation is over the limit of 4096 bytes as JSON' })
  const justUnder = call('tool', state, { name: 'StoreHuge', parameters: { size: limits.maxStateBytes - 200 } })
  t.equal(justUnder.ok, true, 'a state just under the limit is committed')
})

void t.test('nothing of one call is left for the next', async (t) => {
  const first = call('tool', state, { name: 'Count', parameters: {} })
  const second = call('tool', state, { name: 'Count', parameters: {} })
  t.same([first.ok && first.observation, second.ok && second.observation], [1, 1])
  t.same(first, second, 'the same call on the same state gives the same answer')
})

void t.test('observe and an unknown tool', async (t) => {
  t.same(call('observe', state, {}), { ok: true, observation: { count: 1 } })
  t.same(call('tool', state, { name: 'Nope', parameters: {} }), { ok: false, code: 'unknown_tool', message: 'the env module has no tool Nope' })
})

void t.test('decodeGuestAnswer reads every field and refuses what no guest writes', async (t) => {
  t.same(decodeGuestAnswer('\u0001config={"a":[1]}'), { ok: true, config: { a: [1] } })
  t.same(decodeGuestAnswer('\u0001correct=true'), { ok: true, correct: true })
  t.same(decodeGuestAnswer('\u0001correct=false'), { ok: true, correct: false })
  t.same(decodeGuestAnswer('\u0001state={"s":"a=b"}\u0001observation="x=y"'), { ok: true, state: '{"s":"a=b"}', observation: 'x=y' })
  t.same(decodeGuestAnswer('{"ok":false,"code":"tool_error","message":"m"}'), { ok: false, code: 'tool_error', message: 'm' })
  t.throws(() => decodeGuestAnswer('\u0001nonsense=1'), /unknown field/)
  t.throws(() => decodeGuestAnswer('\u0001state'), /without a value/)
})
