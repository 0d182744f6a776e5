// Episode snapshots: MessagePack of the Snapshot shape in schemas/, signed (snapshot-keys.ts), and
// checked in full on the way back: signature first, then every field.
import { CodeGymError } from '../contract/errors.ts'
import { isPlainData, plainPackr, plainUnpackr } from '../contract/plain-data.ts'
import { validateSnapshot } from '../schemas/validate.ts'
import type { EpisodeStatus, JsonObject, JsonValue, Snapshot } from '../schemas/env.generated.ts'
import type { EnvSpec } from './package.ts'
import type { SnapshotKeys } from './snapshot-keys.ts'

/** What an episode is made of; a snapshot holds exactly this. */
export interface EpisodeRecord {
  readonly spec: EnvSpec
  readonly seed: number
  readonly taskId: string | undefined
  readonly difficulty: string | undefined
  readonly config: JsonObject
  readonly truth: JsonValue
  readonly maxSteps: number
  state: string
  step: number
  status: Exclude<EpisodeStatus, 'closed'>
}

export const snapshotFormat = 1

export function encodeSnapshot (record: EpisodeRecord, keys: SnapshotKeys): Uint8Array {
  const snapshot: Snapshot = {
    format: snapshotFormat,
    envId: record.spec.manifest.id,
    seed: record.seed,
    config: record.config,
    truth: record.truth,
    state: record.state,
    step: record.step,
    maxSteps: record.maxSteps,
    status: record.status,
  }
  if (record.taskId !== undefined) snapshot.taskId = record.taskId
  if (record.difficulty !== undefined) snapshot.difficulty = record.difficulty
  return keys.sign(plainPackr.pack(snapshot))
}

/** The content of snapshot bytes this runtime made (tools that read the task or truth back). */
export function snapshotContent (bytes: Uint8Array, keys: SnapshotKeys): Snapshot {
  return plainUnpackr.unpack(keys.open(bytes)) as Snapshot
}

/**
 * Checks the signature, then decodes and checks the snapshot; lookupEnv resolves the env it names.
 * The checks after the signature hold against a leaked key or a server bug, not against clients.
 */
export function decodeSnapshot (bytes: Uint8Array, keys: SnapshotKeys, lookupEnv: (envId: string) => EnvSpec): EpisodeRecord {
  const body = keys.open(bytes)
  let snapshot: unknown
  try {
    snapshot = plainUnpackr.unpack(body)
  } catch (error) {
    throw new CodeGymError('invalid_snapshot', `the snapshot is not MessagePack: ${(error as Error).message}`)
  }
  if (!isPlainData(snapshot)) throw new CodeGymError('invalid_snapshot', 'the snapshot holds values that are not plain data')
  if (!validateSnapshot(snapshot)) throw new CodeGymError('invalid_snapshot', validateSnapshot.lastError)
  if (snapshot.step > snapshot.maxSteps) throw new CodeGymError('invalid_snapshot', 'the snapshot is past its own step limit')
  if (!isCommittedState(snapshot.state)) throw new CodeGymError('invalid_snapshot', 'the snapshot state is not a committed env state')
  const spec = lookupEnv(snapshot.envId)
  return {
    spec,
    seed: snapshot.seed ?? 0,
    taskId: snapshot.taskId,
    difficulty: snapshot.difficulty,
    config: snapshot.config,
    truth: snapshot.truth,
    maxSteps: snapshot.maxSteps,
    state: snapshot.state,
    step: snapshot.step,
    status: snapshot.status,
  }
}

/** The guest stores {s: env state, r: four uint32 rng words}. */
function isCommittedState (text: string): boolean {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return false
  }
  if (parsed === null || typeof parsed !== 'object' || !('s' in parsed) || !('r' in parsed)) return false
  const { r } = parsed
  return Array.isArray(r) && r.length === 4 && r.every((word) => Number.isInteger(word) && word >= 0 && word <= 0xffffffff)
}
