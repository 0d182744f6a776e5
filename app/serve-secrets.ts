// Where codegym-serve finds its secrets: the tokens clients must show, and the keys snapshots are
// signed with. Each comes from a flag, a file (for a mounted Secret) or an environment variable,
// and is refused at start-up when it is empty, only whitespace or too short: an unset variable in a
// deploy script must not turn into "no password".
import { readFileSync } from 'node:fs'
import { checkTokens } from '../src/server/auth.ts'
import { SnapshotKeys, snapshotKeyProblem } from '../src/env/snapshot-keys.ts'
import { sharedSnapshotKeyVariable } from '../src/server/cluster-messages.ts'

export interface SecretArgs {
  token?: readonly string[] | undefined
  tokenFile?: string | undefined
  snapshotKey?: string | undefined
  snapshotKeyFile?: string | undefined
  snapshotOldKeysFile?: string | undefined
}

type Env = Readonly<Record<string, string | undefined>>

/** One secret per line; blank lines and lines starting with # are skipped. */
function linesOf (path: string, what: string): string[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new Error(`cannot read the ${what} file ${path}: ${(error as Error).message}`)
  }
  return text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'))
}

/**
 * The tokens hello must carry one of; empty: none required. Sources add up (--token may be given
 * several times, the file and CODEGYM_TOKEN may hold several), so that a new token can be accepted
 * alongside the old one while clients move over.
 */
/** The tokens of CODEGYM_TOKEN (comma-separated, for rotation); undefined when it is not set. */
export function tokensOfVariable (env: Env = process.env): string[] | undefined {
  return env.CODEGYM_TOKEN?.split(',').map((token) => token.trim())
}

export function resolveTokens (args: SecretArgs, env: Env = process.env): string[] {
  const tokens: string[] = []
  for (const token of args.token ?? []) {
    checkTokens([token], '--token')
    tokens.push(token)
  }
  if (args.tokenFile !== undefined) {
    const fromFile = linesOf(args.tokenFile, '--token-file')
    if (fromFile.length === 0) throw new Error(`--token-file ${args.tokenFile} holds no token`)
    checkTokens(fromFile, `--token-file ${args.tokenFile}`)
    tokens.push(...fromFile)
  }
  const fromVariable = tokensOfVariable(env)
  // Set but empty is refused, not ignored: it is how an unset variable in a script looks.
  if (fromVariable !== undefined) {
    checkTokens(fromVariable, 'CODEGYM_TOKEN (comma-separated tokens)')
    tokens.push(...fromVariable)
  }
  return [...new Set(tokens)]
}

/**
 * The snapshot keys: the signing key from --snapshot-key, --snapshot-key-file or
 * CODEGYM_SNAPSHOT_KEY (at most one of them), and old keys still accepted from
 * --snapshot-old-keys-file or CODEGYM_SNAPSHOT_OLD_KEYS (comma-separated). With no signing key,
 * the process's random key, or in a worker of a multi-process server its primary's.
 */
export function resolveSnapshotKeys (args: SecretArgs, env: Env = process.env, randomKeys: () => SnapshotKeys): SnapshotKeys {
  const sources: Array<[string, () => string]> = []
  if (args.snapshotKey !== undefined) sources.push(['--snapshot-key', () => args.snapshotKey!])
  if (args.snapshotKeyFile !== undefined) {
    sources.push([`--snapshot-key-file ${args.snapshotKeyFile}`, () => {
      const lines = linesOf(args.snapshotKeyFile!, '--snapshot-key-file')
      if (lines.length !== 1) throw new Error(`--snapshot-key-file ${args.snapshotKeyFile} must hold exactly one key; it holds ${lines.length} (old keys go in --snapshot-old-keys-file)`)
      return lines[0]!
    }])
  }
  if (env.CODEGYM_SNAPSHOT_KEY !== undefined) sources.push(['CODEGYM_SNAPSHOT_KEY', () => env.CODEGYM_SNAPSHOT_KEY!])
  if (sources.length > 1) throw new Error(`the snapshot key is given more than once (${sources.map(([name]) => name).join(', ')}): give one`)
  const old: string[] = []
  if (args.snapshotOldKeysFile !== undefined) old.push(...linesOf(args.snapshotOldKeysFile, '--snapshot-old-keys-file'))
  if (env.CODEGYM_SNAPSHOT_OLD_KEYS !== undefined && env.CODEGYM_SNAPSHOT_OLD_KEYS.trim() !== '') {
    old.push(...env.CODEGYM_SNAPSHOT_OLD_KEYS.split(',').map((key) => key.trim()))
  }
  const [source, read] = sources[0] ?? []
  if (source === undefined || read === undefined) {
    if (old.length > 0) throw new Error('old snapshot keys are given without a signing key (--snapshot-key-file or CODEGYM_SNAPSHOT_KEY)')
    const shared = env[sharedSnapshotKeyVariable]
    return shared === undefined ? randomKeys() : SnapshotKeys.fromShared(shared)
  }
  const signing = read()
  const problem = snapshotKeyProblem(signing)
  if (problem !== undefined) throw new Error(`${source}: ${problem}`)
  old.forEach((key, index) => {
    const oldProblem = snapshotKeyProblem(key)
    if (oldProblem !== undefined) throw new Error(`old snapshot key ${index + 1}: ${oldProblem}`)
  })
  return new SnapshotKeys(signing, old)
}
