// SIGTERM on a real codegym-serve process while clients pipeline steps: every answered step is
// consistent with an in-process replay of the same actions, requests without an answer were never
// read (the answered ones are a prefix of what each connection sent), connections close with 1001,
// /healthz says 503 while draining, and the process exits 0.
import { connect as connectTcp, type Socket } from 'node:net'
import t from 'tap'
import { Runtime } from '../../src/env/runtime.ts'
import { RawClient } from '../helpers/wire.ts'
import { ServeProcess } from '../../tools/serve-process.ts'

const connectionCount = 3
const sessionsPerConnection = 2
/** Steps each session keeps in flight. */
const window = 16
/** The drain starts once this many steps have been answered, over all sessions. */
const stepsBeforeSignal = 300
/** Each session stops here, well under maxSteps, so no episode is truncated mid-run. */
const maxStepsPerSession = 2000
const drainGraceMs = 300

const server = await ServeProcess.start(['--workers', '1', '--sandbox-workers', '1', '--drain-grace-ms', String(drainGraceMs)])
t.teardown(() => server.kill())
const { child, exited, url, log: logLines } = server
const port = Number(new URL(url).port)

/** An action from a small seeded sequence: valid tools, bad indexes (rolled back), unknown tools. */
function actionFor (n: number): Record<string, unknown> {
  switch (n % 5) {
    case 0: return { name: 'GetLength' }
    case 1: return { name: 'GetElement', parameters: { index: (n * 7) % 12 - 1 } }
    case 2: return { name: 'ExtendOrRestart', parameters: { previous_sum: n % 13 - 6, element: n % 7 - 3 } }
    case 3: return { name: 'UpdateBest', parameters: { best: n % 11, candidate: n % 17 - 8 } }
    default: return { name: n % 2 === 0 ? 'Teleport' : 'GetElement', parameters: n % 2 === 0 ? {} : { index: 'x' } }
  }
}

interface PlayedSession {
  id: string
  options: Record<string, unknown>
  /** Step request ids sent, in order, with their action. */
  sent: Array<{ id: number, action: Record<string, unknown> }>
  answered: Map<number, Record<string, unknown>>
}

interface Player {
  client: RawClient
  sessions: PlayedSession[]
  /** Every request id sent on the connection, in order. */
  sentIds: number[]
  answeredIds: Set<number>
  sawDraining: boolean
}

let answeredSteps = 0
let signalled = false
let onEnoughSteps: () => void = () => {}
const enoughSteps = new Promise<void>((resolve) => { onEnoughSteps = resolve })

async function startPlayer (index: number): Promise<Player> {
  const client = await RawClient.open(url)
  await client.hello()
  const sessions: PlayedSession[] = []
  for (let s = 0; s < sessionsPerConnection; s++) {
    const options = (index + s) % 2 === 0 ? { task: 'mixed-small', maxSteps: 4096 } : { seed: 1000 + index * 10 + s, difficulty: 'medium', maxSteps: 4096 }
    const result = await client.call(1 + s, 'reset', { env: 'codegym/max-subarray-v1', options })
    sessions.push({ id: result.session as string, options, sent: [], answered: new Map() })
  }
  return { client, sessions, sentIds: [], answeredIds: new Set(), sawDraining: false }
}

let nextId = 100
function sendStep (player: Player, session: PlayedSession): void {
  if (!player.client.isOpen || session.sent.length >= maxStepsPerSession) return
  const id = nextId++
  const action = actionFor(id)
  session.sent.push({ id, action })
  player.sentIds.push(id)
  player.client.sendPack({ id, op: 'step', params: { session: session.id, action } })
}

/** Keeps window steps in flight per session until the server closes the connection. */
async function play (player: Player): Promise<void> {
  const owner = new Map<number, PlayedSession>()
  const send = (session: PlayedSession): void => {
    sendStep(player, session)
    const last = session.sent.at(-1)
    if (last !== undefined) owner.set(last.id, session)
  }
  for (const session of player.sessions) for (let i = 0; i < window; i++) send(session)
  for (;;) {
    const next = await player.client.next(10_000).catch(() => undefined)
    if (next === undefined) return
    const message = next.message!
    if ('event' in message) {
      if (message.event === 'draining') player.sawDraining = true
      continue
    }
    const id = message.id as number
    player.answeredIds.add(id)
    const session = owner.get(id)
    if (session === undefined) continue
    session.answered.set(id, message)
    answeredSteps++
    if (!signalled && answeredSteps >= stepsBeforeSignal) onEnoughSteps()
    send(session)
  }
}

// A health check whose request is half sent before the drain: an active HTTP connection is not
// closed with the listener, so the rest of the request is answered during the drain.
function halfSentHealthCheck (): { socket: Socket, finish: () => Promise<string> } {
  const socket = connectTcp(port, '127.0.0.1')
  socket.on('error', () => {})
  socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n')
  let response = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => { response += chunk })
  const ended = new Promise<string>((resolve) => socket.once('close', () => resolve(response)))
  return { socket, finish: () => { socket.end('Connection: close\r\n\r\n'); return ended } }
}

const players = await Promise.all(Array.from({ length: connectionCount }, (_, i) => startPlayer(i)))
const health = halfSentHealthCheck()
const playing = players.map((player) => play(player))
await enoughSteps
signalled = true
child.kill('SIGTERM')
// The draining event comes first; the grace period leaves time for the health check.
const drainingSeen = await new Promise<boolean>((resolve) => {
  const started = Date.now()
  const poll = setInterval(() => {
    if (players.some((p) => p.sawDraining) || Date.now() - started > 5000) {
      clearInterval(poll)
      resolve(players.some((p) => p.sawDraining))
    }
  }, 5)
})
const healthResponse = await health.finish()
await Promise.all(playing)
const exit = await exited

await t.test('the process drains and exits cleanly', async (t) => {
  t.same(exit, { code: 0, signal: null }, 'exit code 0')
  t.ok(drainingSeen, 'clients got the draining event')
  t.ok(logLines.some((line) => line.msg === 'drained'), 'the server logged drained')
  t.notOk(logLines.some((line) => typeof line.level === 'number' && line.level >= 50), 'no error was logged')
  for (const [i, player] of players.entries()) {
    const closed = await player.client.waitClosed()
    t.equal(closed.code, 1001, `connection ${i} closed with 1001 (going away)`)
  }
  if (healthResponse === '') t.comment('the health check got no answer before the process exited')
  else t.match(healthResponse, /^HTTP\/1\.1 503 /, '/healthz answered 503 during the drain')
})

await t.test('answered requests are a prefix of what each connection sent', async (t) => {
  for (const [i, player] of players.entries()) {
    const answered = player.sentIds.filter((id) => player.answeredIds.has(id))
    t.same(answered, player.sentIds.slice(0, answered.length), `connection ${i}: ${answered.length} of ${player.sentIds.length} answered, in a prefix`)
    t.equal(player.answeredIds.size, answered.length, `connection ${i}: nothing answered that was not sent`)
  }
})

await t.test('every answered step replays the same in-process', async (t) => {
  const runtime = await Runtime.create({ sandbox: { workers: 1 } })
  t.teardown(() => runtime.close())
  let compared = 0
  for (const player of players) {
    for (const session of player.sessions) {
      const acknowledged = session.sent.filter(({ id }) => session.answered.has(id))
      const results = acknowledged.map(({ id }) => session.answered.get(id)!.result as { info: { step: number } } | undefined)
      t.ok(results.every((result) => result !== undefined), `${session.id}: every answered step has a result`)
      t.same(results.map((result) => result?.info.step), acknowledged.map((_, i) => i + 1), `${session.id}: ${acknowledged.length} answered steps, counted 1..${acknowledged.length} with no gap`)
      const { episode } = await runtime.reset('codegym/max-subarray-v1', session.options)
      for (const [i, { action }] of acknowledged.entries()) {
        const replayed = await episode.step(action)
        if (JSON.stringify(replayed) !== JSON.stringify(results[i])) {
          t.same(results[i], replayed, `${session.id}: step ${i + 1} matches the replay`)
          break
        }
        compared++
      }
    }
  }
  t.ok(compared >= stepsBeforeSignal, `${compared} answered steps replayed identically`)
})
