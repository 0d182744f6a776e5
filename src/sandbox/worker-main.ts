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

process.on('message', (batch: ToSandbox[]) => {
  let replies: CallReply[] = []
  for (const message of batch) {
    if (message.kind === 'load') {
      runner.load(message.envKey, message.source)
      continue
    }
    // Answers already computed leave before the next call starts: if that call hangs and the pool
    // kills this process, the pool must know which calls finished, or it blames a finished call
    // (the oldest unanswered one) for the hang and runs the hanging call again as if innocent.
    if (replies.length > 0) {
      send({ kind: 'replies', replies })
      replies = []
    }
    const result = runner.call(message.envKey, message.op, message.state, message.args)
    replies.push({ id: message.id, ...result })
  }
  if (replies.length > 0) send({ kind: 'replies', replies })
})
process.on('disconnect', () => process.exit(0))
send({ kind: 'ready' })
