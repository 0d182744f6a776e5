// Messages between the sandbox pool (host process) and its sandbox processes.
import type { RollbackCode } from '../schemas/env.generated.ts'

/** What the guest can be asked to do. */
export type GuestOp = 'generate' | 'reset' | 'tool' | 'observe' | 'check'

export interface LoadMessage {
  kind: 'load'
  envKey: string
  source: string
}

export interface CallMessage {
  kind: 'call'
  id: number
  envKey: string
  op: GuestOp
  state: string
  args: string
}

export type ToSandbox = LoadMessage | CallMessage

/** A call's answer: the guest's JSON result text, or a failure the host produced. */
export type CallReply =
  | { id: number, ok: true, json: string }
  | { id: number, ok: false, code: RollbackCode, message: string }

export type FromSandbox = { kind: 'replies', replies: CallReply[] } | { kind: 'ready' }

/**
 * The progress record: a small file each sandbox process overwrites in place (one pwrite, no
 * message) before every call, and the host reads only when it must know which call is running
 * (a stalled or dead process). Answers leave in batches, so without it the host could not tell a
 * running call from one whose answer had not been sent yet.
 */
export const progressRecordBytes = 24
/** Offset of the running call's id (float64, ids are safe integers; 0 while no call runs), written by the process. */
export const progressCallIdOffset = 0
/** Offset of the reason the process is ending (uint8, ProgressExit), written by the process. */
export const progressExitOffset = 8
/**
 * Offset of the cancel mark (float64), written by the host: the process skips, unanswered, every
 * call it was sent with a lower id. The host sets it when it takes back the calls queued behind a
 * stalled call, and sends them again (anywhere) under new ids, so nothing runs twice.
 */
export const progressCancelBelowOffset = 16
export const ProgressExit = { none: 0, outOfMemory: 1 } as const
