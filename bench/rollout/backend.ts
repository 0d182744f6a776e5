// The test backend as its own process for bench/rollout.ts, as a real backend runs on its own
// machine: `node bench/rollout/backend.ts <latencyMs> <turnsBeforeDone>`; prints {"url": ...} on stdout.
import { seededPolicy, startTestBackend } from '../../tools/test-backend/index.ts'

const latencyMs = Number(process.argv[2] ?? 200)
const turnsBeforeDone = Number(process.argv[3] ?? 2)
const backend = await startTestBackend({ latencyMs, policy: seededPolicy({ minTurnsBeforeDone: turnsBeforeDone, maxTurnsBeforeDone: turnsBeforeDone }) })
process.on('message', (message) => {
  if (message === 'stats') process.send!(backend.stats())
})
process.on('SIGTERM', () => { void backend.close().then(() => process.exit(0)) })
console.log(JSON.stringify({ url: backend.url }))
