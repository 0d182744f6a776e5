// The progress record of a sandbox process: a small file the process overwrites in place (one
// pwrite, no message) before every call, and the host reads only when it must know which call is
// running (a stalled or dead process). Answers leave in batches, so without it the host could not
// tell a running call from one whose answer had not been sent yet. The host writes one field back:
// the cancel mark, below which the process skips the calls it was sent.
//
// Layout (little-endian): call id running (float64; ids are safe integers, 0 while none runs) at 0,
// why the process is ending (uint8, ProgressExit) at 8, how many calls run together from that id
// (uint32: 1 for a call alone, more for a run of calls in one isolate entry) at 12, the cancel mark
// (float64) at 16.
import { accessSync, closeSync, constants, openSync, readSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'

const callIdOffset = 0
const exitOffset = 8
const countOffset = 12
const cancelBelowOffset = 16
const recordBytes = 24

export const ProgressExit = { none: 0, outOfMemory: 1 } as const

/** Where progress records live: memory-backed where the system has it (they are written per call). */
export function progressRecordDir (): string {
  try {
    accessSync('/dev/shm', constants.W_OK)
    return '/dev/shm'
  } catch {
    return tmpdir()
  }
}

export class ProgressRecord {
  readonly #fd: number
  readonly #running = Buffer.alloc(cancelBelowOffset)
  readonly #mark = Buffer.alloc(8)

  /** Opens a record; create makes a fresh one (the host, before it starts the process). */
  constructor (path: string, create = false) {
    if (create) writeFileSync(path, Buffer.alloc(recordBytes))
    this.#fd = openSync(path, 'r+')
  }

  /**
   * Process side: the call about to run (0: none), how many calls run together from it (a run:
   * the calls the host sent after it to this process, in order), and why the process is ending.
   */
  writeRunning (callId: number, exit: number = ProgressExit.none, count = 1): void {
    this.#running.writeDoubleLE(callId, callIdOffset)
    this.#running.writeUInt8(exit, exitOffset)
    this.#running.writeUInt32LE(count, countOffset)
    writeSync(this.#fd, this.#running, 0, this.#running.length, callIdOffset)
  }

  /** Host side: what the process last wrote; nothing running if it cannot be read. */
  readRunning (): { callId: number, exit: number, count: number } {
    const record = Buffer.alloc(cancelBelowOffset)
    try {
      if (readSync(this.#fd, record, 0, record.length, callIdOffset) < record.length) return { callId: 0, exit: ProgressExit.none, count: 1 }
    } catch {
      return { callId: 0, exit: ProgressExit.none, count: 1 }
    }
    return { callId: record.readDoubleLE(callIdOffset), exit: record.readUInt8(exitOffset), count: Math.max(1, record.readUInt32LE(countOffset)) }
  }

  /** Host side: the process is to skip every call it was sent with a lower id. */
  writeCancelBelow (callId: number): void {
    this.#mark.writeDoubleLE(callId, 0)
    writeSync(this.#fd, this.#mark, 0, 8, cancelBelowOffset)
  }

  /** Process side: the cancel mark. */
  readCancelBelow (): number {
    return readSync(this.#fd, this.#mark, 0, 8, cancelBelowOffset) === 8 ? this.#mark.readDoubleLE(0) : 0
  }

  close (): void {
    closeSync(this.#fd)
  }
}
