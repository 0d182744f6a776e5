// The same episode gives the same bytes on every host: sandbox processes get a fixed locale and
// time zone whatever the host's, and the guest pins the locale-sensitive built-ins.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const script = fileURLToPath(new URL('../fixtures/scripts/locale-episode.ts', import.meta.url))

function runUnder (hostEnv: Record<string, string>): Promise<string> {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) if (!/^(LANG|LANGUAGE|LC_.*|TZ)$/.test(name)) env[name] = value
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script], { env: { ...env, ...hostEnv }, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${error.message}\n${stderr}`))
      else resolve(stdout)
    })
  })
}

const hosts: Array<Record<string, string>> = [
  { LANG: 'C', TZ: 'UTC' },
  { LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8', TZ: 'Europe/Berlin' },
  { LANG: 'tr_TR.UTF-8', TZ: 'America/New_York' },
  { LANG: 'ja_JP.UTF-8', LC_NUMERIC: 'fr_FR.UTF-8', TZ: 'Asia/Kolkata' },
]

void t.test('an episode gives the same bytes under any host locale and time zone', async (t) => {
  const outputs = await Promise.all(hosts.map((host) => runUnder(host)))
  for (let i = 1; i < hosts.length; i++) {
    t.equal(outputs[i], outputs[0], `${JSON.stringify(hosts[i])} gives the bytes of ${JSON.stringify(hosts[0])}`)
  }
  const { steps } = JSON.parse(outputs[0]!) as { steps: Array<{ observation: unknown, info: { rolledBack: boolean } }> }
  t.equal(steps[0]!.info.rolledBack, false, 'the locale probe ran')
  const locale = steps[0]!.observation as unknown[]
  // Pinned to en-US and UTC: the answers a reader expects, not merely the same ones.
  t.equal(locale[0], '1,234,567.891')
  t.equal(locale[9], 23, 'local hours are UTC hours')
  t.equal(locale[10], 0, 'no time-zone offset')
})
