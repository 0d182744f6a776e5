// A file that may legitimately be absent (an optional part of an env package, a first run's
// artefacts, a records file not written yet): absent is undefined, any other failure throws.
import { readFile } from 'node:fs/promises'

export async function readOptionalText (path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}
