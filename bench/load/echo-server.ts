// The transport's ceiling: a bare `ws` + MessagePack server that decodes each request and answers
// it at once with a step-result-shaped message. Started as a child process by bench/load/run.ts;
// prints {"url": ...} on stdout when listening.
import { pack, unpack } from 'msgpackr'
import { WebSocketServer } from 'ws'

const stepResult = { observation: 42, reward: 0, terminated: false, truncated: false, info: { step: 1, maxSteps: 256, rolledBack: false, tool: 'GetElement' } }

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 1024 * 1024 })
server.on('connection', (socket) => {
  socket.on('error', () => {})
  socket.on('message', (data: Buffer) => {
    const request = unpack(data) as { id: number, op: string }
    socket.send(pack({ id: request.id, result: request.op === 'hello' ? { version: 1 } : stepResult }))
  })
})
server.on('listening', () => {
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address')
  process.stdout.write(JSON.stringify({ url: `ws://127.0.0.1:${address.port}` }) + '\n')
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
