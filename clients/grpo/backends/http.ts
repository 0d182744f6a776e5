// POST a JSON body to a generation endpoint with a deadline and bounded retries. Retrying is safe
// here and only here: a generation request carries its sampling seed, so sending it again asks for
// the same sample. (Env steps are never retried by this client: see env-pool.ts.)
import { setTimeout as sleep } from 'node:timers/promises'
import { BackendError } from '../errors.ts'

export interface RetryPolicy {
  requestTimeoutMs: number
  maxRequestRetries: number
  retryInitialDelayMs: number
}

/** Statuses a later attempt may get past: overload, a gateway in between, a restarting server. */
function isRetryableStatus (status: number): boolean {
  return status === 408 || status === 429 || status >= 500
}

export async function postJson (url: string, body: unknown, policy: RetryPolicy): Promise<unknown> {
  const payload = JSON.stringify(body)
  let lastError = ''
  let lastStatus: number | undefined
  const attempts = policy.maxRequestRetries + 1
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await sleep(policy.retryInitialDelayMs * 2 ** (attempt - 2))
    let response: Response
    let text: string
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
        signal: AbortSignal.timeout(policy.requestTimeoutMs),
      })
      text = await response.text()
    } catch (error) {
      const cause = error as Error
      lastStatus = undefined
      lastError = cause.name === 'TimeoutError' ? `no answer within ${policy.requestTimeoutMs} ms` : `${cause.message}${cause.cause instanceof Error ? ` (${cause.cause.message})` : ''}`
      continue
    }
    if (response.ok) {
      try {
        return JSON.parse(text) as unknown
      } catch {
        throw new BackendError(`${url} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`, { url, status: response.status, attempts: attempt })
      }
    }
    lastStatus = response.status
    lastError = `HTTP ${response.status}: ${text.slice(0, 300)}`
    if (!isRetryableStatus(response.status)) {
      throw new BackendError(`${url} refused the request (${lastError})`, { url, status: response.status, attempts: attempt })
    }
  }
  throw new BackendError(`${url} failed ${attempts} time${attempts === 1 ? '' : 's'}; last: ${lastError}`, { url, status: lastStatus, attempts })
}

/** A base URL as users give it (with or without a trailing /v1 or /) without those tails. */
export function serverRoot (baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '')
}
