// The V8 memory flags of the server process and its sandbox processes: how they are chosen, and
// that a started codegym-serve runs with them (same pid, after re-executing Node).
import { existsSync, readFileSync } from 'node:fs'
import t from 'tap'
import { defaultSandboxPoolOptions } from '../../src/sandbox/limits.ts'
import {
  defaultServerProcessOptions, missingServerSettings, ProcessFlagError, sandboxExecArgv, serverProcessOptions, serverSemiSpaceEnvVariable,
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
  t.same(serverProcessOptions(['--malloc-arena-max', '4', '--server-semi-space-mb=2', '--server-heap-growing-percent', '50'], {}),
    { serverSemiSpaceMb: 2, serverHeapGrowingPercent: 50, mallocArenaMax: 4 }, 'each from its own flag')
  t.equal(serverProcessOptions([], { CODEGYM_SERVER_HEAP_GROWING_PERCENT: '40' }).serverHeapGrowingPercent, 40)
})

await t.test('a bad value names its source', async (t) => {
  for (const [args, env, source] of [
    [['--server-semi-space-mb', 'lots'], {}, '--server-semi-space-mb'],
    [['--server-semi-space-mb'], {}, '--server-semi-space-mb'],
    [['--server-semi-space-mb=1.5'], {}, '--server-semi-space-mb'],
    [[], { [serverSemiSpaceEnvVariable]: '-1' }, serverSemiSpaceEnvVariable],
    [[], { [serverSemiSpaceEnvVariable]: '' }, serverSemiSpaceEnvVariable],
    [['--malloc-arena-max=two'], {}, '--malloc-arena-max'],
  ] as const) {
    t.throws(() => serverProcessOptions(args, env), { constructor: ProcessFlagError, message: new RegExp(`^${source} takes a whole number`) }, `${JSON.stringify(args)} ${JSON.stringify(env)}`)
  }
})

await t.test('only settings the process was not given are added', async (t) => {
  const options = { serverSemiSpaceMb: 16, serverHeapGrowingPercent: 50, mallocArenaMax: 2 }
  const none = { nodeFlags: [], env: {} }
  const ours = ['--max-semi-space-size=16', '--heap-growing-percent=50']
  t.same(missingServerSettings(options, [], {}), { nodeFlags: ours, env: { MALLOC_ARENA_MAX: '2' } })
  t.same(missingServerSettings(options, ours, { MALLOC_ARENA_MAX: '2' }), none, 'a re-executed process lacks nothing')
  t.same(missingServerSettings(options, ['--max_semi_space_size=32', '--heap-growing-percent=20'], { MALLOC_ARENA_MAX: '8' }), none, "the user's own flags and variable win")
  t.same(missingServerSettings(options, [], { NODE_OPTIONS: '--max-old-space-size=4096 --max-semi-space-size=32', MALLOC_ARENA_MAX: '1' }).nodeFlags, ['--heap-growing-percent=50'], 'NODE_OPTIONS counts')
  t.same(missingServerSettings(options, ['--max-semi-space-sizes'], { MALLOC_ARENA_MAX: '2' }).nodeFlags, ours, 'another flag does not count')
  t.same(missingServerSettings({ serverSemiSpaceMb: 0, serverHeapGrowingPercent: 0, mallocArenaMax: 0 }, [], {}), none, '0 adds nothing')
  t.same(missingServerSettings(defaultServerProcessOptions, [], {}), none, 'the defaults add nothing: the server starts without re-executing')
})

const procCmdline = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== '')
const procEnv = (pid: number): string[] => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
const procChildren = (pid: number): number[] => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)

await t.test('codegym-serve runs with the flags, in the process it was started as', { skip: existsSync('/proc/self/cmdline') ? false : 'needs Linux /proc' }, async (t) => {
  const server = await ServeProcess.start(['--workers', '1', '--sandbox-workers', '1', '--server-semi-space-mb', '8', '--malloc-arena-max=2'])
  t.teardown(() => server.stop())
  const pid = server.child.pid!
  const args = procCmdline(pid)
  t.ok(args.includes('--max-semi-space-size=8'), `server: ${args.join(' ')}`)
  const arenas = process.env.MALLOC_ARENA_MAX ?? '2'
  t.ok(procEnv(pid).includes(`MALLOC_ARENA_MAX=${arenas}`), `server: MALLOC_ARENA_MAX=${arenas}`)
  const sandboxes = procChildren(pid)
  t.equal(sandboxes.length, 1, 'one sandbox process')
  const sandboxArgs = procCmdline(sandboxes[0]!)
  t.ok(sandboxArgs.includes(`--max-semi-space-size=${defaultSandboxPoolOptions.sandboxProcessSemiSpaceMb}`), `sandbox: ${sandboxArgs.slice(0, 4).join(' ')}`)
  t.ok(sandboxArgs.includes(`--max-old-space-size=${defaultSandboxPoolOptions.sandboxProcessHeapMb}`))
  t.ok(procEnv(sandboxes[0]!).includes(`MALLOC_ARENA_MAX=${arenas}`), 'the sandbox process inherits MALLOC_ARENA_MAX')
})

await t.test('by default the server starts with the defaults of Node and glibc, without re-executing', { skip: existsSync('/proc/self/cmdline') ? false : 'needs Linux /proc' }, async (t) => {
  const server = await ServeProcess.start(['--workers', '1', '--sandbox-workers', '1'])
  t.teardown(() => server.stop())
  const args = procCmdline(server.child.pid!)
  t.notOk(args.some((arg) => arg.startsWith('--max-semi-space-size') || arg.startsWith('--heap-growing-percent')), `server: ${args.join(' ')}`)
  if (process.env.MALLOC_ARENA_MAX === undefined) t.notOk(procEnv(server.child.pid!).some((entry) => entry.startsWith('MALLOC_ARENA_MAX=')), 'no MALLOC_ARENA_MAX')
})

await t.test('the server workers of --workers 2 run with the flags too', { skip: existsSync('/proc/self/cmdline') ? false : 'needs Linux /proc' }, async (t) => {
  const server = await ServeProcess.start(['--workers', '2', '--sandbox-workers', '1', '--server-semi-space-mb', '8'])
  t.teardown(() => server.stop())
  const primary = server.child.pid!
  t.ok(procCmdline(primary).includes('--max-semi-space-size=8'), 'primary')
  const workers = procChildren(primary)
  t.equal(workers.length, 2, 'two server workers')
  for (const worker of workers) t.ok(procCmdline(worker).includes('--max-semi-space-size=8'), `worker: ${procCmdline(worker).slice(0, 3).join(' ')}`)
})
