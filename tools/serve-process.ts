// A real `codegym-serve` child process, the one way tests and benches start one: its JSON log lines
// (pino, on stderr), the URL from its 'listening' line, and its exit.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../bin/codegym-serve.js', import.meta.url))
/** Upper bound on a wait for a log line, so a broken server fails a test instead of hanging it. */
const logWaitLimitMs = 30_000

export type LogRecord = Record<string, unknown>

export class ServeProcess {
  readonly child: ChildProcessWithoutNullStreams
  readonly log: LogRecord[] = []
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  url = ''
  #tail = ''
  readonly #watchers = new Set<() => void>()

  private constructor (args: string[], env: NodeJS.ProcessEnv | undefined) {
    // A free port unless the args name one.
    this.child = spawn(process.execPath, [bin, ...(args.includes('--port') ? [] : ['--port', '0']), '--log-level', 'info', ...args], env === undefined ? {} : { env })
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => {
      resolve({ code, signal })
      for (const watcher of this.#watchers) watcher()
    }))
    this.child.stdout.resume()
    this.child.stderr.setEncoding('utf8')
    this.child.stderr.on('data', (chunk: string) => {
      const lines = (this.#tail + chunk).split('\n')
      this.#tail = lines.pop()!
      for (const line of lines) {
        try {
          this.log.push(JSON.parse(line) as LogRecord)
        } catch {
          this.log.push({ text: line })
        }
      }
      for (const watcher of this.#watchers) watcher()
    })
  }

  /** `env` replaces this process's environment for the server (and the processes it starts). */
  static async start (args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<ServeProcess> {
    const server = new ServeProcess(args, options.env)
    const listening = await server.waitForLog((record) => record.msg === 'listening')
    server.url = listening.url as string
    return server
  }

  get httpBase (): string { return this.url.replace(/^ws:/, 'http:') }

  /** The first log record (from the start) that matches; rejects if the process exits first. */
  waitForLog (matches: (record: LogRecord) => boolean, timeoutMs = logWaitLimitMs): Promise<LogRecord> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no such log line within ${timeoutMs} ms: ${JSON.stringify(this.log)}`)), timeoutMs)
      const finish = (result: LogRecord | Error): void => {
        clearTimeout(timer)
        this.#watchers.delete(check)
        if (result instanceof Error) reject(result)
        else resolve(result)
      }
      const check = (): void => {
        const found = this.log.find(matches)
        if (found !== undefined) finish(found)
        else if (this.child.exitCode !== null || this.child.signalCode !== null) finish(new Error(`codegym-serve exited: ${JSON.stringify(this.log)}`))
      }
      this.#watchers.add(check)
      check()
    })
  }

  get running (): boolean { return this.child.exitCode === null && this.child.signalCode === null }

  /** SIGKILL: no drain, for tests that only need the process gone. */
  kill (): void {
    if (this.running) this.child.kill('SIGKILL')
  }

  /** SIGTERM (the server drains), resolving once the process has exited. */
  async stop (): Promise<void> {
    if (this.running) this.child.kill('SIGTERM')
    await this.exited
  }
}

/** The value of one series in Prometheus text, e.g. `codegym_sessions` or `x_total{op="step"}`. */
export function seriesValue (text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}
