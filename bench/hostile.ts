// Hostile traffic against codegym-serve (`node bench/hostile.ts [--quick] [--out-dir DIR]`): for each
// attack, a well-behaved client steps an episode one request at a time before, during and after the
// attack, and the server's RSS is read from /proc at the same moments. The baseline (before) is
// measured in the same run, right before each attack; the result reports p99 during/before and the
// RSS left after the attack over the RSS before it. One JSON object on stdout and in
// DIR/result.json, a table in DIR/summary.md.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { connect as connectTcp, type Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pack, unpack } from 'msgpackr'
import WebSocket from 'ws'
import { CodeGymClient } from '../clients/ts/index.ts'
import { log, resultHeader, startCodegymServer, stop } from './load/run.ts'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const outDirIndex = args.indexOf('--out-dir')
const outDir = outDirIndex >= 0 ? args[outDirIndex + 1] : undefined

const token = randomBytes(24).toString('base64url')
const mib = 1024 * 1024
const env = 'codegym/max-subarray-v1'
/** Seconds each phase lasts, and the pause after an attack before "after" is measured. */
const phaseS = quick ? 1 : 8
const settleS = quick ? 1 : 5
const scale = quick ? 0.25 : 1

interface Sample { p50Ms: number, p99Ms: number, maxMs: number, requests: number, failures: number, rssMiB: number, rssPeakMiB: number }

function rssBytes (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024
}

const percentile = (sorted: number[], p: number): number => sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
const round = (value: number, digits = 2): number => Number(value.toFixed(digits))

/**
 * The well-behaved client: one step at a time for `seconds`, latencies and failures recorded; a new
 * episode when one reaches its step limit.
 */
async function measure (client: CodeGymClient, pid: number, seconds: number): Promise<Sample> {
  let session = (await client.reset(env, { task: 'mixed-small', maxSteps: 4096 })).session
  const latencies: number[] = []
  let failures = 0
  let peak = rssBytes(pid)
  const sampler = setInterval(() => { peak = Math.max(peak, rssBytes(pid)) }, 50)
  const deadline = performance.now() + seconds * 1000
  while (performance.now() < deadline) {
    const started = performance.now()
    try {
      const result = await client.step(session, { name: 'GetElement', parameters: { index: latencies.length % 8 } }, { timeoutMs: 10_000 })
      latencies.push(performance.now() - started)
      if (result.truncated || result.terminated) {
        await client.closeSession(session)
        session = (await client.reset(env, { task: 'mixed-small', maxSteps: 4096 })).session
      }
    } catch (error) {
      if (failures++ === 0) log(`well-behaved client: ${(error as Error).message}`)
    }
  }
  clearInterval(sampler)
  latencies.sort((a, b) => a - b)
  return { p50Ms: round(percentile(latencies, 0.5), 3), p99Ms: round(percentile(latencies, 0.99), 3), maxMs: round(latencies.at(-1) ?? NaN, 3), requests: latencies.length, failures, rssMiB: round(rssBytes(pid) / mib, 1), rssPeakMiB: round(peak / mib, 1) }
}

interface Attack {
  name: string
  what: string
  /** Starts the attack; the returned function stops it and says what the attacker saw. */
  start: (url: string, port: number) => Promise<() => Promise<Record<string, number>>>
}

/** A masked client frame (RFC 6455), for raw sockets that never read. */
function clientFrame (payload: Buffer): Buffer {
  const mask = randomBytes(4)
  const length = payload.length
  const header = length < 126 ? Buffer.from([0x82, 0x80 | length]) : length < 65536 ? Buffer.from([0x82, 0x80 | 126, length >> 8, length & 0xff]) : Buffer.concat([Buffer.from([0x82, 0x80 | 127, 0, 0, 0, 0]), Buffer.from([(length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff])])
  const masked = Buffer.from(payload)
  for (let i = 0; i < masked.length; i++) masked[i]! ^= mask[i % 4]!
  return Buffer.concat([header, mask, masked])
}

function rawUpgrade (port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(port, '127.0.0.1')
    socket.on('error', reject)
    socket.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`)
    socket.once('data', (chunk: Buffer) => {
      socket.pause()
      if (chunk.toString('latin1').startsWith('HTTP/1.1 101')) resolve(socket)
      else reject(new Error('upgrade refused'))
    })
  })
}

const attacks: Attack[] = [
  {
    name: 'silentConnections',
    what: 'TCP connections that send half an HTTP request and nothing more, reopened as soon as the server drops them',
    async start (_url, port) {
      const target = Math.round(1100 * scale)
      let opened = 0
      let dropped = 0
      let running = true
      const sockets = new Set<Socket>()
      const open = (): void => {
        if (!running) return
        const socket = connectTcp(port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n'))
        opened++
        sockets.add(socket)
        socket.on('error', () => {})
        socket.on('close', () => {
          sockets.delete(socket)
          dropped++
          if (running) setTimeout(open, 10)
        })
      }
      for (let i = 0; i < target; i++) open()
      return async () => {
        running = false
        for (const socket of sockets) socket.destroy()
        return { opened, droppedByServer: dropped }
      }
    },
  },
  {
    name: 'costlyFrames',
    what: '1 MiB MessagePack frames of about a million empty maps each, sent back to back by 4 authenticated clients',
    async start (url) {
      const header = pack({ id: 1, op: 'envs.list', params: { x: null } })
      const count = mib - 64
      const maps = Buffer.alloc(5 + count, 0x80)
      maps[0] = 0xdd
      maps.writeUInt32BE(count, 1)
      const frame = Buffer.concat([header.subarray(0, header.length - 1), maps])
      let running = true
      let sent = 0
      const refused: Record<string, number> = {}
      const loops = Array.from({ length: 4 }, async () => {
        const socket = new WebSocket(url)
        await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject) })
        socket.send(pack({ id: 0, op: 'hello', params: { versions: [1], token } }))
        const replies: Array<() => void> = []
        socket.on('message', (data: Buffer) => {
          const message = unpack(data) as { error?: { code: string } }
          const code = message.error?.code ?? 'ok'
          refused[code] = (refused[code] ?? 0) + 1
          replies.shift()?.()
        })
        // A closed socket answers nothing more: whoever waits for a reply stops waiting.
        socket.on('close', () => { for (const wake of replies.splice(0)) wake() })
        await new Promise<void>((resolve) => replies.push(resolve))
        while (running && socket.readyState === WebSocket.OPEN) {
          const answered = new Promise<void>((resolve) => replies.push(resolve))
          socket.send(frame)
          sent++
          await answered
        }
        socket.close()
      })
      return async () => {
        running = false
        await Promise.all(loops)
        return { framesSent: sent, ...Object.fromEntries(Object.entries(refused).map(([code, n]) => [`answered_${code}`, n])) }
      }
    },
  },
  {
    name: 'nonReadingAmplifiers',
    what: '4 authenticated clients that never read, each sending batches of 1024 envs.list (15 KB in, 5.75 MB out each)',
    async start (_url, port) {
      const sockets: Socket[] = []
      const batchOps = Array.from({ length: 1024 }, () => ({ op: 'envs.list' }))
      let batches = 0
      for (let i = 0; i < 4; i++) {
        const socket = await rawUpgrade(port)
        socket.on('error', () => {})
        sockets.push(socket)
        socket.write(clientFrame(pack({ id: 0, op: 'hello', params: { versions: [1], token } })))
        for (let n = 0; n < Math.round(20 * scale) + 1; n++) {
          socket.write(clientFrame(pack({ id: n + 1, op: 'batch', params: { ops: batchOps } })))
          batches++
        }
      }
      return async () => {
        for (const socket of sockets) socket.destroy()
        return { batchesSent: batches }
      }
    },
  },
  {
    name: 'forgedSnapshots',
    what: 'an authenticated client restoring snapshots with the stored answer changed, as fast as it can',
    async start (url) {
      const client = await CodeGymClient.connect(url, { token, reconnect: false })
      const { session } = await client.reset(env, { task: 'mixed-small' })
      const { snapshot } = await client.snapshot(session)
      const content = unpack(snapshot.subarray(44)) as Record<string, unknown>
      const forged = Buffer.concat([snapshot.subarray(0, 44), pack({ ...content, truth: 7 })])
      let running = true
      let refused = 0
      let restored = 0
      const loop = (async () => {
        while (running) {
          try {
            await client.restore(forged)
            restored++
          } catch {
            refused++
          }
        }
      })()
      return async () => {
        running = false
        await loop
        await client.close()
        return { refused, restored }
      }
    },
  },
  {
    name: 'wrongTokens',
    what: 'connections that say hello with a wrong token, one after another from 8 loops',
    async start (url) {
      let running = true
      let refused = 0
      const loops = Array.from({ length: 8 }, async () => {
        while (running) {
          try {
            const client = await CodeGymClient.connect(url, { token: 'wrong-token-0123456789', reconnect: false })
            await client.close()
          } catch {
            refused++
          }
        }
      })
      return async () => {
        running = false
        await Promise.all(loops)
        return { refused }
      }
    },
  },
]

async function main (): Promise<void> {
  const started = await startCodegymServer(['--workers', '1', '--sandbox-workers', '1', '--token', token])
  const pid = started.process.pid!
  const port = Number(new URL(started.url).port)
  try {
    const client = await CodeGymClient.connect(started.url, { token, reconnect: false })
    // Warm up: JIT, heap and sockets settle before the first baseline.
    await measure(client, pid, phaseS)
    const results: Record<string, unknown> = {}
    for (const attack of attacks) {
      log(`${attack.name}: before`)
      const before = await measure(client, pid, phaseS)
      const stopAttack = await attack.start(started.url, port)
      log(`${attack.name}: during`)
      const during = await measure(client, pid, phaseS)
      const attacker = await stopAttack()
      await sleep(settleS * 1000)
      log(`${attack.name}: after`)
      const after = await measure(client, pid, phaseS)
      results[attack.name] = {
        what: attack.what,
        before,
        during,
        after,
        attacker,
        p99DuringOverBefore: round(during.p99Ms / before.p99Ms),
        rssGrowthDuringMiB: round(during.rssPeakMiB - before.rssMiB, 1),
        rssLeftAfterMiB: round(after.rssMiB - before.rssMiB, 1),
      }
    }
    await client.close()
    const result = { ...resultHeader({ command: `node bench/hostile.ts ${args.join(' ')}`.trim(), quick }), phaseS, settleS, attacks: results }
    const json = JSON.stringify(result, null, 2)
    process.stdout.write(json + '\n')
    if (outDir !== undefined) {
      mkdirSync(outDir, { recursive: true })
      writeFileSync(join(outDir, 'result.json'), json + '\n')
      writeFileSync(join(outDir, 'summary.md'), summary(results))
    }
  } finally {
    await stop(started.process)
  }
}

function summary (results: Record<string, unknown>): string {
  const rows = Object.entries(results).map(([name, value]) => {
    const r = value as { before: Sample, during: Sample, after: Sample, p99DuringOverBefore: number, rssLeftAfterMiB: number, attacker: Record<string, number> }
    return `| ${name} | ${r.before.p99Ms} / ${r.during.p99Ms} / ${r.after.p99Ms} | ${r.p99DuringOverBefore}× | ${r.during.failures} | ${r.before.rssMiB} / ${r.during.rssPeakMiB} / ${r.after.rssMiB} | ${r.rssLeftAfterMiB} | ${Object.entries(r.attacker).map(([k, v]) => `${k} ${v}`).join(', ')} |`
  })
  return [
    '# Hostile traffic: a well-behaved client and the server\'s RSS, before / during / after each attack',
    '',
    '| attack | client p99 ms (before / during / after) | p99 during ÷ before | client failures during | server RSS MiB (before / peak during / after) | RSS left after, MiB | attacker saw |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n')
}

await main()
