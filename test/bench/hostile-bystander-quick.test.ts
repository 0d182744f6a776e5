// The bystander bench's quick mode runs end to end and writes the fields bench/README.md promises.
// No timing is asserted (only the shape, and that no bystander step failed and every hostile call
// was contained with a limit's code): on a shared machine timings are noise.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const script = fileURLToPath(new URL('../../bench/hostile-bystander.ts', import.meta.url))

void t.test('bench/hostile-bystander.ts --quick', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'codegym-bench-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const out = join(dir, 'result.json')
  const { code, stdout, stderr } = await new Promise<{ code: number | null, stdout: string, stderr: string }>((resolve) => {
    execFile(process.execPath, [script, '--quick', '--out', out], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : (typeof error.code === 'number' ? error.code : null), stdout, stderr })
    })
  })
  t.equal(code, 0, `exit code 0; stderr:\n${stderr}`)
  const result = JSON.parse(await readFile(out, 'utf8')) as Record<string, any>
  t.same(JSON.parse(stdout), result, 'stdout and --out hold the same JSON')
  t.equal(result.quick, true)
  t.match(result.node, /^v\d+\./)
  for (const phase of ['calm', 'attack']) {
    t.ok(result[phase].steps > 0, `${phase}: bystander steps were taken`)
    for (const key of ['p50Ms', 'p99Ms', 'maxMs']) t.type(result[phase][key], 'number', `${phase}.${key}`)
    t.equal(result[phase].failures, 0, `${phase}: no bystander step failed`)
  }
  t.type(result.ratioP99, 'number')
  t.type(result.target.met, 'boolean')
  t.ok(result.hostile.calls > 0, 'hostile calls were made')
  // A limit's rollback code, or sandbox_busy when the hostile env's calls queue up on the quarantine process.
  const limitCodes = new Set(['cpu_time_limit', 'wall_time_limit', 'memory_limit', 'sandbox_crashed', 'sandbox_busy'])
  for (const [kind, codes] of Object.entries(result.hostile.codes as Record<string, Record<string, number>>)) {
    t.ok(Object.keys(codes).every((each) => limitCodes.has(each)), `${kind} was contained by a limit: ${JSON.stringify(codes)}`)
  }
})
