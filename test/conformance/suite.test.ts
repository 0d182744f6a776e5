// `codegym conformance` against this server: every check passes, with the default limits and with
// limits small enough that every limit check runs; and it fails a server that breaks the wire.
import { fileURLToPath } from 'node:url'
import { Packr } from 'msgpackr'
import { pino } from 'pino'
import t from 'tap'
import { runConformance, type ConformanceSummary } from '../../src/conformance/runner.ts'
import type * as serverModule from '../../src/server/server.ts'
import { CodeGymServer } from '../../src/server/server.ts'
import { exampleEnvDirs } from '../helpers/envs.ts'
import type { TestContext } from '../helpers/tap.ts'

type ServerModule = typeof serverModule

const timeoutMs = 20_000

function failures (summary: ConformanceSummary): string {
  return summary.reports.filter((report) => report.outcome === 'failed').map((report) => `[${report.codec}] ${report.statement}: ${report.detail}`).join('\n')
}

async function startServer (t: TestContext, options: Parameters<typeof CodeGymServer.start>[0] = {}): Promise<CodeGymServer> {
  const server = await CodeGymServer.start({ port: 0, envDirs: exampleEnvDirs, sandbox: { workers: 1 }, logger: pino({ level: 'silent' }), ...options })
  t.teardown(() => server.close())
  return server
}

await t.test('the default server passes every check in both codecs', async (t) => {
  const server = await startServer(t)
  const summary = await runConformance({ url: server.url, token: undefined, codecs: ['msgpack', 'json'], timeoutMs })
  t.equal(summary.failed, 0, failures(summary))
  t.ok(summary.passed >= 80, `${summary.passed} checks passed`)
  const skipped = summary.reports.filter((report) => report.outcome === 'skipped').map((report) => report.statement)
  t.ok(skipped.every((statement) => /token|maxSessionsPerConnection|resumeTtlMs|sessionIdleTtlMs/.test(statement)), `only the checks of the token and of limits too large to wait for skip: ${skipped.join('; ')}`)
})

await t.test('with a token and small limits every check runs, and passes', async (t) => {
  const server = await startServer(t, {
    token: 'conformance-token',
    limits: { maxSessionsPerConnection: 6, maxPendingRequests: 40, maxBatchOps: 10, helloTimeoutMs: 1000, maxFrameBytes: 32 * 1024, maxSteps: 300, resumeTtlMs: 4000, sessionIdleTtlMs: 5000 },
  })
  const summary = await runConformance({ url: server.url, token: 'conformance-token', codecs: ['msgpack', 'json'], timeoutMs })
  t.equal(summary.failed, 0, failures(summary))
  t.equal(summary.skipped, 0, summary.reports.filter((report) => report.outcome === 'skipped').map((report) => `${report.statement}: ${report.detail}`).join('\n'))
})

await t.test('a server that sends whole numbers as float64 fails the integer checks', async (t) => {
  // The same server, with msgpackr's default encoding of numbers beyond 32 bits (float64).
  const plainData = await import('../../src/contract/plain-data.ts')
  const floatPackr = new Packr({ useRecords: false, moreTypes: false, structuredClone: false })
  const { CodeGymServer: FloatServer } = await t.mockImport<ServerModule>('../../src/server/server.ts', {
    '../../src/contract/plain-data.ts': { ...plainData, plainPackr: { pack: (value: unknown) => floatPackr.pack(value) } },
  })
  const server = await FloatServer.start({ port: 0, envDirs: [fileURLToPath(new URL('../../envs/valid-brackets/', import.meta.url))], sandbox: { workers: 1 }, logger: pino({ level: 'silent' }) })
  t.teardown(() => server.close())
  const summary = await runConformance({ url: server.url, token: undefined, codecs: ['msgpack'], timeoutMs })
  const failed = summary.reports.filter((report) => report.outcome === 'failed').map((report) => report.statement)
  t.ok(failed.some((statement) => statement.startsWith('a request id up to 2^53 − 1')), 'the request id check fails')
  t.ok(failed.some((statement) => statement.startsWith('every whole number the server sends is a MessagePack integer')), 'the check over all traffic fails')
})
