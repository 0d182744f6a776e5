// Hashes that turn a request's seed and prompt into repeatable choices: the same request gets the
// same reply and log-probs whatever else the backend is serving.

/** FNV-1a over the UTF-16 code units of a text, 32 bits. */
export function hashText (text: string, basis = 0x811c9dc5): number {
  let hash = basis >>> 0
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** Combines 32-bit values into one (murmur3's finalizer after each), order-sensitive. */
export function mix (...values: number[]): number {
  let hash = 0x9e3779b9
  for (const value of values) {
    hash = Math.imul(hash ^ (value >>> 0), 0x85ebca6b)
    hash ^= hash >>> 13
    hash = Math.imul(hash, 0xc2b2ae35)
    hash ^= hash >>> 16
  }
  return hash >>> 0
}

/** A sampling seed (any safe integer, negative included) as 32 bits. */
export function seedHash (seed: number): number {
  return hashText(String(seed))
}

/** The log-probability the backend reports for the token at `position` of a completion: in (-4, 0]. */
export function tokenLogprob (requestHash: number, position: number, tokenId: number): number {
  return -4 * (mix(requestHash, position, tokenId) / 4294967296)
}
