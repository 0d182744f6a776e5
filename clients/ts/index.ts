export { CodeGymClient, clientVersions, connectWebSocket } from './client.ts'
export type {
  BatchRequest, CodeGymClientEvents, CodeGymClientOptions, Codec, OpParams, OpResult, ReconnectPolicy,
  RequestOptions, StepOptions, TransportFactory, WebSocketConnectOptions,
} from './client.ts'
export { CodeGymRequestError, ConnectionClosedError, RequestTimeoutError } from './errors.ts'
export { createMemoryTransportPair } from '../../src/transport/memory.ts'
export type { Transport } from '../../src/transport/transport.ts'
