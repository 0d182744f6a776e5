// The runtime benchmark's quick mode runs end to end and writes the fields bench/README.md promises.
// No timing is asserted: on a shared machine only the shape and the correctness check are stable.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const script = fileURLToPath(new URL('../../bench/runtime.ts', import.meta.url))

function run (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : (typeof error.code === 'number' ? error.code : null), stdout, stderr })
    })
  })
}

const positive = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value) && value > 0

void t.test('bench/runtime.ts --quick', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'codegym-bench-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const out = join(dir, 'runtime.json')
  const { code, stdout, stderr } = await run(['--quick', '--out', out])
  t.equal(code, 0, `exit code 0; stderr:\n${stderr}`)

  const result = JSON.parse(await readFile(out, 'utf8')) as Record<string, any>
  t.same(JSON.parse(stdout), result, 'stdout and --out hold the same JSON')
  t.equal(result.quick, true)
  t.match(result.node, /^v\d+\./)
  t.type(result.isolatedVm, 'string')
  t.ok(result.gitCommit === null || /^[0-9a-f]{40}$/.test(result.gitCommit), 'git commit')
  t.type(result.machine.cpuModel, 'string')
  t.ok(positive(result.machine.cpus) && positive(result.machine.totalMemoryBytes), 'machine')

  const envIds = ['codegym/max-subarray-v1', 'codegym/valid-brackets-v1']
  for (const key of [...envIds, 'mixed']) {
    t.ok(positive(result.baseline.stepsPerSecond[key]), `baseline steps/s ${key}`)
    t.ok(positive(result.sequential.stepsPerSecond[key]), `sequential steps/s ${key}`)
    t.ok(positive(result.sequential.ratioToBaseline[key]), `sequential ratio ${key}`)
  }
  t.ok(positive(result.concurrent.episodes) && positive(result.concurrent.steps), 'concurrent steps')
  t.ok(positive(result.concurrent.stepsPerSecond) && positive(result.concurrent.ratioToBaseline), 'concurrent steps/s and ratio')

  t.equal(result.memory.length, 2, 'memory at two counts')
  for (const m of result.memory) {
    t.ok(positive(m.liveEpisodes), 'live episodes')
    t.type(m.created, 'string')
    // A delta divided by a count: the RSS one may be slightly negative when the OS takes pages back.
    t.type(m.rssBytesPerEpisode, 'number')
    t.type(m.heapUsedBytesPerEpisode, 'number')
    t.ok(positive(m.before.rssBytes) && positive(m.after.heapUsedBytes), 'samples')
  }

  t.equal(result.failedCalls.length, 2, 'a failed-call case per env')
  for (const f of result.failedCalls) {
    for (const mode of ['concurrent', 'sequential']) {
      t.ok(positive(f[mode].successUsPerCall) && positive(f[mode].failureUsPerCall) && positive(f[mode].ratio), `${f.envId} ${mode}`)
    }
  }

  t.ok(positive(result.correctness.responsesChecked), 'responses were checked')
  t.equal(result.correctness.wrong, 0)
  t.ok(result.targets.length > 0, 'targets')
  for (const target of result.targets) {
    t.type(target.met, 'boolean', target.name)
    t.type(target.value, 'number', target.name)
  }
  t.type(result.allTargetsMet, 'boolean')
})
