// POST a JSON body to a generation endpoint with a deadline and bounded retries. Retrying is safe
// here and only here: a generation request carries its sampling seed, so sending it again asks for
// the same sample. (Env steps are never retried by this client: see env-pool.ts.)
import http from 'node:http'
import https from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'
import { BackendError } from '../errors.ts'
import { answerFault, errorMessage } from './faults.ts'

// node:http with keep-alive rather than fetch: with 4,096 requests in flight, fetch took 1.5 to 2
// times the client CPU per request here. Sockets stay open between a rollout's turns.
const agents = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
}

class RequestTimeout extends Error {}

interface HttpAnswer { status: number, text: string }

function post (url: URL, payload: string, timeoutMs: number): Promise<HttpAnswer> {
  const transport = url.protocol === 'https:' ? https : http
  return new Promise((resolve, reject) => {
    const request = transport.request(url, {
      method: 'POST',
      agent: url.protocol === 'https:' ? agents['https:'] : agents['http:'],
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.once('end', () => {
        clearTimeout(timer)
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') })
      })
      response.once('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
    })
    const timer = setTimeout(() => request.destroy(new RequestTimeout(`no answer within ${timeoutMs} ms`)), timeoutMs)
    request.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    request.end(payload)
  })
}

export interface RetryPolicy {
  requestTimeoutMs: number
  maxRequestRetries: number
  retryInitialDelayMs: number
}

export async function postJson (url: string, body: unknown, policy: RetryPolicy): Promise<unknown> {
  const payload = JSON.stringify(body)
  let target: URL
  try {
    target = new URL(url)
  } catch {
    throw new BackendError(`${url} is not a URL`, { url, attempts: 0, fault: 'protocol' })
  }
  let lastError = ''
  let lastStatus: number | undefined
  const attempts = policy.maxRequestRetries + 1
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await sleep(policy.retryInitialDelayMs * 2 ** (attempt - 2))
    let answer: HttpAnswer
    try {
      answer = await post(target, payload, policy.requestTimeoutMs)
    } catch (error) {
      lastStatus = undefined
      lastError = (error as Error).message
      continue
    }
    if (answer.status >= 200 && answer.status < 300) {
      try {
        return JSON.parse(answer.text) as unknown
      } catch {
        throw new BackendError(`${url} answered ${answer.status} with a body that is not JSON: ${answer.text.slice(0, 200)}`, { url, status: answer.status, attempts: attempt, fault: 'protocol' })
      }
    }
    lastStatus = answer.status
    lastError = `HTTP ${answer.status}: ${answer.text.slice(0, 300)}`
    // Only a transport fault may go away on a second try; the others say the same thing again.
    const fault = answerFault(answer.status, answer.text)
    if (fault === 'context_overflow') throw new BackendError(`${url} has no room for the request in its context: ${errorMessage(answer.text).slice(0, 300)}`, { url, status: answer.status, attempts: attempt, fault })
    if (fault === 'model_output') throw new BackendError(errorMessage(answer.text).slice(0, 1000), { url, status: answer.status, attempts: attempt, fault })
    if (fault === 'protocol') throw new BackendError(`${url} refused the request (${lastError})`, { url, status: answer.status, attempts: attempt, fault })
  }
  throw new BackendError(`${url} failed ${attempts} time${attempts === 1 ? '' : 's'}; last: ${lastError}`, { url, status: lastStatus, attempts, fault: 'transport' })
}

/** A base URL as users give it (with or without a trailing /v1 or /) without those tails. */
export function serverRoot (baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '')
}
