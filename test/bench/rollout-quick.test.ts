// The rollout benchmark's quick mode runs end to end and writes the fields bench/README.md promises.
// No timing is asserted: on a shared machine only the shape and the validity checks are stable.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const script = fileURLToPath(new URL('../../bench/rollout.ts', import.meta.url))
const positive = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value) && value > 0

await t.test('bench/rollout.ts --quick', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'codegym-bench-rollout-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const out = join(dir, 'rollout.json')
  const { code, stdout, stderr } = await new Promise<{ code: number | null, stdout: string, stderr: string }>((resolve) => {
    execFile(process.execPath, [script, '--quick', '--out', out], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : (typeof error.code === 'number' ? error.code : null), stdout, stderr })
    })
  })
  t.equal(code, 0, `exit code 0 (a valid run); stderr:\n${stderr}`)
  const result = JSON.parse(await readFile(out, 'utf8')) as Record<string, any>
  t.same(JSON.parse(stdout), result, 'stdout and --out hold the same JSON')
  t.equal(result.quick, true)
  t.same(result.config, { tasks: 16, groupSize: 8, rollouts: 128, latencyMs: 50, generationCallsPerRollout: 3, mode: 'chat', toolFormat: 'openai' })
  t.equal(result.full.records, 128)
  t.same(result.full.terminations, { done: 128 })
  t.equal(result.expectedGenerationCalls, 384, 'three generation calls per rollout')
  // A retried request (a connection closed under it) reaches the backend twice.
  t.ok(result.full.generationCalls >= 384 && result.baseline.generationCalls >= 384, 'the baseline serves the same calls')
  t.equal(result.full.maxRolloutsInFlight, 128, 'the whole batch was in flight at once')
  for (const phase of ['full', 'baseline']) {
    t.ok(positive(result[phase].seconds) && positive(result[phase].callsPerSecond), `${phase} timing`)
    t.ok(positive(result[phase].cpuSeconds.backend), `${phase} backend CPU`)
  }
  t.ok(positive(result.ratioToBaseline))
  t.same(result.targets.map((target: { name: string }) => target.name), ['full batch time / backend alone', 'rollouts held in flight'])
  for (const target of result.targets) t.type(target.met, 'boolean')
})
