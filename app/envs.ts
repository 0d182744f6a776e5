import type { Argv } from 'yargs'
import { checkNames, checkPackages, formatReports, type CheckName } from '../src/env-check/index.ts'
import { corpusStats, formatStats, formatStatsMarkdown } from '../src/env-check/corpus-stats.ts'
import { Runtime, bundledEnvsDir } from '../src/env/runtime.ts'

export function envsOption<T> (cli: Argv<T>) {
  return cli.option('envs', { type: 'string', array: true, default: [bundledEnvsDir], describe: 'env folders (each a folder of env packages, or one package)' })
}

export async function withRuntime<T> (envDirs: string[], use: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await Runtime.create({ envDirs, sandbox: { workers: 1 } })
  try {
    return await use(runtime)
  } finally {
    await runtime.close()
  }
}

export function envsCommand<T> (cli: Argv<T>): Argv<T> {
  return cli.command('envs', 'list and inspect env packages', (envs) => envs
    .command('list', 'one line per env: id, category, tools, fixed tasks', envsOption, (args) => withRuntime(args.envs, async (runtime) => {
      for (const id of runtime.envIds()) {
        const { manifest, tools, tasks } = runtime.spec(id)
        console.log(`${id}\t${manifest.category}\t${tools.length} tools\t${tasks.size} tasks\t${manifest.title}`)
      }
    }))
    .command('describe <id>', 'the manifest of one env, with Observe and Done, as JSON',
      (describe) => envsOption(describe).positional('id', { type: 'string', demandOption: true }),
      (args) => withRuntime(args.envs, async (runtime) => {
        const spec = runtime.spec(args.id)
        console.log(JSON.stringify({ ...spec.manifest, tools: spec.tools, tasks: [...spec.tasks.keys()] }, null, 2))
      }))
    .command('check [env..]', 'run the env checker on every env, or on those named (id or folder name); exits 1 if any check fails',
      (check) => envsOption(check)
        .positional('env', { type: 'string', array: true, default: [] as string[], describe: 'envs to check (default: all)' })
        .option('seeds', { type: 'number', default: 3, describe: 'generated tasks per difficulty the oracle must solve (seeds 1..N); also wrong answers and random episodes' })
        .option('check', { type: 'string', array: true, choices: checkNames, describe: 'run only these checks' })
        .option('concurrency', { type: 'number', default: 4, describe: 'envs checked at once' })
        .option('json', { type: 'boolean', default: false, describe: 'print the reports as JSON' }),
      async (args) => {
        const { reports } = await checkPackages(args.envs, args.env, checkOptions(args))
        console.log(args.json ? JSON.stringify({ ok: reports.every((report) => report.ok), reports }, null, 2) : formatReports(reports))
        if (!reports.every((report) => report.ok)) process.exitCode = 1
      })
    .command('stats', 'corpus statistics: envs, task configs, tools per env, oracle steps per task, categories, difficulties',
      (stats) => envsOption(stats)
        .option('seeds', { type: 'number', default: 3, describe: 'generated tasks per difficulty, as in `envs check`' })
        .option('concurrency', { type: 'number', default: 4, describe: 'envs run at once' })
        .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
        .option('markdown', { type: 'boolean', default: false, describe: 'print the tables of the Corpus section in envs/README.md' }),
      async (args) => {
        const { reports, specs } = await checkPackages(args.envs, [], { ...checkOptions(args), checks: ['oracle'] })
        const stats = corpusStats(specs, reports, args.seeds)
        console.log(args.json ? JSON.stringify(stats, null, 2) : args.markdown ? formatStatsMarkdown(stats) : formatStats(stats))
        const unsolved = reports.filter((report) => !report.ok).map((report) => report.envId)
        if (unsolved.length > 0) {
          console.error(`codegym: the oracle failed on ${unsolved.join(', ')}; run \`codegym envs check\``)
          process.exitCode = 1
        }
      })
    .demandCommand(1, 'name an envs command'))
}

function checkOptions (args: { seeds: number, concurrency: number, check?: string[] }): { seeds: number, concurrency: number, checks?: CheckName[] } {
  if (!Number.isInteger(args.seeds) || args.seeds < 1) throw new Error('--seeds must be a positive integer')
  if (!Number.isInteger(args.concurrency) || args.concurrency < 1) throw new Error('--concurrency must be a positive integer')
  const options: { seeds: number, concurrency: number, checks?: CheckName[] } = { seeds: args.seeds, concurrency: args.concurrency }
  if (args.check !== undefined && args.check.length > 0) options.checks = args.check as CheckName[]
  return options
}
