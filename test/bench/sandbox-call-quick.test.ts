// The sandbox-call benchmark's quick mode runs end to end and writes the fields bench/README.md
// promises. No timing is asserted: on a shared machine only the shape and the answer checks are stable.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const script = fileURLToPath(new URL('../../bench/sandbox-call.ts', import.meta.url))

function run (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { maxBuffer: 4 * 1024 * 1024, timeout: 300_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : (typeof error.code === 'number' ? error.code : null), stdout, stderr })
    })
  })
}

const positive = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value) && value > 0

interface Cost { processUs: number, threadUs: number }
interface Report {
  bench: string
  quick: boolean
  node: string
  callsPerOp: number
  envs: Array<{ env: string, stateBytes: number, calls: number, baseline: Cost, ops: Record<string, Cost & { ratioToBaseline: number, readUs: number }> }>
}

void t.test('bench/sandbox-call.ts --quick', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'codegym-bench-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const out = join(dir, 'sandbox-call.json')
  const { code, stdout, stderr } = await run(['--quick', '--out', out])
  t.equal(code, 0, `exit code 0 (every answer checked); stderr:\n${stderr}`)

  const result = JSON.parse(await readFile(out, 'utf8')) as Report
  t.same(JSON.parse(stdout), result, 'stdout and --out hold the same JSON')
  t.equal(result.bench, 'sandbox-call')
  t.equal(result.quick, true)
  t.match(result.node, /^v\d+\./)
  t.ok(positive(result.callsPerOp), 'calls per op')
  t.same(result.envs.map((env) => env.env), ['max-subarray', 'game-of-life', 'search-insert-position'])
  const [small, , large] = result.envs
  t.ok(small!.stateBytes * 10 < large!.stateBytes, 'envs with a small state and a larger one')
  for (const { env, calls, baseline, ops } of result.envs) {
    t.ok(positive(calls), `${env} calls per op`)
    t.ok(positive(baseline.processUs) && positive(baseline.threadUs), `${env} baseline`)
    t.same(Object.keys(ops), ['toolOk', 'toolThrows', 'observe', 'check', 'reset'], `${env} ops`)
    for (const [name, cost] of Object.entries(ops)) {
      t.ok(positive(cost.processUs) && positive(cost.threadUs) && positive(cost.ratioToBaseline), `${env} ${name} costs`)
      t.ok(typeof cost.readUs === 'number' && cost.readUs >= 0, `${env} ${name} read cost`)
    }
  }
  t.match(stderr, /max-subarray \(state \d+ B\): raw applySync/, 'a table on stderr')
})
