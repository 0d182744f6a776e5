// Entry of a sandbox process: runs env calls in order, one isolate, nothing else.
// The pool kills and replaces this process when a call does not come back in time.
import { IsolateRunner } from './isolate-runner.ts'
import type { SandboxLimits } from './limits.ts'
import type { CallReply, FromSandbox, ToSandbox } from './protocol.ts'

/** Exit code when V8 reports an error the isolate cannot contain. */
const catastrophicExitCode = 70

const limits = JSON.parse(process.argv[2] ?? '') as SandboxLimits
const runner = new IsolateRunner(limits, {
  onCatastrophicError: (message) => {
    process.stderr.write(`sandbox: ${message}\n`)
    process.exit(catastrophicExitCode)
  },
})

const send = (message: FromSandbox): void => { process.send?.(message) }

/** Answers leave at least this often during a long batch, so the pool's watchdog sees progress. */
const replyFlushIntervalMs = 5

// Answers go back in batches: one message per call would cost more than the call. The pool does
// not need to know which call was running if this process dies: it runs every unanswered call
// again, alone (src/sandbox/pool.ts).
process.on('message', (batch: ToSandbox[]) => {
  let replies: CallReply[] = []
  let flushedAt = performance.now()
  for (const message of batch) {
    if (message.kind === 'load') {
      runner.load(message.envKey, message.source)
      continue
    }
    const result = runner.call(message.envKey, message.op, message.state, message.args)
    replies.push({ id: message.id, ...result })
    const now = performance.now()
    if (now - flushedAt >= replyFlushIntervalMs) {
      send({ kind: 'replies', replies })
      replies = []
      flushedAt = now
    }
  }
  if (replies.length > 0) send({ kind: 'replies', replies })
})
process.on('disconnect', () => process.exit(0))
send({ kind: 'ready' })
