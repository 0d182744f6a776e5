// Where codegym-serve finds its snapshot keys: flag, file or environment, exactly one signing key,
// old keys only beside a signing key, every key long enough; without one, a random key (a worker's
// comes from its primary).
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pack } from 'msgpackr'
import t from 'tap'
import { resolveSnapshotKeys } from '../../app/serve-secrets.ts'
import { SnapshotKeys } from '../../src/env/snapshot-keys.ts'
import { sharedSnapshotKeyVariable } from '../../src/server/cluster-messages.ts'

const dir = mkdtempSync(join(tmpdir(), 'codegym-keys-'))
const key = 'the-signing-key-0123456789abcdefghijklmnop'
const old = 'the-old-key-0123456789abcdefghijklmnopqrstu'
const file = (name: string, text: string): string => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}
const random = (): SnapshotKeys => SnapshotKeys.random()
const body = pack({ any: 'content' })

await t.test('each source gives the same key', async (t) => {
  const reference = new SnapshotKeys(key).sign(body)
  for (const [what, keys] of [
    ['--snapshot-key', resolveSnapshotKeys({ snapshotKey: key }, {}, random)],
    ['--snapshot-key-file (with a trailing newline)', resolveSnapshotKeys({ snapshotKeyFile: file('key', `${key}\n`) }, {}, random)],
    ['CODEGYM_SNAPSHOT_KEY', resolveSnapshotKeys({}, { CODEGYM_SNAPSHOT_KEY: key }, random)],
  ] as const) {
    t.same(keys.open(reference), body, `${what}: verifies what the key signed`)
    t.notOk(keys.random, `${what}: not a random key`)
  }
})

await t.test('old keys verify but do not sign', async (t) => {
  const fromOld = new SnapshotKeys(old).sign(body)
  const viaFile = resolveSnapshotKeys({ snapshotKey: key, snapshotOldKeysFile: file('old', `# retired last week\n${old}\n`) }, {}, random)
  const viaEnv = resolveSnapshotKeys({}, { CODEGYM_SNAPSHOT_KEY: key, CODEGYM_SNAPSHOT_OLD_KEYS: ` ${old} ` }, random)
  for (const keys of [viaFile, viaEnv]) {
    t.same(keys.open(fromOld), body)
    t.throws(() => new SnapshotKeys(old).open(keys.sign(body)), { name: 'CodeGymError', data: { reason: 'unknown_key' } }, 'new snapshots are signed with the new key')
  }
})

await t.test('refused at start-up, with the reason', async (t) => {
  t.throws(() => resolveSnapshotKeys({ snapshotKey: key }, { CODEGYM_SNAPSHOT_KEY: key }, random), /given more than once \(--snapshot-key, CODEGYM_SNAPSHOT_KEY\)/)
  t.throws(() => resolveSnapshotKeys({}, { CODEGYM_SNAPSHOT_KEY: '' }, random), /CODEGYM_SNAPSHOT_KEY: a snapshot key may not be empty/, 'set but empty')
  t.throws(() => resolveSnapshotKeys({ snapshotKey: 'short' }, {}, random), /at least 32 bytes; this one has 5/)
  t.throws(() => resolveSnapshotKeys({ snapshotKeyFile: file('two', `${key}\n${old}\n`) }, {}, random), /exactly one key; it holds 2/)
  t.throws(() => resolveSnapshotKeys({ snapshotKeyFile: file('none', '\n') }, {}, random), /exactly one key; it holds 0/)
  t.throws(() => resolveSnapshotKeys({}, { CODEGYM_SNAPSHOT_OLD_KEYS: old }, random), /old snapshot keys are given without a signing key/)
  t.throws(() => resolveSnapshotKeys({ snapshotKey: key }, { CODEGYM_SNAPSHOT_OLD_KEYS: 'short' }, random), /old snapshot key 1: .*at least 32 bytes/)
})

await t.test('no key: random, or the primary\'s in a worker', async (t) => {
  const mine = SnapshotKeys.random()
  t.equal(resolveSnapshotKeys({}, {}, () => mine), mine, 'this process\'s random key')
  const fromPrimary = resolveSnapshotKeys({}, { [sharedSnapshotKeyVariable]: mine.shareRandom() }, random)
  t.same(fromPrimary.open(mine.sign(body)), body, 'a worker verifies what its primary\'s key signed')
})
