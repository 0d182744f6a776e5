// Prometheus metrics of one server (prom-client: the de-facto client, with exposition format and
// process metrics done right). Each server has its own registry, so tests can run several.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { StepResult } from '../schemas/env.generated.ts'
import { sandboxExitCauses } from '../sandbox/event-log.ts'
import type { SandboxPoolStats } from '../sandbox/pool.ts'

/** Step latency buckets in seconds: sandbox calls take tens of microseconds, the tail milliseconds. */
const stepLatencyBucketsSeconds = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]

export interface MetricSources {
  sessions: () => number
  connections: () => number
  /** Absent: 0 (a server that takes no connections of its own). */
  unauthenticatedConnections?: () => number
  sandboxRestarts: () => number
  sandboxQueuedCalls: () => number
  /** The sandbox pool's own figures; without it (a server-less test) its gauges are left out. */
  sandbox?: () => SandboxPoolStats
}

export class ServerMetrics {
  readonly registry = new Registry()
  readonly requests: Counter<'op'>
  readonly errors: Counter<'code'>
  readonly steps: Counter
  readonly rollbacks: Counter<'code'>
  readonly resets: Counter
  readonly stepLatency: Histogram
  readonly unauthenticatedDropped: Counter<'reason'>
  readonly sendPauses: Counter<'bound'>

  constructor (sources: MetricSources) {
    const registers = [this.registry]
    this.requests = new Counter({ name: 'codegym_requests_total', help: 'Requests handled, by op.', labelNames: ['op'], registers })
    this.errors = new Counter({ name: 'codegym_errors_total', help: 'Error responses, by error code.', labelNames: ['code'], registers })
    this.steps = new Counter({ name: 'codegym_steps_total', help: 'Steps taken (step and done).', registers })
    this.rollbacks = new Counter({ name: 'codegym_rollbacks_total', help: 'Steps rolled back, by rollback code.', labelNames: ['code'], registers })
    this.resets = new Counter({ name: 'codegym_resets_total', help: 'Episodes started.', registers })
    this.stepLatency = new Histogram({ name: 'codegym_step_duration_seconds', help: 'Time from a step request to its result, sandbox call included.', buckets: stepLatencyBucketsSeconds, registers })
    this.unauthenticatedDropped = new Counter({ name: 'codegym_unauthenticated_dropped_total', help: 'Connections dropped before hello: pool_full (the oldest, to make room) or handshake_timeout.', labelNames: ['reason'], registers })
    this.sendPauses = new Counter({ name: 'codegym_send_buffer_pauses_total', help: 'Times a connection stopped being read because unsent and reserved response bytes reached a bound: connection (maxSendBufferBytes) or server (maxServerSendBufferBytes).', labelNames: ['bound'], registers })
    const gauge = (name: string, help: string, read: () => number): void => {
      const metric: Gauge = new Gauge({ name, help, registers, collect () { metric.set(read()) } })
    }
    gauge('codegym_sessions', 'Live sessions, detached ones included.', sources.sessions)
    gauge('codegym_connections', 'Open connections that have said hello.', sources.connections)
    gauge('codegym_unauthenticated_connections', 'Connections that have not said hello yet (HTTP request, upgrade, waiting for hello).', sources.unauthenticatedConnections ?? (() => 0))
    gauge('codegym_sandbox_restarts', 'Sandbox processes replaced since start (timeouts, crashes).', sources.sandboxRestarts)
    gauge('codegym_sandbox_queued_calls', 'Env calls waiting for a sandbox process.', sources.sandboxQueuedCalls)
    const sandbox = sources.sandbox
    if (sandbox !== undefined) {
      gauge('codegym_sandbox_processes_ready', 'Sandbox processes that can take calls now (readiness fails at 0).', () => sandbox().processesReady)
      gauge('codegym_sandbox_calls_expired', 'Env calls that waited maxQueueWaitMs for a sandbox process and failed with sandbox_busy, since start.', () => sandbox().callsExpired)
      gauge('codegym_sandbox_calls_detached', 'Env calls taken back from a sandbox process stalled by another call and run elsewhere, since start.', () => sandbox().callsDetached)
      gauge('codegym_sandbox_envs_on_probation', 'Env types whose calls run on the quarantine sandbox process.', () => sandbox().envsOnProbation)
      const exits: Gauge<'cause'> = new Gauge({
        name: 'codegym_sandbox_exits',
        help: 'Sandbox processes ended since start, by cause (wall_time_limit, out_of_memory, rss_limit, start_timeout, crashed).',
        labelNames: ['cause'],
        registers,
        collect () {
          const counts = sandbox().exits
          for (const cause of sandboxExitCauses) exits.set({ cause }, counts[cause])
        },
      })
    }
    collectDefaultMetrics({ register: this.registry })
  }

  observeStep (result: StepResult, elapsedMs: number): void {
    this.steps.inc()
    if (result.info.error !== undefined) this.rollbacks.inc({ code: result.info.error.code })
    this.stepLatency.observe(elapsedMs / 1000)
  }
}
