export { CodeGymClient, clientVersions, connectWebSocket, finalCloseCodes, reconnectDelayMs } from './client.ts'
export type {
  BatchRequest, CodeGymClientEvents, CodeGymClientOptions, Codec, OpParams, OpResult, ReconnectPolicy,
  RequestOptions, StepOptions, TransportFactory, WebSocketConnectOptions,
} from './client.ts'
export { CodeGymRequestError, ConnectionClosedError, RequestTimeoutError } from './errors.ts'
export { createMemoryTransportPair, type Transport } from '../../src/contract/index.ts'
export { ClusterSession, CodeGymCluster, defaultClusterOptions } from './cluster.ts'
export type { BaseKind, CodeGymClusterEvents, CodeGymClusterOptions, OutReason, Placement, ServerState, ServerStats } from './cluster.ts'
export { EpisodeLostError, NoServerAvailableError, ReplayMismatchError, SessionClosedError } from './cluster-errors.ts'
export { resolveServers, ServerListError, systemResolver } from './discovery.ts'
export type { AddressResolver, DnsServers, ServerSource } from './discovery.ts'
export { HashRing } from './hash-ring.ts'
