// `codegym test-backend` as a user runs it: the URL on stdout, /health answers, SIGTERM stops it.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const bin = fileURLToPath(new URL('../../bin/codegym.js', import.meta.url))

await t.test('codegym test-backend prints its URL, serves /health and the endpoints, and exits on SIGTERM', async (t) => {
  const child = spawn(process.execPath, [bin, 'test-backend', '--port', '0', '--latency-ms', '1', '--call-format', 'paper', '--model', 'cli-model'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const exited = once(child, 'exit')
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const [line] = await once(createInterface({ input: child.stdout }), 'line') as [string]
  t.match(line, /^http:\/\/127\.0\.0\.1:\d+$/, stderr)
  const health = await fetch(`${line}/health`)
  t.equal(health.status, 200)
  t.same(await health.json(), { status: 'ok' })
  const models = await (await fetch(`${line}/v1/models`)).json() as { data: Array<{ id: string }> }
  t.equal(models.data[0]?.id, 'cli-model')
  const reply = await fetch(`${line}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ messages: [{ role: 'user', content: 'Go.' }], tools: [{ type: 'function', function: { name: 'Observe', parameters: { type: 'object', properties: {} } } }] }),
  })
  const body = await reply.json() as { choices: Array<{ message: { content: string } }> }
  t.equal(body.choices[0]?.message.content, '{"name": "Observe", "parameters": {}}', '--call-format paper writes the paper\'s JSON')
  child.kill('SIGTERM')
  const [code] = await exited as [number | null]
  t.equal(code, 0, stderr)
})

await t.test('a bad flag value is refused before anything listens', async (t) => {
  const child = spawn(process.execPath, [bin, 'test-backend', '--port', '0', '--latency-ms', '-5'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const [code] = await once(child, 'exit') as [number | null]
  t.equal(code, 1)
  t.equal(stderr, 'codegym: startTestBackend: latencyMs must be a number >= 0, not -5\n')
})
