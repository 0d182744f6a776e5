// Bystander bench: how much a hostile env hurts the other envs sharing the sandbox pool.
// Bystander episodes (GetElement of codegym/max-subarray-v1, every answer checked) step at a steady
// pace while, in the attack phases, a hostile call arrives every second: an infinite loop, an
// allocation past the memory limit inside one builtin, and a huge Array.prototype.join (a builtin
// that isolated-vm's timeout cannot interrupt), in turn. Calm and attack phases alternate; the
// result is the bystanders' step latency in each, the attack/calm p99 ratio, and every failure.
//
//   node bench/hostile-bystander.ts [--quick] [--rounds 2] [--phase-s 10] [--out result.json]
//
// Prints one JSON object on stdout and a short table on stderr. See bench/README.md.
import { writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { CodeGymError } from '../src/contract/errors.ts'
import { Runtime, bundledEnvsDir } from '../src/env/runtime.ts'
import type { Episode } from '../src/env/episode.ts'
import { log, resultHeader } from './load/run.ts'

const hostileDir = fileURLToPath(new URL('../test/fixtures/envs/hostile/', import.meta.url))
const hostileEnvId = 'test/hostile-v1'
const bystanderEnvId = 'codegym/max-subarray-v1'
const bystanderValues = [3, -1, 4, -1, -5, 9, -2, 6]

const argv = await yargs(hideBin(process.argv))
  .scriptName('bench/hostile-bystander.ts')
  .option('quick', { type: 'boolean', default: false, description: 'one short round of each phase (CI, a few seconds)' })
  .option('rounds', { type: 'number', description: 'calm/attack rounds (default 2, quick 1)' })
  .option('phase-s', { type: 'number', description: 'seconds per phase (default 10, quick 3)' })
  .option('bystanders', { type: 'number', default: 4, description: 'bystander episodes stepping at once' })
  .option('pace-ms', { type: 'number', default: 5, description: 'pause between two steps of one bystander' })
  .option('sandbox-workers', { type: 'number', default: 2, description: 'sandbox processes' })
  .option('out', { type: 'string', description: 'also write the JSON result to this file' })
  .strict()
  .help()
  .parseAsync()

const quick = argv.quick
const rounds = argv.rounds ?? (quick ? 1 : 2)
const phaseMs = (argv['phase-s'] ?? (quick ? 3 : 10)) * 1000
const hostileKinds = ['loop', 'huge-fill', 'huge-join'] as const
const hostileEveryMs = 1000

const runtime = await Runtime.create({ envDirs: [bundledEnvsDir, hostileDir], sandbox: { workers: argv['sandbox-workers'] } })

interface PhaseSamples { latenciesMs: number[], failures: string[] }
interface HostileSample { kind: string, code: string, ms: number }

async function bystander (until: number, samples: PhaseSamples): Promise<void> {
  let episode: Episode | undefined
  let index = 0
  while (performance.now() < until) {
    const started = performance.now()
    try {
      if (episode === undefined || episode.stepCount >= episode.maxSteps - 1) {
        episode = (await runtime.reset(bystanderEnvId, { config: { values: bystanderValues }, maxSteps: 4096 })).episode
      }
      const at = index++ % bystanderValues.length
      const result = await episode.step({ name: 'GetElement', parameters: { index: at } })
      if (result.info.rolledBack || result.observation !== bystanderValues[at]) {
        samples.failures.push(`GetElement(${at}) gave ${JSON.stringify(result.observation)}`)
      }
    } catch (error) {
      samples.failures.push(`threw ${(error as Error).message}`)
      episode = undefined
    }
    samples.latenciesMs.push(performance.now() - started)
    await sleep(argv['pace-ms'])
  }
}

async function hostileCall (kind: string): Promise<HostileSample> {
  const started = performance.now()
  try {
    const { episode } = await runtime.reset(hostileEnvId, { config: { start: 1 } })
    const result = await episode.step({ name: 'Misbehave', parameters: { kind } })
    return { kind, code: result.info.error?.code ?? 'ok', ms: performance.now() - started }
  } catch (error) {
    // sandbox_busy: the hostile env's own calls waited too long on the quarantine process.
    return { kind, code: error instanceof CodeGymError ? error.code : `threw ${(error as Error).message}`, ms: performance.now() - started }
  }
}

async function phase (attack: boolean, samples: PhaseSamples, hostile: HostileSample[]): Promise<void> {
  const until = performance.now() + phaseMs
  const attacks: Array<Promise<void>> = []
  const attacker = (async () => {
    let next = 0
    while (attack && performance.now() < until - hostileEveryMs / 2) {
      const kind = hostileKinds[next++ % hostileKinds.length]!
      attacks.push(hostileCall(kind).then((sample) => { hostile.push(sample) }))
      await sleep(hostileEveryMs)
    }
  })()
  await Promise.all(Array.from({ length: argv.bystanders }, () => bystander(until, samples)))
  await attacker
  await Promise.all(attacks)
}

function summary (samples: PhaseSamples): { steps: number, failures: number, p50Ms: number, p99Ms: number, maxMs: number } {
  const sorted = [...samples.latenciesMs].sort((a, b) => a - b)
  const at = (q: number): number => Number((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(2))
  return { steps: sorted.length, failures: samples.failures.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) }
}

const calm: PhaseSamples = { latenciesMs: [], failures: [] }
const attacked: PhaseSamples = { latenciesMs: [], failures: [] }
const hostile: HostileSample[] = []
try {
  // Warm up: every sandbox process has loaded both envs.
  await phase(false, { latenciesMs: [], failures: [] }, hostile)
  for (let round = 0; round < rounds; round++) {
    log(`round ${round + 1}/${rounds}: calm`)
    await phase(false, calm, hostile)
    log(`round ${round + 1}/${rounds}: attack`)
    await phase(true, attacked, hostile)
  }
} finally {
  await runtime.close()
}

const calmSummary = summary(calm)
const attackSummary = summary(attacked)
const ratioP99 = Number((attackSummary.p99Ms / Math.max(calmSummary.p99Ms, 0.001)).toFixed(2))
const hostileCodes: Record<string, Record<string, number>> = {}
for (const sample of hostile) {
  const codes = hostileCodes[sample.kind] ??= {}
  codes[sample.code] = (codes[sample.code] ?? 0) + 1
}
const result = {
  ...resultHeader({ command: `node bench/hostile-bystander.ts ${process.argv.slice(2).join(' ')}`.trim(), quick }),
  settings: { rounds, phaseMs, bystanders: argv.bystanders, paceMs: argv['pace-ms'], sandboxWorkers: argv['sandbox-workers'], hostileEveryMs, hostileKinds },
  calm: calmSummary,
  attack: attackSummary,
  ratioP99,
  hostile: { calls: hostile.length, codes: hostileCodes, maxMs: Number(Math.max(0, ...hostile.map((sample) => sample.ms)).toFixed(1)) },
  failures: { calm: calm.failures.slice(0, 20), attack: attacked.failures.slice(0, 20) },
  target: { name: 'no bystander failure and attack p99 <= 3x calm p99', met: calm.failures.length === 0 && attacked.failures.length === 0 && ratioP99 <= 3 },
}
const text = JSON.stringify(result, null, 2)
process.stdout.write(text + '\n')
if (argv.out !== undefined) writeFileSync(argv.out, text + '\n')
log(`calm   steps ${calmSummary.steps}, failures ${calmSummary.failures}, p50 ${calmSummary.p50Ms} ms, p99 ${calmSummary.p99Ms} ms, max ${calmSummary.maxMs} ms`)
log(`attack steps ${attackSummary.steps}, failures ${attackSummary.failures}, p50 ${attackSummary.p50Ms} ms, p99 ${attackSummary.p99Ms} ms, max ${attackSummary.maxMs} ms`)
log(`p99 ratio ${ratioP99}; hostile ${JSON.stringify(hostileCodes)}; target met: ${result.target.met}`)
