// What a conformance check works with: connections to the server under test (each check's own,
// closed after it), a client that has said hello, and facts about one env learned over the wire.
import { protocolDefinition, type Validator } from '../contract/index.ts'
import { ConformanceFailure, WireConnection, type Answer, type Codec } from './wire.ts'

export type Level = 'MUST' | 'MUST NOT' | 'SHOULD'

export interface Check {
  /** The PROTOCOL.md section that states it. */
  readonly section: string
  readonly level: Level
  /** The statement, as the section makes it. */
  readonly statement: string
  /** Runs once, in the first codec's pass, for checks whose codec does not matter. */
  readonly once?: boolean
  /** Runs only in this codec's pass, for checks of one codec's encoding. */
  readonly only?: Codec
  run (context: CheckContext): Promise<void>
}

/** Thrown by a check that cannot be provoked on this server (for example a limit too large to reach). */
export class CheckSkipped extends Error {
  override readonly name = 'CheckSkipped'
}

export interface SuiteOptions {
  readonly url: string
  readonly token: string | undefined
  readonly codecs: readonly Codec[]
  /** Longest wait for any one answer. */
  readonly timeoutMs: number
}

/** The env the checks play, as envs.list and envs.describe told. */
export interface EnvFacts {
  readonly id: string
  readonly describe: Record<string, unknown>
  readonly toolNames: readonly string[]
  /** A fixed task id, when the env has one. */
  readonly task: string | undefined
  /** An env tool that takes no parameters (a safe action that succeeds), when there is one. */
  readonly plainTool: string | undefined
  /** True when Done takes a boolean: then one of true and false is the right answer. */
  readonly booleanAnswer: boolean
}

export function fail (message: string): never {
  throw new ConformanceFailure(message)
}

export function expect (condition: boolean, message: string): asserts condition {
  if (!condition) fail(message)
}

export function show (value: unknown): string {
  const text = JSON.stringify(value, (_key, item: unknown) => item instanceof Uint8Array ? `<${item.byteLength} bytes>` : item)
  return text === undefined ? String(value) : text.length > 300 ? `${text.slice(0, 300)}…` : text
}

const resultValidators = new Map<string, Validator<unknown>>()
/** The validator of an op's result shape, from schemas/protocol.schema.json. */
export function resultValidator (op: string): Validator<unknown> {
  let validator = resultValidators.get(op)
  if (validator === undefined) {
    validator = protocolDefinition<unknown>(`Operations/properties/${op}/properties/result`, `${op} result`)
    resultValidators.set(op, validator)
  }
  return validator
}

/** A connection that has said hello, with calls that check the answer's shape. */
export class Client {
  readonly wire: WireConnection
  readonly codec: Codec
  readonly hello: Record<string, unknown>

  constructor (wire: WireConnection, codec: Codec, hello: Record<string, unknown>) {
    this.wire = wire
    this.codec = codec
    this.hello = hello
  }

  get resumeToken (): string { return this.hello.resumeToken as string }

  /** The op's result; fails the check on an error or a result that does not match its schema. */
  async ok (op: string, params?: unknown): Promise<Record<string, unknown>> {
    return checkedResult(op, await this.wire.call(op, params, this.codec))
  }

  /** The op's error; fails the check when the code is another or a result came. */
  async fails (op: string, params: unknown, code: string): Promise<NonNullable<Answer['error']>> {
    return checkedError(op, await this.wire.call(op, params, this.codec), code)
  }

  async reset (env: string, options?: Record<string, unknown>, session?: string): Promise<{ session: string, observation: unknown, info: Record<string, unknown> }> {
    const result = await this.ok('reset', { env, ...(options === undefined ? {} : { options }), ...(session === undefined ? {} : { session }) })
    return result as { session: string, observation: unknown, info: Record<string, unknown> }
  }

  async step (session: string, action: unknown, extra: Record<string, unknown> = {}): Promise<StepOutcome> {
    return await this.ok('step', { session, action, ...extra }) as unknown as StepOutcome
  }
}

export interface StepOutcome {
  observation: unknown
  reward: number
  terminated: boolean
  truncated: boolean
  info: { step: number, maxSteps: number, rolledBack: boolean, tool?: string, error?: { code: string, message: string }, correct?: boolean }
  snapshot?: Uint8Array | string
}

export function checkedResult (op: string, answer: Answer): Record<string, unknown> {
  if (answer.error !== undefined) fail(`${op} was answered with the error ${answer.error.code}: ${answer.error.message}`)
  expect(answer.result !== undefined, `${op} was answered with neither result nor error: ${show(answer.received.message)}`)
  const validate = resultValidator(op)
  expect(validate(answer.result), `the ${op} result does not match its schema: ${validate.lastError}`)
  return answer.result
}

export function checkedError (op: string, answer: Answer, code: string): NonNullable<Answer['error']> {
  if (answer.error === undefined) fail(`${op} should fail with ${code}; it was answered ${show(answer.result)}`)
  expect(answer.error.code === code, `${op} should fail with ${code}; it failed with ${answer.error.code}: ${answer.error.message}`)
  expect(typeof answer.error.message === 'string', `the ${code} error has no message`)
  return answer.error
}

/** Everything a check may use. Connections it opens are closed when it ends. */
export class CheckContext {
  readonly options: SuiteOptions
  readonly codec: Codec
  readonly limits: Record<string, number>
  readonly env: EnvFacts
  readonly #opened: WireConnection[]

  constructor (options: SuiteOptions, codec: Codec, limits: Record<string, number>, env: EnvFacts, opened: WireConnection[]) {
    this.options = options
    this.codec = codec
    this.limits = limits
    this.env = env
    this.#opened = opened
  }

  /** The other codec: for checks that mix them. */
  get otherCodec (): Codec { return this.codec === 'msgpack' ? 'json' : 'msgpack' }

  helloParams (extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { versions: [1], client: 'codegym-conformance', ...(this.options.token === undefined ? {} : { token: this.options.token }), ...extra }
  }

  /** A new connection that has not said hello. */
  async connect (headers?: Record<string, string>): Promise<WireConnection> {
    const wire = await WireConnection.open(this.options.url, { headers, timeoutMs: this.options.timeoutMs })
    this.#opened.push(wire)
    return wire
  }

  /** A new connection that has said hello (with resume: as that client again). */
  async client (resume?: string): Promise<Client> {
    const wire = await this.connect(resume === undefined ? undefined : { 'codegym-resume': resume })
    const hello = checkedResult('hello', await wire.call('hello', this.helloParams(resume === undefined ? {} : { resume }), this.codec))
    return new Client(wire, this.codec, hello)
  }

  /** A fresh episode of the env (its fixed task when it has one). */
  async episode (client: Client, options: Record<string, unknown> = {}): Promise<{ session: string, observation: unknown, info: Record<string, unknown> }> {
    return client.reset(this.env.id, this.env.task === undefined ? options : { task: this.env.task, ...options })
  }
}
