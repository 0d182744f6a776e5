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
