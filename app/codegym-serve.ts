// `codegym-serve`: the same as `codegym serve`.
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { serve, serveOptions } from './serve.ts'
import { failHandler } from './fail.ts'

const args = await serveOptions(yargs(hideBin(process.argv)).scriptName('codegym-serve'))
  .strict()
  .fail(failHandler)
  .help()
  .parseAsync()
await serve(args).catch((error: unknown) => failHandler(undefined, error as Error))
