// Per-hop CPU breakdown of a step, from the .cpuprofile files Node writes with --cpu-prof (one per
// process: codegym-serve's main process and its sandbox processes). Each sample's self time goes to
// the hop of the innermost frame that a rule below matches (a frame no rule matches, such as
// JSON.parse or EventEmitter.emit, passes its time to its caller); a sample no frame matches is
// "other: <innermost project file or module>", so nothing is dropped. "(idle)" is not busy time.
//
//   node bench/load/hop-profile.ts <dir of .cpuprofile files> [--steps N] [--out-dir DIR]
//
// Writes hops.json and hops.md to --out-dir (default: the parent of the profile folder). With the
// run.json that `codegym bench --cpu-prof` writes beside the profiles, only samples inside the
// measured window count, and each hop's µs per step is its share of its role's busy samples × that
// role's CPU per step read from /proc over the same window. Without it, µs per step is profile time
// / --steps. See bench/README.md.
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export type Role = 'server main process' | 'sandbox processes'

interface HopRule { hop: string, url?: RegExp, functionName?: RegExp, role?: Role }

// Rules by folder and module, tried in order on each frame: new files in a folder keep their hop.
export const hopRules: HopRule[] = [
  { hop: 'GC', functionName: /^\(garbage collector\)$/ },
  { hop: 'isolate (env code, copy in/out)', functionName: /^\(program\)$/, role: 'sandbox processes' },
  { hop: 'native, no JS frame ((program))', functionName: /^\(program\)$/ },
  // isolated-vm's methods are native functions (no URL) called by the sandbox process loop.
  { hop: 'isolate (env code, copy in/out)', url: /^$/, functionName: /^(applySync|applySyncPromise|apply|runSync|evalSync|copySync|copy|derefInto|deref|compileScriptSync|instantiateSync|evaluateSync)$/, role: 'sandbox processes' },
  { hop: 'isolate (env code, copy in/out)', url: /\/node_modules\/isolated-vm\// },
  { hop: 'schema validation (ajv)', url: /\/node_modules\/ajv\// },
  // ajv's compiled validators are `new Function` code: no URL, named validate<N>.
  { hop: 'schema validation (ajv)', url: /^$/, functionName: /^validate\d+$/ },
  { hop: 'WebSocket framing (ws)', url: /\/node_modules\/ws\// },
  { hop: 'MessagePack', url: /\/node_modules\/msgpackr\// },
  { hop: 'logging and metrics', url: /\/node_modules\/(pino|pino-std-serializers|sonic-boom|prom-client|tdigest|bintrees)\/|\/src\/server\/metrics/ },
  { hop: 'codec and frame budget', url: /\/src\/contract\/protocol\// },
  { hop: 'transport (src/contract/transport)', url: /\/src\/contract\/transport\// },
  { hop: 'connection', url: /\/src\/server\/(connection|send-budget|unauthenticated|auth)\b/ },
  { hop: 'handlers', url: /\/src\/server\/(handlers|protocol-error)\b/ },
  { hop: 'sessions', url: /\/src\/server\/sessions\b/ },
  { hop: 'episode', url: /\/src\/env\/(episode|snapshot|runtime)\b/ },
  { hop: 'sandbox process loop', url: /\/src\/sandbox\/(worker-main|isolate-runner|limits)\b/ },
  { hop: 'host↔sandbox channel', url: /\/src\/env\/guest\b|\/src\/sandbox\/|^node:internal\/child_process|^node:child_process|^node:v8$|^node:internal\/v8/ },
  { hop: 'socket I/O', url: /^node:(internal\/)?(net|streams?\/|stream$|stream_base_commons|tcp_wrap|dns)/ },
  { hop: 'event loop (timers, ticks, promises)', url: /^node:(internal\/)?(process\/task_queues|timers|async_hooks|internal\/async_hooks)/ },
]

interface CallFrame { functionName: string, url: string, lineNumber: number }
interface ProfileNode { id: number, callFrame: CallFrame, children?: number[], positionTicks?: Array<{ line: number, ticks: number }> }
interface CpuProfile { nodes: ProfileNode[], startTime: number, endTime: number, samples: number[], timeDeltas: number[] }

/** What `codegym bench --cpu-prof` writes beside the profiles: the window and /proc CPU per step. */
export interface ProfiledRun {
  /** The measured window in the monotonic clock of the profiles (µs, process.hrtime). */
  windowMicros: [number, number]
  steps: number
  serverPid: number
  cpuMicrosPerStep: Record<Role, number>
}

export interface HopRow { hop: string, samples: number, busyShare: number, microsPerStep: number | undefined }
export interface RoleBreakdown {
  role: Role
  profiles: string[]
  samples: number
  busyMicros: number
  /** Profile busy time per step (main JS thread only) against /proc CPU per step (every thread). */
  profileMicrosPerStep: number | undefined
  cpuMicrosPerStep: number | undefined
  hops: HopRow[]
}
export interface HopBreakdown { profileDir: string, windowed: boolean, steps: number | undefined, roles: RoleBreakdown[], combined: Array<{ hop: string, microsPerStep: number }> }

const projectRoot = fileURLToPath(new URL('../../', import.meta.url))

/** Where an unmatched frame comes from: a project file, a module in node_modules, or a Node built-in. */
function origin (frame: CallFrame): string | undefined {
  if (frame.url === '') return undefined
  const path = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url
  const module = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)
  if (module !== null) return module[1]
  if (path.startsWith(projectRoot)) return path.slice(projectRoot.length)
  return path
}

function ruleMatches (rule: HopRule, frame: CallFrame, role: Role): boolean {
  if (rule.role !== undefined && rule.role !== role) return false
  if (rule.url !== undefined && !rule.url.test(frame.url)) return false
  if (rule.functionName !== undefined && !rule.functionName.test(frame.functionName)) return false
  return rule.url !== undefined || rule.functionName !== undefined
}

export function roleOf (profile: CpuProfile): Role {
  return profile.nodes.some((node) => /\/src\/sandbox\/worker-main\b/.test(node.callFrame.url)) ? 'sandbox processes' : 'server main process'
}

/** The hop that enters the isolate: a sandbox-process source line calling one of isolated-vm's sync methods. */
const isolateHop = 'isolate (env code, copy in/out)'
// isolated-vm's methods are native: V8's profiler charges the time spent in them to the JS line
// that called them, so that line's self time is the isolate's (positionTicks give it per line).
const isolateCall = /\.(applySync|applySyncPromise|runSync|evalSync|evalClosureSync|copySync|derefInto|getSync|setSync|compileScriptSync|instantiateSync|evaluateSync|getHeapStatisticsSync)\(/

const sourceLines = new Map<string, string[] | undefined>()
function lineOf (url: string, line: number): string | undefined {
  if (!url.startsWith('file://')) return undefined
  if (!sourceLines.has(url)) {
    try {
      sourceLines.set(url, readFileSync(fileURLToPath(url), 'utf8').split('\n'))
    } catch {
      sourceLines.set(url, undefined)
    }
  }
  return sourceLines.get(url)?.[line - 1]
}

/** The share of a node's self time spent on lines that call into an isolate. */
function isolateShare (node: ProfileNode): number {
  const ticks = node.positionTicks ?? []
  const total = ticks.reduce((sum, each) => sum + each.ticks, 0)
  if (total === 0) return 0
  const inIsolate = ticks.filter((each) => isolateCall.test(lineOf(node.callFrame.url, each.line) ?? '')).reduce((sum, each) => sum + each.ticks, 0)
  return inIsolate / total
}

/** How a node's self time divides among hops; empty for idle. */
type Attribution = Array<{ hop: string, share: number }>

/** The hops of every node of a profile, from its own frame and its callers'. */
function hopsOfNodes (profile: CpuProfile, role: Role): Map<number, Attribution> {
  const parent = new Map<number, ProfileNode>()
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node)
  }
  const hops = new Map<number, Attribution>()
  for (const node of profile.nodes) {
    if (node.callFrame.functionName === '(idle)') {
      hops.set(node.id, [])
      continue
    }
    let hop: string | undefined
    let firstOrigin: string | undefined
    for (let frame: ProfileNode | undefined = node; frame !== undefined && hop === undefined; frame = parent.get(frame.id)) {
      hop = hopRules.find((rule) => ruleMatches(rule, frame!.callFrame, role))?.hop
      firstOrigin ??= origin(frame.callFrame)
    }
    const own = hop ?? `other: ${firstOrigin ?? (node.callFrame.functionName || '(native)')}`
    const inIsolate = isolateShare(node)
    hops.set(node.id, inIsolate === 0 ? [{ hop: own, share: 1 }] : [{ hop: isolateHop, share: inIsolate }, ...(inIsolate < 1 ? [{ hop: own, share: 1 - inIsolate }] : [])])
  }
  return hops
}

export function analyseProfiles (profileDir: string, stepsGiven?: number): HopBreakdown {
  const runPath = join(profileDir, 'run.json')
  const run = existsSync(runPath) ? JSON.parse(readFileSync(runPath, 'utf8')) as ProfiledRun : undefined
  const steps = stepsGiven ?? run?.steps
  const files = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile')).sort()
  if (files.length === 0) throw new Error(`no .cpuprofile files in ${profileDir}`)
  interface RoleEntry { profiles: string[], samples: number, busyMicros: number, hops: Map<string, { samples: number, micros: number }> }
  const byRole = new Map<Role, RoleEntry>()
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile
    const role = roleOf(profile)
    const hops = hopsOfNodes(profile, role)
    const entry: RoleEntry = byRole.get(role) ?? { profiles: [], samples: 0, busyMicros: 0, hops: new Map() }
    byRole.set(role, entry)
    entry.profiles.push(file)
    let at = profile.startTime
    for (let i = 0; i < profile.samples.length; i++) {
      // A sample stands for the time since the one before it (the first: since the profile began).
      const delta = profile.timeDeltas[i] ?? 0
      at += delta
      const micros = Math.max(0, delta)
      if (run !== undefined && (at < run.windowMicros[0] || at > run.windowMicros[1])) continue
      const attribution = hops.get(profile.samples[i]!) ?? []
      if (attribution.length === 0) continue
      for (const { hop, share } of attribution) {
        const row = entry.hops.get(hop) ?? { samples: 0, micros: 0 }
        entry.hops.set(hop, row)
        row.samples += share
        row.micros += micros * share
      }
      entry.samples++
      entry.busyMicros += micros
    }
  }
  const round = (value: number, digits = 2): number => Number(value.toFixed(digits))
  const roles: RoleBreakdown[] = [...byRole.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([role, entry]) => {
    const cpuMicrosPerStep = run?.cpuMicrosPerStep[role]
    const profileMicrosPerStep = steps === undefined ? undefined : entry.busyMicros / steps
    const hops = [...entry.hops.entries()].map(([hop, row]) => {
      const busyShare = entry.busyMicros === 0 ? 0 : row.micros / entry.busyMicros
      const perStep = cpuMicrosPerStep !== undefined ? busyShare * cpuMicrosPerStep : steps === undefined ? undefined : row.micros / steps
      return { hop, samples: Math.round(row.samples), busyShare: round(busyShare, 4), microsPerStep: perStep === undefined ? undefined : round(perStep) }
    }).sort((a, b) => b.busyShare - a.busyShare)
    return { role, profiles: entry.profiles, samples: entry.samples, busyMicros: Math.round(entry.busyMicros), profileMicrosPerStep: profileMicrosPerStep === undefined ? undefined : round(profileMicrosPerStep), cpuMicrosPerStep, hops }
  })
  const combined = new Map<string, number>()
  for (const role of roles) for (const hop of role.hops) if (hop.microsPerStep !== undefined) combined.set(hop.hop, (combined.get(hop.hop) ?? 0) + hop.microsPerStep)
  return {
    profileDir,
    windowed: run !== undefined,
    steps,
    roles,
    combined: [...combined.entries()].map(([hop, micros]) => ({ hop, microsPerStep: round(micros) })).sort((a, b) => b.microsPerStep - a.microsPerStep),
  }
}

export function hopsMarkdown (breakdown: HopBreakdown, heading: string): string {
  const perStep = (value: number | undefined): string => value === undefined ? '–' : value.toFixed(2)
  const lines = [
    `# ${heading}`,
    '',
    breakdown.windowed
      ? `Samples inside the measured window only; ${breakdown.steps?.toLocaleString('en-US')} steps answered in it. µs per step = a hop's share of its role's busy samples × that role's CPU per step read from /proc over the same window.`
      : `Every sample of each profile${breakdown.steps === undefined ? '; no step count given (--steps), so shares only' : `; µs per step = profile time / ${breakdown.steps} steps`}.`,
    'Self time of each sample goes to the innermost frame a rule in bench/load/hop-profile.ts matches; "other: …" rows are samples no rule matched, by their innermost project file or module.',
    '',
  ]
  if (breakdown.combined.length > 0) {
    lines.push('## All server processes, µs per step', '', '| hop | µs per step |', '| --- | ---: |')
    for (const row of breakdown.combined) lines.push(`| ${row.hop} | ${perStep(row.microsPerStep)} |`)
    lines.push('')
  }
  for (const role of breakdown.roles) {
    lines.push(`## ${role.role} (${role.profiles.length} profile${role.profiles.length === 1 ? '' : 's'})`, '',
      `Busy samples: ${role.samples.toLocaleString('en-US')}; profile busy time per step ${perStep(role.profileMicrosPerStep)} µs (main JS thread) against /proc CPU per step ${perStep(role.cpuMicrosPerStep)} µs (every thread, user + system).`,
      '', '| hop | share of busy samples | µs per step |', '| --- | ---: | ---: |')
    for (const hop of role.hops) lines.push(`| ${hop.hop} | ${(hop.busyShare * 100).toFixed(1)}% | ${perStep(hop.microsPerStep)} |`)
    lines.push('')
  }
  return lines.join('\n')
}

export function writeHops (profileDir: string, outDir: string, steps?: number): HopBreakdown {
  const breakdown = analyseProfiles(profileDir, steps)
  writeFileSync(join(outDir, 'hops.json'), JSON.stringify(breakdown, null, 2) + '\n')
  writeFileSync(join(outDir, 'hops.md'), hopsMarkdown(breakdown, 'Per-hop CPU breakdown of a step'))
  return breakdown
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const flag = (name: string): string | undefined => {
    const at = args.indexOf(name)
    if (at === -1) return undefined
    const value = args[at + 1]
    args.splice(at, 2)
    if (value === undefined) throw new Error(`${name} needs a value`)
    return value
  }
  const stepsText = flag('--steps')
  const outDirGiven = flag('--out-dir')
  const steps = stepsText === undefined ? undefined : Number(stepsText)
  if (steps !== undefined && !(Number.isSafeInteger(steps) && steps > 0)) throw new Error(`--steps takes a whole number above 0; got ${stepsText}`)
  if (args.length !== 1) {
    process.stderr.write('usage: node bench/load/hop-profile.ts <dir of .cpuprofile files> [--steps N] [--out-dir DIR]\n')
    process.exit(2)
  }
  const profileDir = resolve(args[0]!)
  const outDir = outDirGiven ?? dirname(profileDir)
  const breakdown = writeHops(profileDir, outDir, steps)
  process.stdout.write(hopsMarkdown(breakdown, 'Per-hop CPU breakdown of a step'))
}
