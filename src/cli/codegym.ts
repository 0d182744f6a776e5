// `codegym`: one CLI for the env tools. Each command lives in its own module under src/cli/.
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { envsCommand } from './envs.ts'
import { CodeGymError, EnvLoadError } from '../errors.ts'

const cli = envsCommand(yargs(hideBin(process.argv)).scriptName('codegym'))

await cli
  .demandCommand(1, 'name a command')
  .strict()
  .fail((message, error, cli) => {
    // Errors the user can act on are one line; anything else is a bug and keeps its stack.
    if (error instanceof CodeGymError || error instanceof EnvLoadError) console.error(`codegym: ${error.message}`)
    else if (error !== undefined) console.error(error)
    else console.error(`${cli.help()}\n\n${message}`)
    process.exit(1)
  })
  .help()
  .parseAsync()
