// Every limit hello advertises is a codegym-serve flag of the same name, and the maxSteps limit is
// enforced: a larger T_max is refused, and an env whose default is larger plays at the limit.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { pino } from 'pino'
import t from 'tap'
import { Runtime } from '../../src/env/runtime.ts'
import { protocolSchema } from '../../src/schemas/validate.ts'
import { CodeGymServer } from '../../src/server/server.ts'
import { exampleEnvDirs } from '../helpers/envs.ts'
import { RawClient } from '../helpers/wire.ts'

const kebab = (name: string): string => name.replace(/[A-Z]/g, (letter) => '-' + letter.toLowerCase())
const advertised = Object.keys((protocolSchema as { $defs: { Limits: { properties: Record<string, unknown> } } }).$defs.Limits.properties)

await t.test('codegym-serve --help lists a flag for every limit in hello', async (t) => {
  const bin = fileURLToPath(new URL('../../bin/codegym-serve.js', import.meta.url))
  const { stdout } = await promisify(execFile)(process.execPath, [bin, '--help'], { timeout: 60_000 })
  t.ok(advertised.length >= 14, `${advertised.length} limits in the schema`)
  for (const name of advertised) t.match(stdout, new RegExp(`--${kebab(name)}\\b`), `--${kebab(name)} for ${name}`)
})

await t.test('the maxSteps limit: advertised, enforced on reset, and applied to env defaults', async (t) => {
  const server = await CodeGymServer.start({ port: 0, envDirs: exampleEnvDirs, sandbox: { workers: 1 }, limits: { maxSteps: 5 }, logger: pino({ level: 'silent' }) })
  const client = await RawClient.open(server.url)
  t.teardown(async () => {
    await client.close()
    await server.close()
  })
  const hello = await client.hello({ versions: [1] })
  t.equal((hello.limits as { maxSteps: number }).maxSteps, 5)
  const over = await client.request(2, 'reset', { env: 'codegym/valid-brackets-v1', options: { maxSteps: 6 } })
  t.match(over.error, { code: 'invalid_reset_options', data: { limit: 'maxSteps', maxSteps: 5 } })
  const defaulted = await client.call(3, 'reset', { env: 'codegym/valid-brackets-v1' })
  t.equal((defaulted.info as { maxSteps: number }).maxSteps, 5, 'the env default of 256 plays at the limit')
  const asked = await client.call(4, 'reset', { env: 'codegym/valid-brackets-v1', options: { maxSteps: 4 } })
  t.equal((asked.info as { maxSteps: number }).maxSteps, 4)
  await t.rejects(CodeGymServer.start({ port: 0, envDirs: exampleEnvDirs, limits: { maxSteps: 5000 }, logger: pino({ level: 'silent' }) }), /maxSteps must be a whole number from 1 to 4096/)
})

await t.test('a task whose first observation is over maxObservationBytes is invalid_reset_options, not env_error', async (t) => {
  const runtime = await Runtime.create({ envDirs: exampleEnvDirs, sandbox: { workers: 1, maxObservationBytes: 10 } })
  t.teardown(() => runtime.close())
  await t.rejects(runtime.reset('codegym/valid-brackets-v1', { task: 'crossed' }), { code: 'invalid_reset_options', data: { reason: 'observation_too_large' } })
})
