// `node bench/hostile.ts --quick` runs end to end: every attack is measured before, during and after
// with the well-behaved client's latency and the server's RSS, and the attacker saw what the server
// is meant to answer. No timing is asserted (the machine is shared); the bench reports them.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

const outDir = mkdtempSync(join(tmpdir(), 'codegym-hostile-bench-'))
t.teardown(() => rmSync(outDir, { recursive: true, force: true }))

const run = spawnSync(process.execPath, ['bench/hostile.ts', '--quick', '--out-dir', outDir], { encoding: 'utf8', timeout: 180_000 })
t.equal(run.status, 0, `bench/hostile.ts --quick exits 0 (stderr: ${run.stderr.slice(-2000)})`)

const result = JSON.parse(readFileSync(join(outDir, 'result.json'), 'utf8')) as { quick: boolean, attacks: Record<string, any> }
t.same(JSON.parse(run.stdout), result, 'stdout carries the same JSON as result.json')
t.equal(result.quick, true)
t.same(Object.keys(result.attacks), ['silentConnections', 'costlyFrames', 'nonReadingAmplifiers', 'forgedSnapshots', 'wrongTokens'], 'every attack ran')
for (const [name, attack] of Object.entries(result.attacks)) {
  for (const phase of ['before', 'during', 'after']) {
    t.ok(attack[phase].requests > 0, `${name} ${phase}: the well-behaved client was served`)
    t.ok(attack[phase].rssMiB > 0, `${name} ${phase}: server RSS read`)
  }
  t.equal(attack.during.failures, 0, `${name}: no request of the well-behaved client failed during the attack`)
}
t.ok(result.attacks.silentConnections.attacker.droppedByServer > 0, 'silent connections were dropped by the server')
t.ok(result.attacks.costlyFrames.attacker.answered_frame_over_budget > 0, 'costly frames were answered frame_over_budget')
t.equal(result.attacks.forgedSnapshots.attacker.restored, 0, 'no forged snapshot restored')
t.ok(result.attacks.forgedSnapshots.attacker.refused > 0)
t.ok(result.attacks.wrongTokens.attacker.refused > 0, 'wrong tokens were refused')
t.match(readFileSync(join(outDir, 'summary.md'), 'utf8'), /\| costlyFrames \|/, 'the Markdown summary has a row per attack')
