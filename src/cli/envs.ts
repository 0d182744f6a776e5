import type { Argv } from 'yargs'
import { Runtime, bundledEnvsDir } from '../env/runtime.ts'

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
        const { manifest, tasks } = runtime.spec(id)
        console.log(`${id}\t${manifest.category}\t${manifest.tools.length} tools\t${tasks.size} tasks\t${manifest.title}`)
      }
    }))
    .command('describe <id>', 'the manifest of one env, with Observe and Done, as JSON',
      (describe) => envsOption(describe).positional('id', { type: 'string', demandOption: true }),
      (args) => withRuntime(args.envs, async (runtime) => {
        const spec = runtime.spec(args.id)
        console.log(JSON.stringify({ ...spec.manifest, tools: spec.tools, tasks: [...spec.tasks.keys()] }, null, 2))
      }))
    .demandCommand(1, 'name an envs command'))
}
