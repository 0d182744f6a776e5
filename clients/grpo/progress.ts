// Progress on stderr: a bar redrawn in place when stderr is a terminal, a plain line every
// progressIntervalMs otherwise (logs, CI, --quiet).
import type { WriteStream } from 'node:tty'

export interface ProgressSnapshot {
  totalRollouts: number
  finishedRollouts: number
  /** Rollouts skipped because a previous run finished their groups. */
  resumedRollouts: number
  inFlight: number
  completionTokens: number
  rewardSum: number
  errors: number
}

export interface ProgressOptions {
  stream: NodeJS.WritableStream
  /** Redraw a bar in place; otherwise print plain lines. */
  live: boolean
  intervalMs: number
}

const liveRedrawMs = 250
const barWidth = 24

export class ProgressReporter {
  readonly #options: ProgressOptions
  readonly #read: () => ProgressSnapshot
  readonly #startedMs = Date.now()
  readonly #timer: NodeJS.Timeout

  constructor (read: () => ProgressSnapshot, options: ProgressOptions) {
    this.#read = read
    this.#options = options
    this.#timer = setInterval(() => this.#print(false), options.live ? liveRedrawMs : options.intervalMs)
    this.#timer.unref()
  }

  static forStderr (read: () => ProgressSnapshot, quiet: boolean, intervalMs: number): ProgressReporter {
    const live = !quiet && (process.stderr as WriteStream).isTTY === true
    return new ProgressReporter(read, { stream: process.stderr, live, intervalMs })
  }

  finish (): void {
    clearInterval(this.#timer)
    this.#print(true)
  }

  #print (final: boolean): void {
    const line = formatProgress(this.#read(), (Date.now() - this.#startedMs) / 1000)
    if (this.#options.live) this.#options.stream.write(`\r\x1b[2K${line}${final ? '\n' : ''}`)
    else this.#options.stream.write(`${line}\n`)
  }
}

export function formatProgress (snapshot: ProgressSnapshot, elapsedSeconds: number): string {
  const done = snapshot.finishedRollouts
  const total = Math.max(snapshot.totalRollouts - snapshot.resumedRollouts, 0)
  const fraction = total === 0 ? 1 : done / total
  const filled = Math.round(fraction * barWidth)
  const seconds = Math.max(elapsedSeconds, 1e-3)
  const meanReward = done === 0 ? 0 : snapshot.rewardSum / done
  return [
    `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]`,
    `${done}/${total} rollouts`,
    `${(done / seconds).toFixed(1)} rollouts/s`,
    `${formatCount(snapshot.completionTokens / seconds)} tokens/s`,
    `mean reward ${meanReward.toFixed(3)}`,
    `${snapshot.inFlight} in flight`,
    ...(snapshot.errors > 0 ? [`${snapshot.errors} errors`] : []),
    ...(snapshot.resumedRollouts > 0 ? [`${snapshot.resumedRollouts} resumed`] : []),
    `${elapsedSeconds.toFixed(0)}s`,
  ].join('  ')
}

function formatCount (value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(1)}k` : value.toFixed(0)
}
