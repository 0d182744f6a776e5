// The V8 memory flags of the server process and its sandbox processes: how they are chosen, and
// that a started codegym-serve runs with them (same pid, after re-executing Node).
import { existsSync, readFileSync } from 'node:fs'
import t from 'tap'
import { defaultSandboxPoolOptions } from '../../src/sandbox/limits.ts'
import {
  defaultServerProcessOptions, missingServerNodeFlags, ProcessFlagError, sandboxExecArgv, serverProcessOptions, serverSemiSpaceEnvVariable,
} from '../../src/sandbox/process-flags.ts'
import { ServeProcess } from '../../tools/serve-process.ts'

await t.test('a sandbox process gets its heap and semi-space caps', async (t) => {
  t.same(sandboxExecArgv({ sandboxProcessHeapMb: 256, sandboxProcessSemiSpaceMb: 4 }), ['--max-old-space-size=256', '--max-semi-space-size=4'])
  t.same(sandboxExecArgv({ sandboxProcessHeapMb: 300, sandboxProcessSemiSpaceMb: 0 }), ['--max-old-space-size=300'], '0 leaves V8 its default')
  t.ok(defaultSandboxPoolOptions.sandboxProcessSemiSpaceMb > 0, 'capped by default')
})

await t.test('the server semi-space cap comes from the command line, else the environment, else the default', async (t) => {
  const env = { [serverSemiSpaceEnvVariable]: '8' }
  t.same(serverProcessOptions([], {}), defaultServerProcessOptions)
  t.equal(serverProcessOptions([], env).serverSemiSpaceMb, 8)
  t.equal(serverProcessOptions(['--port', '0', '--server-semi-space-mb', '2'], env).serverSemiSpaceMb, 2)
  t.equal(serverProcessOptions(['--server-semi-space-mb=3'], env).serverSemiSpaceMb, 3)
  t.equal(serverProcessOptions(['--server-semi-space-mb=3', '--server-semi-space-mb', '5'], {}).serverSemiSpaceMb, 5, 'the last one wins')
  t.equal(serverProcessOptions(['--', '--server-semi-space-mb=3'], {}).serverSemiSpaceMb, defaultServerProcessOptions.serverSemiSpaceMb, 'nothing after --')
  t.equal(serverProcessOptions(['--server-semi-space-mb', '0'], {}).serverSemiSpaceMb, 0)
})

await t.test('a bad value names its source', async (t) => {
  for (const [args, env, source] of [
    [['--server-semi-space-mb', 'lots'], {}, '--server-semi-space-mb'],
    [['--server-semi-space-mb'], {}, '--server-semi-space-mb'],
    [['--server-semi-space-mb=1.5'], {}, '--server-semi-space-mb'],
    [[], { [serverSemiSpaceEnvVariable]: '-1' }, serverSemiSpaceEnvVariable],
    [[], { [serverSemiSpaceEnvVariable]: '' }, serverSemiSpaceEnvVariable],
  ] as const) {
    t.throws(() => serverProcessOptions(args, env), { constructor: ProcessFlagError, message: new RegExp(`^${source} takes a whole number of MiB`) }, `${JSON.stringify(args)} ${JSON.stringify(env)}`)
  }
})

await t.test('only flags Node was not given are added', async (t) => {
  const options = { serverSemiSpaceMb: 16 }
  t.same(missingServerNodeFlags(options, [], {}), ['--max-semi-space-size=16'])
  t.same(missingServerNodeFlags(options, ['--max-semi-space-size=16'], {}), [], 'a re-executed process needs nothing more')
  t.same(missingServerNodeFlags(options, ['--max_semi_space_size=32'], {}), [], "the user's own flag wins")
  t.same(missingServerNodeFlags(options, [], { NODE_OPTIONS: '--max-old-space-size=4096 --max-semi-space-size=32' }), [], 'NODE_OPTIONS counts')
  t.same(missingServerNodeFlags(options, ['--max-semi-space-sizes'], {}), ['--max-semi-space-size=16'], 'another flag does not count')
  t.same(missingServerNodeFlags({ serverSemiSpaceMb: 0 }, [], {}), [], '0 adds nothing')
})

const procCmdline = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== '')
const procChildren = (pid: number): number[] => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)

await t.test('codegym-serve runs with the flags, in the process it was started as', { skip: existsSync('/proc/self/cmdline') ? false : 'needs Linux /proc' }, async (t) => {
  const server = await ServeProcess.start(['--workers', '1', '--sandbox-workers', '1', '--server-semi-space-mb', '8'])
  t.teardown(() => server.stop())
  const pid = server.child.pid!
  const args = procCmdline(pid)
  t.ok(args.includes('--max-semi-space-size=8'), `server: ${args.join(' ')}`)
  const sandboxes = procChildren(pid)
  t.equal(sandboxes.length, 1, 'one sandbox process')
  const sandboxArgs = procCmdline(sandboxes[0]!)
  t.ok(sandboxArgs.includes(`--max-semi-space-size=${defaultSandboxPoolOptions.sandboxProcessSemiSpaceMb}`), `sandbox: ${sandboxArgs.slice(0, 4).join(' ')}`)
  t.ok(sandboxArgs.includes(`--max-old-space-size=${defaultSandboxPoolOptions.sandboxProcessHeapMb}`))
})

await t.test('0 starts the server with V8 defaults, without re-executing', { skip: existsSync('/proc/self/cmdline') ? false : 'needs Linux /proc' }, async (t) => {
  const server = await ServeProcess.start(['--workers', '1', '--sandbox-workers', '1', '--server-semi-space-mb', '0'])
  t.teardown(() => server.stop())
  const args = procCmdline(server.child.pid!)
  t.notOk(args.some((arg) => arg.startsWith('--max-semi-space-size')), `server: ${args.join(' ')}`)
})
