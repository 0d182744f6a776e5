// `codegym bench`: the load benchmark of codegym-serve against its baselines (bench/load/).
import type { Argv } from 'yargs'
import { defaultMix, runLoadBench } from '../bench/load/run.ts'
import type { StepMix } from '../bench/load/types.ts'
import { runWorkersBench } from '../bench/load/workers.ts'
import { runCpuProfile } from '../bench/load/profile.ts'

function parseMix (text: string): StepMix {
  const mix = { ...defaultMix }
  for (const part of text.split(',')) {
    const [kind, weight] = part.split('=')
    if (kind === undefined || !(kind in mix) || weight === undefined || !(Number(weight) >= 0)) {
      throw new Error(`--mix takes kind=weight pairs for ${Object.keys(mix).join(', ')}; got ${JSON.stringify(part)}`)
    }
    mix[kind as keyof StepMix] = Number(weight)
  }
  const total = Object.values(mix).reduce((sum, weight) => sum + weight, 0)
  for (const kind of Object.keys(mix) as Array<keyof StepMix>) mix[kind] /= total
  return mix
}

export function benchCommand<T> (cli: Argv<T>): Argv<T> {
  return cli.command('bench', 'load-test codegym-serve against the echo and in-process baselines', (bench) => bench
    .option('quick', { type: 'boolean', default: false, describe: 'a few seconds, small counts (CI); still checks every response' })
    .option('url', { type: 'string', describe: 'a running server to test instead of starting one (no server CPU/RSS then)' })
    .option('sessions', { type: 'number', describe: 'concurrent sessions, one request in flight each (default 4096; quick 256)' })
    .option('connections', { type: 'number', default: 16, describe: 'WebSocket connections, sessions spread over them' })
    .option('processes', { type: 'number', default: 1, describe: 'load generator processes' })
    .option('duration-s', { type: 'number', describe: 'measured seconds per phase (default 10; quick 1)' })
    .option('warmup-s', { type: 'number', describe: 'unmeasured seconds before each phase (default 2; quick 0.5)' })
    .option('mix', { type: 'string', default: Object.entries(defaultMix).map(([kind, weight]) => `${kind}=${weight}`).join(','), describe: 'step mix: valid, fail (rolled back), observe, done' })
    .option('repeats', { type: 'number', describe: 'alternating echo / full-stack rounds, each reports its median (default 3; quick 1)' })
    .option('idle-sessions', { type: 'number', describe: 'idle sessions to hold for memory per session (default 100000; quick 2000)' })
    .option('half-peak-sessions', { type: 'number', describe: 'the smaller session count also measured (peak, CPU per step, p99 at half of peak against echo) (default 256; quick 64)' })
    .option('before', { type: 'string', describe: 'result.json of an earlier run (e.g. the build before a change): report the headline figures as after / before ratios' })
    .option('cpu-prof', { type: 'boolean', default: false, describe: 'instead of the phases above: one full-stack phase against a server run with --cpu-prof; writes profiles/, hops.md and hops.json (per-hop CPU per step)' })
    .option('sweep', { type: 'boolean', default: false, describe: 'also sweep session counts and draw sweep.svg' })
    .option('server-workers', { type: 'string', describe: 'instead of the phases above: compare steps/s at these codegym-serve --workers counts, e.g. 1,2 (ratios to the first); writes workers.json and workers.md' })
    .option('out-dir', { type: 'string', default: 'bench/out/load', describe: 'where result.json, summary.md and sweep.svg go' }),
  async (args) => {
    const command = `codegym ${process.argv.slice(2).join(' ')}`
    // The load shape both benches share: the same flags mean the same thing in each.
    const load = {
      quick: args.quick,
      sessions: args.sessions ?? (args.quick ? 256 : 4096),
      connections: args.connections,
      processes: args.processes,
      durationS: args.durationS ?? (args.quick ? 1 : 10),
      warmupS: args.warmupS ?? (args.quick ? 0.5 : 2),
      mix: parseMix(args.mix),
      repeats: args.repeats ?? (args.quick ? 1 : 3),
      outDir: args.outDir,
      command,
    }
    const sessionCount = (name: string, value: number): number => {
      if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} takes a whole number of at least 1; got ${value}`)
      return value
    }
    sessionCount('sessions', load.sessions)
    if (args.serverWorkers !== undefined) {
      const result = await runWorkersBench({ ...load, serverWorkers: args.serverWorkers.split(',').map((each) => Number(each.trim())) })
      process.stdout.write(JSON.stringify(result, null, 2) + '\n')
      return
    }
    const options = {
      ...load,
      url: args.url,
      idleSessions: args.idleSessions ?? (args.quick ? 2000 : 100_000),
      halfPeakSessions: sessionCount('half-peak-sessions', args.halfPeakSessions ?? (args.quick ? 64 : 256)),
      before: args.before,
      sweep: args.sweep,
    }
    const result = args.cpuProf ? await runCpuProfile(options) : await runLoadBench(options)
    process.stdout.write(JSON.stringify(result, null, 2) + '\n')
  })
}
