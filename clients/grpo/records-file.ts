// The records file: JSON Lines, one rollout per line, a group's lines written together in one
// write once the group is complete (its advantages need every reward). A run killed mid-write
// leaves at most a torn last line and one incomplete group; resume drops both and skips every
// group the file holds in full.
import { open, rename, writeFile, type FileHandle } from 'node:fs/promises'
import { RolloutConfigError } from './errors.ts'
import { readOptionalText } from '../../src/contract/index.ts'
import type { DroppedGroupLine, RolloutRecord } from './record.ts'

export type RecordsLine = RolloutRecord | DroppedGroupLine

export function isDroppedGroup (line: RecordsLine): line is DroppedGroupLine {
  return 'droppedGroup' in line
}

export interface ExistingRecords {
  /** Complete groups: id → task id. */
  finishedGroups: Map<string, string>
  /** Every record of the complete groups, in file order. */
  records: RolloutRecord[]
  droppedGroups: DroppedGroupLine['droppedGroup'][]
  /** Lines removed: a torn last line, the lines of an incomplete group. */
  discardedLines: number
}

/** Reads a records file (absent: empty) and rewrites it without what a killed run left half-done. */
export async function recoverRecordsFile (file: string, groupSize: number): Promise<ExistingRecords> {
  const text = await readOptionalText(file)
  if (text === undefined) return { finishedGroups: new Map(), records: [], droppedGroups: [], discardedLines: 0 }
  const pieces = text.split('\n')
  // The piece after the last newline is empty in a clean file and a torn line otherwise.
  const torn = pieces.pop() !== '' ? 1 : 0
  const lines: Array<{ raw: string, line: RecordsLine }> = []
  for (const [index, raw] of pieces.entries()) {
    if (raw === '') continue
    let line: RecordsLine
    try {
      line = JSON.parse(raw) as RecordsLine
    } catch {
      throw new RolloutConfigError(`${file}:${index + 1} is not JSON: the records file is damaged beyond its last line`)
    }
    if (line === null || typeof line !== 'object') throw new RolloutConfigError(`${file}:${index + 1} is not a record`)
    lines.push({ raw, line })
  }
  const counts = new Map<string, number>()
  for (const { line } of lines) {
    if (!isDroppedGroup(line)) counts.set(line.groupId, (counts.get(line.groupId) ?? 0) + 1)
  }
  const finishedGroups = new Map<string, string>()
  const kept: string[] = []
  const records: RolloutRecord[] = []
  const droppedGroups: DroppedGroupLine['droppedGroup'][] = []
  for (const { raw, line } of lines) {
    if (isDroppedGroup(line)) {
      finishedGroups.set(line.droppedGroup.groupId, line.droppedGroup.taskId)
      droppedGroups.push(line.droppedGroup)
      kept.push(raw)
    } else if (counts.get(line.groupId) === groupSize) {
      finishedGroups.set(line.groupId, line.taskId)
      records.push(line)
      kept.push(raw)
    } else if ((counts.get(line.groupId) ?? 0) > groupSize) {
      throw new RolloutConfigError(`${file} holds ${counts.get(line.groupId)} records of group ${line.groupId}, more than the group size ${groupSize}: it was written by another batch`)
    }
  }
  const discardedLines = lines.length - kept.length + torn
  if (discardedLines > 0) {
    // Write aside and rename, so a kill during recovery leaves the old file or the new one, whole.
    const temporary = `${file}.recover-${process.pid}`
    await writeFile(temporary, kept.map((raw) => `${raw}\n`).join(''))
    await rename(temporary, file)
  }
  return { finishedGroups, records, droppedGroups, discardedLines }
}

/** Appends whole groups to the records file. */
export class RecordsWriter {
  readonly #handle: FileHandle
  #tail: Promise<void> = Promise.resolve()

  private constructor (handle: FileHandle) {
    this.#handle = handle
  }

  static async open (file: string): Promise<RecordsWriter> {
    return new RecordsWriter(await open(file, 'a'))
  }

  /** One write per group, in call order. */
  writeGroup (lines: readonly RecordsLine[]): Promise<void> {
    const text = lines.map((line) => `${JSON.stringify(line)}\n`).join('')
    const write = this.#tail.then(async () => { await this.#handle.write(text) })
    this.#tail = write.catch(() => undefined)
    return write
  }

  async close (): Promise<void> {
    await this.#tail
    await this.#handle.close()
  }
}
