// What the primary of a multi-process codegym-serve and its workers say to each other (IPC), and
// how a resume token names the worker that holds its sessions.
import type { IncomingHttpHeaders } from 'node:http'

// Hello itself is only read after the connection has been handed to a worker, so a reconnecting
// client repeats its resume token in this upgrade request header.
export { resumeHeader } from '../contract/protocol/constants.ts'

/** A worker's resume tokens start with this (its index and a dot); base64url has no dots. */
export function resumeTokenPrefix (workerIndex: number): string {
  return `${workerIndex}.`
}

/** The worker index a resume token names, if it names one. */
export function workerIndexOf (resumeToken: string): number | undefined {
  const match = /^(\d{1,4})\./.exec(resumeToken)
  return match === null ? undefined : Number(match[1])
}

/** The environment variable in which the primary hands its random snapshot key to its workers. */
export const sharedSnapshotKeyVariable = 'CODEGYM_WORKER_SNAPSHOT_KEY'

export type WorkerQuery = 'health' | 'metrics'

/** The parts of an upgrade request a worker needs to finish the WebSocket handshake. */
export interface UpgradeRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  httpVersion: string
}

export type ToWorker =
  | { codegym: 'upgrade', request: UpgradeRequest, head: string }
  | { codegym: 'query', id: number, what: WorkerQuery }
  | { codegym: 'drain' }

export type FromWorker =
  | { codegym: 'ready', envIds: string[] }
  | { codegym: 'answer', id: number, value: unknown }
