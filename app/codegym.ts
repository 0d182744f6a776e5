// `codegym`: one CLI for the rest. Each command lives in its own module under app/.
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { envsCommand } from './envs.ts'
import { failHandler } from './fail.ts'
import { playCommands } from './play.ts'
import { serveCommand } from './serve.ts'
import { benchCommand } from './bench.ts'
import { conformanceCommand } from './conformance.ts'
import { testBackendCommand } from './test-backend.ts'
import { rolloutCommands } from './rollout.ts'
import { synthCommand } from './synth.ts'

const cli = conformanceCommand(testBackendCommand(rolloutCommands(synthCommand(playCommands(benchCommand(serveCommand(envsCommand(yargs(hideBin(process.argv)).scriptName('codegym')))))))))

await cli
  .demandCommand(1, 'name a command')
  .strict()
  .fail(failHandler)
  .help()
  .parseAsync()
