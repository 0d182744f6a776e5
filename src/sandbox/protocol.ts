// Messages between the sandbox pool (host process) and its sandbox processes, and how a batch of
// them lays out as the flat field list of one channel frame (channel.ts). Flat fields, not one
// object per message: a batch decodes into one array of strings and numbers.
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
  /**
   * Run alone, never in a run of calls in one isolate entry: it was in a run when its process
   * died or stalled, so the next failure must name the call to blame.
   */
  single: boolean
}

export type ToSandbox = LoadMessage | CallMessage

/** A call's answer: the guest's result text, or a failure the host produced. */
export type CallReply =
  | { id: number, ok: true, json: string }
  | { id: number, ok: false, code: RollbackCode, message: string }

/** The first field of a frame. */
const frameKinds = { batch: 0, ready: 1, replies: 2 } as const
/** The first field of a load in a batch (a call starts with its id, which is never 0). */
const loadTag = 0

/** A batch for a sandbox process: loads as [0, envKey, source], calls as [id, envKey, op, state, args, single]. */
export function batchFields (messages: readonly ToSandbox[]): unknown[] {
  const fields: unknown[] = [frameKinds.batch]
  for (const message of messages) {
    if (message.kind === 'load') fields.push(loadTag, message.envKey, message.source)
    else fields.push(message.id, message.envKey, message.op, message.state, message.args, message.single)
  }
  return fields
}

/** Runs each message of a batch frame in order; false when the frame is not a batch. */
export function forEachInBatch (fields: unknown[], onLoad: (envKey: string, source: string) => void, onCall: (call: Omit<CallMessage, 'kind'>) => void): boolean {
  if (fields[0] !== frameKinds.batch) return false
  for (let at = 1; at < fields.length;) {
    if (fields[at] === loadTag) {
      onLoad(fields[at + 1] as string, fields[at + 2] as string)
      at += 3
    } else {
      onCall({ id: fields[at] as number, envKey: fields[at + 1] as string, op: fields[at + 2] as GuestOp, state: fields[at + 3] as string, args: fields[at + 4] as string, single: fields[at + 5] === true })
      at += 6
    }
  }
  return true
}

export const readyFields: readonly unknown[] = [frameKinds.ready]

/** Answers as [id, true, json] or [id, false, code, message]. */
export function repliesFields (replies: readonly CallReply[]): unknown[] {
  const fields: unknown[] = [frameKinds.replies]
  for (const reply of replies) {
    if (reply.ok) fields.push(reply.id, true, reply.json)
    else fields.push(reply.id, false, reply.code, reply.message)
  }
  return fields
}

/** What a sandbox process sent: ready, or each answer in order. */
export function readFromSandbox (fields: unknown[], onReady: () => void, onReply: (reply: CallReply) => void): void {
  if (fields[0] === frameKinds.ready) {
    onReady()
    return
  }
  if (fields[0] !== frameKinds.replies) return
  for (let at = 1; at < fields.length;) {
    const id = fields[at] as number
    if (fields[at + 1] === true) {
      onReply({ id, ok: true, json: fields[at + 2] as string })
      at += 3
    } else {
      onReply({ id, ok: false, code: fields[at + 2] as RollbackCode, message: fields[at + 3] as string })
      at += 4
    }
  }
}
