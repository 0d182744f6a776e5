// Snapshot signing: a snapshot holds the hidden answer and the env state, so a client that could
// edit one could forge rewards. Every snapshot carries an HMAC-SHA256 under the server's key, and
// restore takes only bytes whose MAC checks under the signing key or one of the old keys kept for
// rotation. The bytes stay readable (they are not encrypted): they MUST NOT be shown to the agent.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { CodeGymError } from '../contract/errors.ts'

/** The bytes every signed snapshot starts with: "CGS" and the envelope version. */
const magic = Buffer.from('CGS\x01', 'latin1')
const keyIdBytes = 8
const macBytes = 32
const headerBytes = magic.length + keyIdBytes + macBytes

/** Shortest key accepted, in bytes (a key is text: its UTF-8 bytes are the HMAC key). */
export const minSnapshotKeyBytes = 32

/** Why a key may not be used, or undefined when it may. */
export function snapshotKeyProblem (key: string): string | undefined {
  if (key.trim() === '') return 'a snapshot key may not be empty or only whitespace'
  if (Buffer.byteLength(key) < minSnapshotKeyBytes) return `a snapshot key must have at least ${minSnapshotKeyBytes} bytes; this one has ${Buffer.byteLength(key)} (make one with: openssl rand -base64 48)`
  return undefined
}

interface Key {
  readonly id: Buffer
  readonly secret: Buffer
}

function keyOf (secret: Buffer): Key {
  // The id names a key without revealing it, so that restore can say "signed with a key this
  // server does not hold" (another server's, or a retired one) instead of "tampered with".
  return { id: createHash('sha256').update('codegym snapshot key id\0').update(secret).digest().subarray(0, keyIdBytes), secret }
}

export class SnapshotKeys {
  readonly #signing: Key
  readonly #accepted: readonly Key[]
  /** True for a key drawn at random at start-up (no key configured). */
  readonly random: boolean

  /** signing signs and verifies; old keys only verify (snapshots made before a rotation). */
  constructor (signing: Uint8Array | string, old: ReadonlyArray<Uint8Array | string> = [], random = false) {
    for (const key of [signing, ...old]) {
      const problem = typeof key === 'string' ? snapshotKeyProblem(key) : key.byteLength < minSnapshotKeyBytes ? `a snapshot key must have at least ${minSnapshotKeyBytes} bytes` : undefined
      if (problem !== undefined) throw new Error(problem)
    }
    this.#signing = keyOf(Buffer.from(signing))
    this.#accepted = [this.#signing, ...old.map((key) => keyOf(Buffer.from(key)))]
    this.random = random
  }

  /** A fresh random key: snapshots then restore only where these keys are held. */
  static random (): SnapshotKeys {
    return new SnapshotKeys(randomBytes(32), [], true)
  }

  /** The random key as text, to hand to the worker processes of one server. */
  static fromShared (text: string): SnapshotKeys {
    return new SnapshotKeys(Buffer.from(text, 'base64'), [], true)
  }

  /** The signing key as base64 (for fromShared), only for a random key. */
  shareRandom (): string {
    if (!this.random) throw new Error('only a random snapshot key is shared this way')
    return this.#signing.secret.toString('base64')
  }

  sign (body: Uint8Array): Uint8Array {
    const key = this.#signing
    const mac = macOf(key.secret, key.id, body)
    return Buffer.concat([magic, key.id, mac, body])
  }

  /** The signed body, or invalid_snapshot saying why the bytes are refused. */
  open (bytes: Uint8Array): Uint8Array {
    const buffer = bytes instanceof Uint8Array ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Buffer.alloc(0)
    if (buffer.length < headerBytes || !buffer.subarray(0, magic.length).equals(magic)) {
      throw new CodeGymError('invalid_snapshot', 'the bytes are not a signed snapshot of this server version (a snapshot starts with "CGS\\x01", a key id and an HMAC-SHA256)', { reason: 'not_signed' })
    }
    const id = buffer.subarray(magic.length, magic.length + keyIdBytes)
    const mac = buffer.subarray(magic.length + keyIdBytes, headerBytes)
    const body = buffer.subarray(headerBytes)
    const key = this.#accepted.find((each) => each.id.equals(id))
    if (key === undefined) {
      throw new CodeGymError('invalid_snapshot', 'the snapshot was signed with a key this server does not hold: it was made by another server (without a shared --snapshot-key-file, each server signs with its own random key) or under a key retired since', { reason: 'unknown_key' })
    }
    if (!timingSafeEqual(macOf(key.secret, id, body), mac)) {
      throw new CodeGymError('invalid_snapshot', 'the snapshot\'s signature does not match its bytes: they were altered after the server made them', { reason: 'bad_signature' })
    }
    return body
  }
}

function macOf (secret: Buffer, id: Buffer, body: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(magic).update(id).update(body).digest()
}

/**
 * The key of this process when none is configured: all runtimes of one process share it, and a
 * multi-process server hands its primary's to every worker (see SnapshotKeys.fromShared).
 */
export const processSnapshotKeys = SnapshotKeys.random()
