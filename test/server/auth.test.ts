// Authentication without holes: tokens that are empty, whitespace or short are refused at start-up
// (by the CLI and by the server itself), several tokens are accepted at once for rotation, and the
// HTTP endpoints that describe the server's internals need a token while /healthz stays open.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { resolveTokens } from '../../app/serve-secrets.ts'
import { CodeGymServer } from '../../src/server/server.ts'
import { ServeProcess } from '../../tools/serve-process.ts'
import { RawClient } from '../helpers/wire.ts'
import { exampleEnvDirs } from '../helpers/envs.ts'

const current = 'current-token-0123456789'
const next = 'next-token-abcdefghijklmn'
const dir = mkdtempSync(join(tmpdir(), 'codegym-auth-'))

await t.test('unusable tokens are refused with a clear message', async (t) => {
  for (const [what, args, env, message] of [
    ['--token ""', { token: [''] }, {}, /--token: .*may not be empty/],
    ['--token of spaces', { token: ['   '] }, {}, /may not be empty or only whitespace/],
    ['a short --token', { token: ['secret'] }, {}, /at least 16 characters; this one has 6/],
    ['CODEGYM_TOKEN set but empty', {}, { CODEGYM_TOKEN: '' }, /CODEGYM_TOKEN.*may not be empty/],
    ['CODEGYM_TOKEN with an empty entry', {}, { CODEGYM_TOKEN: `${current},` }, /token 2 of 2 is refused/],
    ['a token with a trailing newline', { token: [current + '\n'] }, {}, /whitespace/],
  ] as const) {
    t.throws(() => resolveTokens(args, env), message, what)
  }
  const empty = join(dir, 'empty-tokens')
  writeFileSync(empty, '\n# no tokens yet\n')
  t.throws(() => resolveTokens({ tokenFile: empty }, {}), /holds no token/, 'a token file with no token')
  t.throws(() => resolveTokens({ tokenFile: join(dir, 'missing') }, {}), /cannot read the --token-file file/)
  const file = join(dir, 'tokens')
  writeFileSync(file, `${current}\n\n${next}\n`)
  t.same(resolveTokens({ tokenFile: file, token: [current] }, { CODEGYM_TOKEN: ` ${next} , third-token-0123456789 ` }), [current, next, 'third-token-0123456789'], 'sources add up, without repeats')
  t.same(resolveTokens({}, {}), [], 'no token at all: none required')
  for (const bad of ['', ' ', 'short']) {
    await t.rejects(CodeGymServer.start({ port: 0, envDirs: exampleEnvDirs, token: bad, logger: pino({ level: 'silent' }) }), /token 1 of 1 is refused/, `the server itself refuses ${JSON.stringify(bad)}`)
  }
})

await t.test('codegym-serve off loopback with an empty CODEGYM_TOKEN does not start', async (t) => {
  const serve = new Promise<{ code: number | null, stderr: string }>((resolve) => {
    void import('node:child_process').then(({ execFile }) => {
      execFile(process.execPath, ['bin/codegym-serve.js', '--host', '0.0.0.0', '--port', '0'], { env: { ...process.env, CODEGYM_TOKEN: '' }, timeout: 60_000 }, (error, _stdout, stderr) => {
        resolve({ code: error === null ? 0 : (error as { code?: number }).code ?? null, stderr })
      })
    })
  })
  const { code, stderr } = await serve
  t.not(code, 0, 'it exits with an error')
  t.match(stderr, /CODEGYM_TOKEN.*may not be empty/, 'and says why')
})

await t.test('several tokens at once: each opens hello, others do not', async (t) => {
  const server = await CodeGymServer.start({ port: 0, envDirs: exampleEnvDirs, sandbox: { workers: 1 }, token: [current, next], logger: pino({ level: 'silent' }) })
  t.teardown(() => server.close())
  for (const token of [current, next]) {
    const client = await RawClient.open(server.url)
    t.ok((await client.call(0, 'hello', { versions: [1], token })).resumeToken, `token ${token.slice(0, 7)}… is accepted`)
    void client.close()
  }
  for (const token of ['', current.slice(0, -1), current + 'x', undefined]) {
    const client = await RawClient.open(server.url)
    const answer = await client.request(0, 'hello', token === undefined ? { versions: [1] } : { versions: [1], token })
    t.equal((answer.error as { code: string }).code, 'unauthorized', `hello with ${JSON.stringify(token)} is refused`)
    t.equal((await client.closed).code, 4001)
  }
})

await t.test('HTTP: /healthz open, /metrics and /envs need a bearer token', async (t) => {
  const server = await CodeGymServer.start({ port: 0, envDirs: exampleEnvDirs, sandbox: { workers: 1 }, token: [current, next], logger: pino({ level: 'silent' }) })
  t.teardown(() => server.close())
  const base = `http://127.0.0.1:${server.address.port}`
  t.equal((await fetch(`${base}/healthz`)).status, 200, '/healthz needs no token')
  for (const path of ['/metrics', '/envs']) {
    const bare = await fetch(base + path)
    t.equal(bare.status, 401, `${path} without a token`)
    t.equal(bare.headers.get('www-authenticate'), 'Bearer realm="codegym-serve"')
    t.match(await bare.json(), { error: /Authorization: Bearer/ })
    t.equal((await fetch(base + path, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status, 401, `${path} with a wrong token`)
    t.equal((await fetch(base + path, { headers: { authorization: current } })).status, 401, `${path} with the token but no Bearer scheme`)
    t.equal((await fetch(base + path, { headers: { authorization: `Bearer ${current}` } })).status, 200, `${path} with the current token`)
    t.equal((await fetch(base + path, { headers: { authorization: `bearer ${next}` } })).status, 200, `${path} with the next token`)
  }
})

await t.test('a multi-process server guards /metrics and /envs the same way', async (t) => {
  const server = await ServeProcess.start(['--workers', '2', '--sandbox-workers', '1', '--envs', ...exampleEnvDirs, '--token', current])
  t.teardown(() => server.kill())
  t.equal((await fetch(`${server.httpBase}/healthz`)).status, 200)
  t.equal((await fetch(`${server.httpBase}/metrics`)).status, 401)
  t.equal((await fetch(`${server.httpBase}/envs`, { headers: { authorization: `Bearer ${current}` } })).status, 200)
})
