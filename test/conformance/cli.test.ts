// `codegym conformance` as a user runs it: against a spawned codegym-serve with two worker
// processes (resume goes through the primary's routing), one line per check, the summary line last,
// and the exit code.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { ServeProcess } from '../../tools/serve-process.ts'

const codegym = fileURLToPath(new URL('../../bin/codegym.js', import.meta.url))

function runCli (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [codegym, 'conformance', ...args], { timeout: 240_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr })
    })
  })
}

await t.test('against two worker processes with a token and small limits, every check passes', async (t) => {
  const server = await ServeProcess.start(['--workers', '2', '--sandbox-workers', '1', '--token', 'cli-token-0123456789abcdef', '--max-sessions-per-connection', '6',
    '--max-pending-requests', '40', '--max-batch-ops', '10', '--hello-timeout-ms', '1000', '--max-frame-bytes', '32768', '--resume-ttl-ms', '4000', '--session-idle-ttl-ms', '5000'])
  t.teardown(() => server.kill())
  const { code, stdout } = await runCli([server.url, '--token', 'cli-token-0123456789abcdef', '--codec', 'msgpack'])
  const lines = stdout.trim().split('\n')
  t.match(lines.at(-1), /^\d+ passed, 0 failed$/, 'the last line is the summary')
  t.equal(code, 0, 'exit code 0')
  const checks = lines.filter((line) => /^(ok  |FAIL|skip) /.test(line))
  t.ok(checks.length >= 45, `${checks.length} check lines`)
  t.ok(checks.every((line) => line.startsWith('ok   ')), checks.filter((line) => !line.startsWith('ok   ')).join('\n'))
  t.ok(checks.every((line) => / §[^:]+: /.test(line)), 'each line names its PROTOCOL.md section')
})

await t.test('a server that cannot be reached is a failed check and exit code 1', async (t) => {
  const { code, stdout } = await runCli(['ws://127.0.0.1:9/', '--codec', 'json', '--timeout-ms', '2000'])
  t.equal(code, 1)
  t.match(stdout, /^FAIL .*hello, envs.list and envs.describe answer/m)
  t.match(stdout.trim().split('\n').at(-1), /^0 passed, 1 failed$/)
})
