import type { Argv } from 'yargs'
import { CodeGymError, EnvLoadError } from '../src/contract/errors.ts'

/** Errors the user can act on are one line; anything else is a bug and keeps its stack. */
export function failHandler (message: string | undefined, error: Error | undefined, cli?: Argv): never {
  if (error instanceof CodeGymError || error instanceof EnvLoadError) console.error(`codegym: ${error.message}`)
  else if (error !== undefined && error.constructor === Error) console.error(`codegym: ${error.message}`)
  else if (error !== undefined) console.error(error)
  else console.error(`${cli?.help() ?? ''}\n\n${message ?? ''}`)
  process.exit(1)
}
