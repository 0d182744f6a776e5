// Transport and framing: codecs, the envelope, the order in which a frame is checked, numbers.
import { checkedError, checkedResult, expect, show, type Check } from '../context.ts'
import { decodeStrict } from '../msgpack.ts'

const largestId = Number.MAX_SAFE_INTEGER
/** MessagePack formats that hold integers: positive/negative fixint, uint 8–64, int 8–64. */
const isIntegerFormat = (byte: number): boolean => byte <= 0x7f || byte >= 0xe0 || (byte >= 0xcc && byte <= 0xd3)

/** The format byte of the value stored under `key` in the top-level map of a MessagePack frame. */
function formatOfTopLevelKey (frame: Buffer, key: string): number | undefined {
  const keyBytes = Buffer.concat([Buffer.from([0xa0 | key.length]), Buffer.from(key)])
  const at = frame.indexOf(keyBytes)
  return at < 0 ? undefined : frame[at + keyBytes.length]
}

export const framingChecks: Check[] = [
  {
    section: 'Codecs',
    level: 'MUST',
    statement: 'a response is sent in the codec of its request\'s frame (binary: MessagePack, text: JSON)',
    async run (context) {
      const client = await context.client()
      const answer = await client.wire.call('envs.list', undefined, context.codec)
      expect(answer.received.codec === context.codec, `envs.list sent as ${context.codec} was answered as ${answer.received.codec}`)
    },
  },
  {
    section: 'Codecs',
    level: 'MUST',
    statement: 'a client may mix codecs on one connection: each request is answered in its own frame\'s codec',
    async run (context) {
      const client = await context.client()
      const answer = await client.wire.call('envs.list', undefined, context.otherCodec)
      expect(answer.received.codec === context.otherCodec, `a ${context.otherCodec} request after a ${context.codec} hello was answered as ${answer.received.codec}`)
      checkedResult('envs.list', answer)
    },
  },
  {
    section: 'Codecs',
    level: 'MUST',
    statement: 'a request id up to 2^53 − 1 is echoed exactly, as an integer',
    async run (context) {
      const client = await context.client()
      const answer = await client.wire.answer(client.wire.request('envs.list', undefined, context.codec, largestId))
      expect(answer.id === largestId, `the id came back as ${show(answer.id)}`)
      if (context.codec === 'msgpack') {
        const format = formatOfTopLevelKey(answer.received.raw as Buffer, 'id')
        expect(format !== undefined && isIntegerFormat(format), `the id 2^53 − 1 was encoded with MessagePack format 0x${format?.toString(16)}, not an integer format`)
      } else {
        expect((answer.received.raw as string).includes(`"id":${largestId}`), 'the id is not written as plain digits in JSON')
      }
    },
  },
  {
    section: 'Codecs',
    level: 'MUST',
    statement: 'a seed of 2^53 − 1 is used and returned exactly; info.seed is an integer on the wire',
    async run (context) {
      const client = await context.client()
      const { info, session } = await context.episode(client, { seed: largestId })
      expect(info.seed === largestId, `info.seed came back as ${show(info.seed)}`)
      const drawn = await context.episode(client)
      expect(Number.isSafeInteger(drawn.info.seed) && (drawn.info.seed as number) >= 0, `a drawn info.seed is ${show(drawn.info.seed)}, not an integer in 0 … 2^53 − 1`)
      await client.ok('close', { session })
      await client.ok('close', { session: drawn.session })
    },
  },
  {
    section: 'Codecs',
    level: 'MUST',
    statement: 'a number with no fractional part is a MessagePack integer, never a float (request ids, seeds, steps, limits)',
    only: 'msgpack',
    async run (context) {
      const client = await context.client()
      // Drawn seeds are mostly 2^32 or more: the values a float64 encoding shows up on.
      const ids = [2 ** 32, 2 ** 40 + 1, largestId]
      const frames = []
      for (const id of ids) frames.push({ message: { id, op: 'reset', params: { env: context.env.id } }, codec: context.codec })
      client.wire.sendTogether(frames)
      for (const id of ids) {
        const answer = await client.wire.answer(id)
        checkedResult('reset', answer)
        const floats = answer.received.wholeFloats
        expect(floats.length === 0, `whole numbers sent as floats: ${floats.map((float) => `${float.path} = ${float.value}`).join(', ')}`)
        const session = answer.result!.session as string
        await client.ok('close', { session })
      }
    },
  },
  {
    section: 'Codecs',
    level: 'MUST',
    statement: 'the server reads MessagePack integers of every width (uint 64, int 64) as integers',
    only: 'msgpack',
    async run (context) {
      const client = await context.client()
      // 0xcf: uint 64 holding 5 as the id; int 64 holding the seed 7.
      const frame = Buffer.concat([
        Buffer.from([0x83, 0xa2]), Buffer.from('id'), Buffer.from([0xcf, 0, 0, 0, 0, 0, 0, 0, 5]),
        Buffer.from([0xa2]), Buffer.from('op'), Buffer.from([0xa5]), Buffer.from('reset'),
        Buffer.from([0xa6]), Buffer.from('params'), Buffer.from([0x82, 0xa3]), Buffer.from('env'), encodeStr(context.env.id),
        Buffer.from([0xa7]), Buffer.from('options'), Buffer.from([0x81, 0xa4]), Buffer.from('seed'), Buffer.from([0xd3, 0, 0, 0, 0, 0, 0, 0, 7]),
      ])
      client.wire.sendFrame(frame, true)
      const result = checkedResult('reset', await client.wire.answer(5))
      expect((result.info as { seed: number }).seed === 7, `the int 64 seed 7 was read as ${show((result.info as { seed: number }).seed)}`)
      await client.ok('close', { session: result.session })
    },
  },
  {
    section: 'Codecs',
    level: 'MUST',
    statement: 'a frame that is not valid MessagePack/JSON is a parse_error with id null, and the connection stays open',
    async run (context) {
      const client = await context.client()
      client.wire.sendFrame(context.codec === 'msgpack' ? Buffer.from([0xc1]) : '{"id": 1, "op"', context.codec === 'msgpack')
      const error = checkedError('frame', await client.wire.answer(null), 'parse_error')
      expect(error.message.length > 0, 'the parse_error has an empty message')
      await client.ok('envs.list')
    },
  },
  {
    section: 'Codecs',
    level: 'MUST',
    statement: 'values that are not plain data (extension types, non-finite floats, a "__proto__" key, nesting over 64) are a parse_error',
    async run (context) {
      const client = await context.client()
      const frames: Array<Buffer | string> = context.codec === 'msgpack'
        ? [
            Buffer.from([0x82, 0xa2, 0x69, 0x64, 0x01, 0xa2, 0x6f, 0x70, 0xd6, 0xff, 0, 0, 0, 0]), // op: a timestamp extension
            Buffer.from([0x82, 0xa2, 0x69, 0x64, 0x01, 0xa2, 0x6f, 0x70, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]), // op: NaN
          ]
        : []
      frames.push(context.codec === 'msgpack' ? nestedPack(70) : '['.repeat(70) + ']'.repeat(70))
      const proto = '{"id": 1, "op": "envs.list", "params": {"__proto__": {}}}'
      frames.push(context.codec === 'msgpack' ? Buffer.concat([Buffer.from([0x83, 0xa2]), Buffer.from('id'), Buffer.from([1, 0xa2]), Buffer.from('op'), encodeStr('envs.list'), Buffer.from([0xa6]), Buffer.from('params'), Buffer.from([0x81, 0xa9]), Buffer.from('__proto__'), Buffer.from([0x80])]) : proto)
      for (const frame of frames) {
        client.wire.sendFrame(frame, context.codec === 'msgpack')
        checkedError('frame', await client.wire.answer(null, `the answer to ${typeof frame === 'string' ? frame.slice(0, 40) : frame.subarray(0, 16).toString('hex')}`), 'parse_error')
      }
      await client.ok('envs.list')
    },
  },
  {
    section: 'Conventions',
    level: 'MUST',
    statement: 'bytes (MessagePack bin) are not a JsonValue: done with a bin answer is invalid_params, and nothing is taken',
    only: 'msgpack',
    async run (context) {
      const client = await context.client()
      const { session } = await context.episode(client)
      await client.fails('done', { session, answer: new Uint8Array([1, 2, 3]) }, 'invalid_params')
      const snapshot = await client.ok('snapshot', { session })
      expect(snapshot.step === 0, `the refused done was taken: the episode is at step ${show(snapshot.step)}`)
      await client.ok('close', { session })
    },
  },
  {
    section: 'Messages',
    level: 'MUST',
    statement: 'a message that is not a Request is an invalid_request, with the id when it could be read, else id null',
    async run (context) {
      const client = await context.client()
      const cases: Array<{ message: unknown, id: number | null }> = [
        { message: { id: 7 }, id: 7 },
        { message: { id: 8, op: 'envs.list', extra: 1 }, id: 8 },
        { message: { id: 9, op: 'envs.list', params: [1] }, id: 9 },
        { message: { id: 10, op: 'x'.repeat(33) }, id: 10 },
        { message: { id: 'eleven', op: 'envs.list' }, id: null },
        { message: { id: -1, op: 'envs.list' }, id: null },
        { message: [{ id: 12, op: 'envs.list' }], id: null },
      ]
      for (const { message, id } of cases) {
        client.wire.send(message, context.codec)
        checkedError('request', await client.wire.answer(id, `the answer to ${show(message)}`), 'invalid_request')
      }
    },
  },
  {
    section: 'How the server reads a frame',
    level: 'MUST',
    statement: 'an op that is not one of the ops is unknown_op; params that do not match are invalid_params',
    async run (context) {
      const client = await context.client()
      await client.fails('teleport', undefined, 'unknown_op')
      await client.fails('step', { session: 'no-such-session' }, 'invalid_params')
      await client.fails('envs.list', { unexpected: true }, 'invalid_params')
    },
  },
  {
    section: 'How the server reads a frame',
    level: 'MUST',
    statement: 'before hello every other op is hello_required; hello is then still accepted',
    async run (context) {
      const wire = await context.connect()
      checkedError('envs.list', await wire.call('envs.list', undefined, context.codec), 'hello_required')
      checkedResult('hello', await wire.call('hello', context.helloParams(), context.codec))
    },
  },
  {
    section: 'How the server reads a frame',
    level: 'MUST',
    statement: 'hello on an open connection is already_hello',
    async run (context) {
      const client = await context.client()
      await client.fails('hello', context.helloParams(), 'already_hello')
      await client.ok('envs.list')
    },
  },
  {
    section: 'How the server reads a frame',
    level: 'MUST',
    statement: 'an id still in flight is duplicate_request_id, sent before the first request\'s own response, which follows normally',
    async run (context) {
      const client = await context.client()
      const id = client.wire.newId()
      client.wire.sendTogether([
        { message: { id, op: 'reset', params: { env: context.env.id } }, codec: context.codec },
        { message: { id, op: 'envs.list' }, codec: context.codec },
      ])
      const first = await client.wire.answer(id)
      checkedError('the second request', first, 'duplicate_request_id')
      const second = await client.wire.answer(id)
      const result = checkedResult('reset', second)
      await client.ok('close', { session: result.session })
    },
  },
  {
    section: 'Pipelining and ordering',
    level: 'MUST',
    statement: 'an id may be used again once its response has arrived',
    async run (context) {
      const client = await context.client()
      for (let round = 0; round < 3; round++) checkedResult('envs.list', await client.wire.answer(client.wire.request('envs.list', undefined, context.codec, 42)))
    },
  },
]

function encodeStr (text: string): Buffer {
  const bytes = Buffer.from(text)
  return Buffer.concat([bytes.length < 32 ? Buffer.from([0xa0 | bytes.length]) : Buffer.from([0xd9, bytes.length]), bytes])
}

/** A request whose params nest depth arrays deep. */
function nestedPack (depth: number): Buffer {
  const head = Buffer.concat([Buffer.from([0x83, 0xa2]), Buffer.from('id'), Buffer.from([1, 0xa2]), Buffer.from('op'), encodeStr('envs.list'), Buffer.from([0xa6]), Buffer.from('params'), Buffer.from([0x81, 0xa1, 0x78])])
  const frame = Buffer.concat([head, Buffer.alloc(depth, 0x91), Buffer.from([0xc0])])
  decodeStrict(frame)
  return frame
}
