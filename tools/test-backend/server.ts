// The HTTP side: routing, bodies read up to a limit, latency, replies that hang, and the counters.
// Every timer and socket is tracked, so close() leaves nothing behind, hanging requests included.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import type { ChatTokenizer } from '../../clients/grpo/tokenizer.ts'
import { testBackendDefaults } from './defaults.ts'
import { errorBody, HttpError } from './errors.ts'
import { complete, unparseableCall, unwrapDelays } from './generation.ts'
import { parseBody, type Endpoint, type RequestContext } from './requests.ts'
import { responseBody } from './responses.ts'
import type { CallFormat, TestBackendStats, TestPolicy } from './types.ts'

export interface ServerSettings {
  host: string
  port: number
  model: string
  tokenizer: ChatTokenizer
  policy: TestPolicy
  callFormat: CallFormat
  latencyMs: number
  perTokenLatencyMs: number
  maxRequestBytes: number
  requestContext: RequestContext
}

const generationRoutes: Readonly<Record<string, Endpoint>> = {
  '/v1/chat/completions': 'chat',
  '/v1/completions': 'completions',
  '/generate': 'generate',
}
const getRoutes = new Set(['/health', '/v1/models'])

export function emptyStats (): TestBackendStats {
  return { requests: 0, inFlight: 0, maxInFlight: 0, completionTokens: 0, promptTokens: 0, requestsBySeed: {}, busyMs: 0 }
}

export class BackendServer {
  readonly #settings: ServerSettings
  readonly #server: Server
  readonly #sockets = new Set<Socket>()
  readonly #timers = new Set<NodeJS.Timeout>()
  readonly #responses = new Set<ServerResponse>()
  #stats = emptyStats()
  #nextId = 0

  constructor (settings: ServerSettings) {
    this.#settings = settings
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        // A bug here (or in a policy) answers 500 so the test that hit it sees why.
        this.#send(response, new HttpError(500, `test backend: ${(error as Error).message}`))
      })
    })
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket)
      socket.once('close', () => this.#sockets.delete(socket))
    })
  }

  listen (): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen({ port: this.#settings.port, host: this.#settings.host, backlog: testBackendDefaults.listenBacklog }, () => {
        this.#server.off('error', reject)
        const address = this.#server.address()
        if (address === null || typeof address === 'string') return reject(new Error('test backend: no TCP address'))
        const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
        resolve(`http://${host}:${address.port}`)
      })
    })
  }

  stats (): TestBackendStats {
    return { ...this.#stats, requestsBySeed: { ...this.#stats.requestsBySeed } }
  }

  resetStats (): void {
    // Requests still in flight stay counted there; everything else starts again from zero.
    this.#stats = { ...emptyStats(), inFlight: this.#stats.inFlight, maxInFlight: this.#stats.inFlight }
  }

  /** Stops listening and ends every connection; resolves once each request in flight has ended. */
  async close (): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    const responsesEnded = [...this.#responses].map((response) => new Promise((resolve) => response.once('close', resolve)))
    const serverClosed = new Promise((resolve) => this.#server.close(resolve))
    for (const socket of this.#sockets) socket.destroy()
    await Promise.all([serverClosed, ...responsesEnded])
  }

  async #handle (request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://backend').pathname
    const endpoint = generationRoutes[path]
    if (endpoint !== undefined && request.method === 'POST') return this.#generate(endpoint, request, response)
    if (getRoutes.has(path) && request.method === 'GET') {
      request.resume()
      return this.#sendJson(response, 200, path === '/health' ? { status: 'ok' } : this.#models())
    }
    request.resume()
    if (endpoint !== undefined || getRoutes.has(path)) return this.#send(response, new HttpError(405, `${request.method ?? ''} is not allowed on ${path}`))
    this.#send(response, new HttpError(404, `no route ${path}`, { type: 'not_found_error' }))
  }

  #models (): object {
    return {
      object: 'list',
      data: [{ id: this.#settings.model, object: 'model', created: 0, owned_by: 'codegym-test-backend', max_model_len: this.#settings.requestContext.maxContextTokens }],
    }
  }

  async #generate (endpoint: Endpoint, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now()
    this.#stats.requests++
    this.#stats.inFlight++
    this.#stats.maxInFlight = Math.max(this.#stats.maxInFlight, this.#stats.inFlight)
    this.#responses.add(response)
    // The counters of the moment (resetStats may have replaced them since the request came in).
    response.once('close', () => {
      this.#responses.delete(response)
      this.#stats.inFlight--
      this.#stats.busyMs += performance.now() - started
    })
    let body: unknown
    try {
      body = JSON.parse(await this.#readBody(request))
    } catch (error) {
      return this.#send(response, error instanceof HttpError ? error : new HttpError(400, `the request body is not valid JSON: ${(error as Error).message}`))
    }
    let parsed
    try {
      parsed = parseBody(endpoint, body, this.#settings.requestContext)
    } catch (error) {
      if (error instanceof HttpError) return this.#send(response, error)
      throw error
    }
    const seedKey = String(parsed.seed)
    this.#stats.requestsBySeed[seedKey] = (this.#stats.requestsBySeed[seedKey] ?? 0) + 1
    const { reply, delayMs } = unwrapDelays(this.#settings.policy({
      endpoint,
      promptText: parsed.promptText,
      tools: parsed.tools,
      turn: parsed.turn,
      seed: parsed.seed,
      temperature: parsed.temperature,
      sampling: parsed.sampling,
    }))
    if (reply.kind === 'hang') return // answered by nobody: the client gives up, or close() ends it
    if (reply.kind === 'http_error') {
      if (await this.#wait(this.#settings.latencyMs + delayMs, response)) {
        this.#send(response, new HttpError(reply.status, reply.message ?? `scripted error ${reply.status}`))
      }
      return
    }
    const unreadable = unparseableCall(parsed, reply, this.#settings.requestContext.chatServer)
    if (unreadable !== undefined) {
      if (await this.#wait(this.#settings.latencyMs + delayMs, response)) this.#send(response, unreadable)
      return
    }
    const completion = complete(parsed, reply, this.#settings.tokenizer, this.#settings.callFormat)
    const latency = this.#settings.latencyMs + this.#settings.perTokenLatencyMs * completion.ids.length + delayMs
    if (!await this.#wait(latency, response)) return
    this.#stats.promptTokens += parsed.promptIds.length
    this.#stats.completionTokens += completion.ids.length
    const id = String(this.#nextId++)
    this.#sendJson(response, 200, responseBody(parsed, completion, { id, model: this.#settings.model, tokenizer: this.#settings.tokenizer }))
  }

  /** Waits `ms`; false when the client went away (or the backend closed) first. */
  #wait (ms: number, response: ServerResponse): Promise<boolean> {
    if (ms <= 0) return Promise.resolve(!response.destroyed)
    return new Promise((resolve) => {
      const done = (elapsed: boolean): void => {
        clearTimeout(timer)
        this.#timers.delete(timer)
        response.off('close', onClose)
        resolve(elapsed)
      }
      const onClose = (): void => done(false)
      const timer = setTimeout(() => done(true), ms)
      this.#timers.add(timer)
      response.once('close', onClose)
    })
  }

  #readBody (request: IncomingMessage): Promise<string> {
    const limit = this.#settings.maxRequestBytes
    const declared = Number(request.headers['content-length'])
    if (Number.isFinite(declared) && declared > limit) {
      request.resume()
      return Promise.reject(new HttpError(413, `the request body is ${declared} bytes; the limit is ${limit}`))
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = []
      let size = 0
      request.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > limit) {
          request.removeAllListeners('data')
          request.resume()
          reject(new HttpError(413, `the request body is over the limit of ${limit} bytes`))
        } else chunks.push(chunk)
      })
      request.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
      request.once('error', reject)
    })
  }

  #send (response: ServerResponse, error: HttpError): void {
    this.#sendJson(response, error.status, errorBody(error))
  }

  #sendJson (response: ServerResponse, status: number, body: object): void {
    if (response.headersSent || response.destroyed) return
    const text = JSON.stringify(body)
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    response.end(text)
  }
}
