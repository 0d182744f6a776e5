// Shared set-up for the client tests: a quiet server on a free port, and ways to reach it.
import { pino } from 'pino'
import { CodeGymServer, type ServerOptions } from '../../../src/server/server.ts'
import { createMemoryTransportPair } from '../../../src/contract/transport/memory.ts'
import type { Transport } from '../../../src/contract/transport/transport.ts'
import { connectWebSocket, type TransportFactory } from '../../../clients/ts/client.ts'
import { exampleEnvDirs } from '../../helpers/envs.ts'

export const maxSubarray = 'codegym/max-subarray-v1'
export const validBrackets = 'codegym/valid-brackets-v1'

export function startServer (options: ServerOptions = {}): Promise<CodeGymServer> {
  return CodeGymServer.start({ port: 0, envDirs: exampleEnvDirs, sandbox: { workers: 1 }, logger: pino({ level: 'silent' }), ...options })
}

export type Via = 'websocket' | 'memory'

/**
 * A transport factory to the server over a real loopback WebSocket or the in-memory pair; every
 * transport it makes is kept, so a test can drop the connection under the client.
 */
export function transportsTo (server: CodeGymServer, via: Via): { factory: TransportFactory, made: Transport[] } {
  const made: Transport[] = []
  const factory: TransportFactory = async () => {
    let transport: Transport
    if (via === 'websocket') {
      transport = await connectWebSocket(server.url)
    } else {
      const [client, side] = createMemoryTransportPair()
      server.accept(side)
      transport = client
    }
    made.push(transport)
    return transport
  }
  return { factory, made }
}
