// Who may use the server: the tokens hello and the protected HTTP endpoints must carry.
import { createHash, timingSafeEqual } from 'node:crypto'

/** Shortest token accepted: a guessable token is no better than none. */
export const minTokenChars = 16

/** Why a token may not be used, or undefined when it may. */
export function tokenProblem (token: string): string | undefined {
  if (token.trim() === '') return 'a token may not be empty or only whitespace'
  if (token !== token.trim()) return 'a token may not start or end with whitespace (a copy-and-paste slip, or a trailing newline of a file)'
  if ([...token].length < minTokenChars) return `a token must have at least ${minTokenChars} characters; this one has ${[...token].length} (make one with: openssl rand -base64 32)`
  return undefined
}

/** Throws when any token is unusable; an empty list means the server asks for no token. */
export function checkTokens (tokens: readonly string[], source: string): void {
  tokens.forEach((token, index) => {
    const problem = tokenProblem(token)
    if (problem !== undefined) throw new Error(`${source}: token ${index + 1} of ${tokens.length} is refused: ${problem}`)
  })
}

/**
 * Tokens to compare against in constant time: each is hashed first, so every comparison is of 32
 * bytes whatever the lengths, and the time taken says nothing about how much of a guess was right.
 */
export class TokenSet {
  readonly #digests: readonly Buffer[]

  constructor (tokens: readonly string[]) {
    checkTokens(tokens, 'server options')
    this.#digests = tokens.map(digest)
  }

  /** False: no token is required. */
  get required (): boolean { return this.#digests.length > 0 }

  /** Whether given is one of the tokens; every token is compared, so rotation adds no timing signal. */
  accepts (given: string | undefined): boolean {
    if (given === undefined) return false
    const candidate = digest(given)
    let match = false
    for (const expected of this.#digests) match = timingSafeEqual(candidate, expected) || match
    return match
  }

  /** Whether an HTTP request carries one of the tokens as `Authorization: Bearer <token>`. */
  acceptsAuthorization (header: string | undefined): boolean {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '')
    return match !== null && this.accepts(match[1])
  }
}

function digest (token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest()
}
