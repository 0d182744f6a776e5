// Entry of a sandbox process: runs env calls in order, one isolate, nothing else.
// The pool kills and replaces this process when a call does not come back in time.
import { Socket } from 'node:net'
import { channelFd, readFrames, writeFrame } from './channel.ts'
import { IsolateRunner, type RunnerResult } from './isolate-runner.ts'
import { clipText, type SandboxLimits } from './limits.ts'
import { ProgressExit, ProgressRecord } from './progress-record.ts'
import { forEachInBatch, readyFields, repliesFields, type CallMessage, type CallReply } from './protocol.ts'

/** Exit code when V8 reports an error the isolate cannot contain. */
const catastrophicExitCode = 70

const limits = JSON.parse(process.argv[2] ?? '') as SandboxLimits
const progress = new ProgressRecord(process.argv[3] ?? '')
/** The host takes calls back only from behind a call that ran this long (see pool.ts). */
const stalledCallMs = Number(process.argv[4])
let runningCallId = 0
let runningCount = 1
const runner = new IsolateRunner(limits, {
  onCatastrophicError: (message) => {
    // The running call is to blame: the host reads this record once the process is gone.
    progress.writeRunning(runningCallId, ProgressExit.outOfMemory, runningCount)
    process.stderr.write(`sandbox: ${clipText(message, limits.maxErrorChars)}\n`)
    process.exit(catastrophicExitCode)
  },
})

const channel = new Socket({ fd: channelFd, readable: true, writable: true })
// The host closed its end (it closed the pool, or died): nothing is left to do here.
channel.on('end', () => process.exit(0))
channel.on('error', () => process.exit(0))

/** Answers leave at least this often during a long batch, so the pool's watchdog sees progress. */
const replyFlushIntervalMs = 5
/** Most calls in one run (one isolate entry): a run that fails runs again call by call. */
const maxRunCalls = 64
/** A run whose calls took longer than this on average is not worth it: its env type runs alone for a while. */
const maxRunCallMs = 1
/** How long an env type whose run failed or was slow runs its calls one by one. */
const runPauseMs = 10_000

/** envKey → until when its calls run one by one (performance.now()). */
const runsPausedUntil = new Map<string, number>()

type Call = Omit<CallMessage, 'kind'>

function runnable (call: Call, now: number): boolean {
  return !call.single && (runsPausedUntil.get(call.envKey) ?? 0) <= now
}

// Answers go back in batches: one frame per call would cost more than the call. Which call (or
// run of calls) is running is in the progress record (see progress-record.ts).
readFrames(channel, (fields) => {
  const calls: Call[] = []
  forEachInBatch(fields, (envKey, source) => runner.load(envKey, source), (call) => calls.push(call))
  let replies: CallReply[] = []
  let flushedAt = performance.now()
  // The cancel mark is read when it may have moved: before a batch, and after a call long enough
  // for the host to have taken back the calls behind it.
  let cancelBelow = progress.readCancelBelow()
  const answer = (id: number, result: RunnerResult): void => {
    replies.push(result.ok ? { id, ok: true, json: result.json } : { id, ok: false, code: result.code, message: clipText(result.message, limits.maxErrorChars) })
  }
  const runAlone = (call: Call): void => {
    runningCallId = call.id
    runningCount = 1
    progress.writeRunning(call.id)
    const startedAt = performance.now()
    answer(call.id, runner.call(call.envKey, call.op, call.state, call.args))
    if (performance.now() - startedAt >= stalledCallMs / 2) cancelBelow = progress.readCancelBelow()
  }
  for (let at = 0; at < calls.length;) {
    const first = calls[at]!
    if (first.id < cancelBelow) {
      at++
      continue
    }
    // A run: the calls after it of the same env type, not cancelled, none to be run alone.
    const startedAt = performance.now()
    let end = at + 1
    if (runnable(first, startedAt)) {
      while (end < calls.length && end - at < maxRunCalls && calls[end]!.envKey === first.envKey && calls[end]!.id >= cancelBelow && runnable(calls[end]!, startedAt)) end++
    }
    if (end - at === 1) {
      runAlone(first)
      at++
    } else {
      const run = calls.slice(at, end)
      runningCallId = first.id
      runningCount = run.length
      progress.writeRunning(first.id, ProgressExit.none, run.length)
      const answers = runner.callMany(first.envKey, run)
      const tookMs = performance.now() - startedAt
      if (answers === undefined || tookMs / run.length > maxRunCallMs) runsPausedUntil.set(first.envKey, performance.now() + runPauseMs)
      if (tookMs >= stalledCallMs / 2) cancelBelow = progress.readCancelBelow()
      if (answers === undefined) {
        for (const call of run) if (call.id >= cancelBelow) runAlone(call)
      } else {
        run.forEach((call, index) => answer(call.id, answers[index]!))
      }
      at = end
    }
    const now = performance.now()
    if (now - flushedAt >= replyFlushIntervalMs) {
      writeFrame(channel, repliesFields(replies))
      replies = []
      flushedAt = now
    }
  }
  runningCallId = 0
  runningCount = 1
  progress.writeRunning(0)
  if (replies.length > 0) writeFrame(channel, repliesFields(replies))
})

// ICU loads its locale data on first use, once per process: about 120 ms of CPU time here, more on
// a loaded machine. Paid now, it is not charged to the first env call that formats a number.
{
  const date = new Date(0)
  const zone = { timeZone: 'UTC' }
  void [(0.5).toLocaleString('en-US'), (1n).toLocaleString('en-US'), date.toLocaleString('en-US', zone), date.toLocaleDateString('en-US', zone),
    date.toLocaleTimeString('en-US', zone), 'a'.localeCompare('b', 'en-US'), 'i'.toLocaleUpperCase('en-US'), 'I'.toLocaleLowerCase('en-US')]
}
writeFrame(channel, readyFields)
