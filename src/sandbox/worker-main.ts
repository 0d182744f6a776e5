// Entry of a sandbox process: runs env calls in order, one isolate, nothing else.
// The pool kills and replaces this process when a call does not come back in time.
import { Socket } from 'node:net'
import { channelFd, readFrames, writeFrame } from './channel.ts'
import { IsolateRunner } from './isolate-runner.ts'
import { clipText, type SandboxLimits } from './limits.ts'
import { ProgressExit, ProgressRecord } from './progress-record.ts'
import { forEachInBatch, readyFields, repliesFields, type CallReply } from './protocol.ts'

/** Exit code when V8 reports an error the isolate cannot contain. */
const catastrophicExitCode = 70

const limits = JSON.parse(process.argv[2] ?? '') as SandboxLimits
const progress = new ProgressRecord(process.argv[3] ?? '')
/** The host takes calls back only from behind a call that ran this long (see pool.ts). */
const stalledCallMs = Number(process.argv[4])
let runningCallId = 0
const runner = new IsolateRunner(limits, {
  onCatastrophicError: (message) => {
    // The running call is to blame: the host reads this record once the process is gone.
    progress.writeRunning(runningCallId, ProgressExit.outOfMemory)
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

// Answers go back in batches: one frame per call would cost more than the call. Which call is
// running is in the progress record (see progress-record.ts).
readFrames(channel, (fields) => {
  let replies: CallReply[] = []
  let flushedAt = performance.now()
  // The cancel mark is read when it may have moved: before a batch, and after a call long enough
  // for the host to have taken back the calls behind it.
  let cancelBelow = progress.readCancelBelow()
  forEachInBatch(fields, (envKey, source) => runner.load(envKey, source), (id, envKey, op, state, args) => {
    if (id < cancelBelow) return
    runningCallId = id
    progress.writeRunning(id)
    const startedAt = performance.now()
    const result = runner.call(envKey, op, state, args)
    if (performance.now() - startedAt >= stalledCallMs / 2) cancelBelow = progress.readCancelBelow()
    replies.push(result.ok ? { id, ok: true, json: result.json } : { id, ok: false, code: result.code, message: clipText(result.message, limits.maxErrorChars) })
    const now = performance.now()
    if (now - flushedAt >= replyFlushIntervalMs) {
      writeFrame(channel, repliesFields(replies))
      replies = []
      flushedAt = now
    }
  })
  runningCallId = 0
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
