// `codegym bench --cpu-prof`: one full-stack phase at --sessions against a codegym-serve whose
// processes run with Node's --cpu-prof (through NODE_OPTIONS, so the sandbox processes it forks
// inherit it), then the per-hop breakdown of their profiles (hop-profile.ts): hops.md, hops.json.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { descendants } from './processes.ts'
import { hopsMarkdown, analyseProfiles, type HopBreakdown, type ProfiledRun } from './hop-profile.ts'
import type { MeasuredPhase } from './measure.ts'
import { loadTasks, log, measuredPhase, resultHeader, startCodegymServer, type LoadOptions } from './run.ts'

/** How long a profiled process may take to write its profile and exit. */
const profileWriteTimeoutMs = 30_000

const monotonicMicros = (): number => Number(process.hrtime.bigint() / 1000n)

export async function runCpuProfile (options: LoadOptions): Promise<Record<string, unknown>> {
  if (options.url !== undefined) throw new Error('--cpu-prof profiles a server it starts itself; it cannot be combined with --url')
  const outDir = resolve(options.outDir)
  const profileDir = join(outDir, 'profiles')
  rmSync(profileDir, { recursive: true, force: true })
  mkdirSync(profileDir, { recursive: true })
  const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir="${profileDir}"`.trim() }
  // No drain grace: nothing resumes these sessions, and the profile is written only once it exits.
  const server = await startCodegymServer(['--workers', '1', '--drain-grace-ms', '0'], env)
  const serverPid = server.process.pid!
  let window: [number, number] = [0, 0]
  const sandboxPids = descendants(serverPid).slice(1)
  log(`cpu profile: ${options.sessions} sessions against codegym-serve ${serverPid} and its sandbox processes ${sandboxPids.join(', ')}`)
  let phase: MeasuredPhase
  try {
    phase = await measuredPhase({
      mode: 'steps', url: server.url, sessions: options.sessions, connections: Math.min(options.connections, options.sessions), mix: options.mix,
      warmupMs: options.warmupS * 1000, durationMs: options.durationS * 1000, ratePerSecond: 0, tasks: loadTasks(),
    }, options.processes, 'cpu profile', serverPid, {
      onMeasuring: () => { window = [monotonicMicros(), window[1]] },
      onMeasured: () => { window = [window[0], monotonicMicros()] },
    })
  } finally {
    // A closing server ends its sandbox processes by closing their channels: they exit normally
    // and write their profiles, as the server does on SIGTERM.
    const exited = new Promise((done) => server.process.once('exit', done))
    server.process.kill('SIGTERM')
    const timeout = new AbortController()
    await Promise.race([exited, sleep(profileWriteTimeoutMs, undefined, { signal: timeout.signal }).catch(() => {})])
    timeout.abort()
    if (server.process.exitCode === null && server.process.signalCode === null) {
      log('codegym-serve did not exit on SIGTERM; killed, its profile is lost')
      server.process.kill('SIGKILL')
    }
  }
  const profiles = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'))
  const pidOf = (name: string): number => Number(name.split('.')[3])
  const missing = [serverPid, ...sandboxPids].filter((pid) => !profiles.some((name) => pidOf(name) === pid))
  const run: ProfiledRun = {
    windowMicros: window,
    steps: phase.requests,
    serverPid,
    cpuMicrosPerStep: { 'server main process': phase.cpu!.mainMicros, 'sandbox processes': phase.cpu!.sandboxMicros },
  }
  writeFileSync(join(profileDir, 'run.json'), JSON.stringify(run, null, 2) + '\n')
  const breakdown: HopBreakdown = analyseProfiles(profileDir)
  // The same server measured without the profiler, when a full run wrote result.json here.
  const unprofiled = existsSync(join(outDir, 'result.json'))
    ? (JSON.parse(readFileSync(join(outDir, 'result.json'), 'utf8')) as { serverCpuPerStep?: { mainMicros: number, sandboxMicros: number, totalMicros: number } }).serverCpuPerStep
    : undefined
  const result = {
    ...resultHeader(options),
    sessions: options.sessions,
    stepsPerSecond: phase.requestsPerSecond,
    cpuPerStepProfiled: { mainMicros: phase.cpu!.mainMicros, sandboxMicros: phase.cpu!.sandboxMicros, totalMicros: phase.cpu!.totalMicros },
    cpuPerStepUnprofiled: unprofiled === undefined ? undefined : { mainMicros: unprofiled.mainMicros, sandboxMicros: unprofiled.sandboxMicros, totalMicros: unprofiled.totalMicros },
    processes: { serverPid, sandboxPids, profiles: profiles.length, withoutProfile: missing },
    ...breakdown,
    profileDir: 'profiles',
  }
  writeFileSync(join(outDir, 'hops.json'), JSON.stringify(result, null, 2) + '\n')
  const intro = [
    `\`${result.command}\` at commit \`${result.gitCommit}\`; load average ${result.machine.loadAverage.join(' / ')}.`,
    `One full-stack phase: ${options.sessions.toLocaleString('en-US')} sessions, ${options.durationS} s measured, ${Math.round(phase.requestsPerSecond).toLocaleString('en-US')} steps/s under the profiler; server CPU per step under the profiler ${phase.cpu!.totalMicros} µs (main ${phase.cpu!.mainMicros}, sandbox ${phase.cpu!.sandboxMicros})${unprofiled === undefined ? '' : `, without it (result.json) ${unprofiled.totalMicros} µs (main ${unprofiled.mainMicros}, sandbox ${unprofiled.sandboxMicros})`}.`,
    missing.length === 0 ? `Profiles: the main process and all ${sandboxPids.length} sandbox processes.` : `**No profile from process(es) ${missing.join(', ')}**: their time is missing below.`,
    '',
  ].join('\n')
  const markdown = hopsMarkdown(breakdown, 'Per-hop CPU breakdown of a step').replace('\n\n', `\n\n${intro}\n`)
  writeFileSync(join(outDir, 'hops.md'), markdown)
  log(`wrote ${join(outDir, 'hops.md')}`)
  return result
}
