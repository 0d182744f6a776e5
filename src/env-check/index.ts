// The env checker (after Gymnasium's check_env): every bundled env must pass it. Each check is a
// module of its own under checks/ and plays real episodes on a Runtime, so it checks the env as
// agents and trainers will meet it. This file runs them in order, over one env or a whole corpus.
import { basename } from 'node:path'
import { CodeGymError, EnvLoadError } from '../contract/errors.ts'
import { findEnvPackages, loadEnvPackage, type EnvSpec } from '../env/package.ts'
import { Runtime, type RuntimeOptions } from '../env/runtime.ts'
import { checkDeterminism } from './checks/determinism.ts'
import { checkFilters } from './checks/filters.ts'
import { checkManifest } from './checks/manifest.ts'
import { checkOracle } from './checks/oracle.ts'
import { checkRandomActions } from './checks/random-actions.ts'
import { checkSnapshot } from './checks/snapshot.ts'
import { checkStatement } from './checks/statement.ts'
import { checkWrongAnswer } from './checks/wrong-answer.ts'
import { CheckContext } from './context.ts'
import { messageOf } from './findings.ts'
import { checkNames, type CheckName, type CheckOptions, type CheckOutcome, type EnvCheckReport } from './types.ts'

export { checkNames, type CheckName, type CheckOptions, type CheckOutcome, type CheckStatus, type EnvCheckReport, type OracleRun } from './types.ts'
export { oracleFilters } from './checks/filters.ts'
export { wrongAnswer } from './checks/wrong-answer.ts'

const checks: { readonly [name in CheckName]: (context: CheckContext) => CheckOutcome | Promise<CheckOutcome> } = {
  'manifest': checkManifest,
  'statement': checkStatement,
  'determinism': checkDeterminism,
  'snapshot': checkSnapshot,
  'oracle': checkOracle,
  'filters': checkFilters,
  'wrong-answer': checkWrongAnswer,
  'random-actions': checkRandomActions,
}

/** One check; an error thrown by it (or by the env under it) fails that check alone. */
async function runCheck (check: CheckName, context: CheckContext): Promise<CheckOutcome> {
  try {
    return await checks[check](context)
  } catch (error) {
    const detail = `stopped by an error: ${messageOf(error)}`
    return { check, status: 'fail', detail, problems: [detail] }
  }
}

/** Runs the checks on one env of a runtime. */
export async function checkEnv (runtime: Runtime, envId: string, options: CheckOptions = {}): Promise<EnvCheckReport> {
  const started = performance.now()
  const spec = runtime.spec(envId)
  const wanted = options.checks ?? checkNames
  const context = new CheckContext(runtime, envId, options.seeds ?? 3)
  const checks: CheckOutcome[] = []
  try {
    for (const check of checkNames) if (wanted.includes(check)) checks.push(await runCheck(check, context))
  } finally {
    context.dispose()
  }
  return {
    envId,
    dir: spec.dir,
    ok: checks.every((check) => check.status !== 'fail'),
    checks,
    oracleRuns: context.runs,
    durationMs: Math.round(performance.now() - started),
  }
}

/** Checks several envs of a runtime, a few at once; reports in the order of envIds. */
export async function checkEnvs (runtime: Runtime, envIds: readonly string[], options: CheckOptions = {}): Promise<EnvCheckReport[]> {
  const reports = new Array<EnvCheckReport>(envIds.length)
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < envIds.length) {
      const index = next++
      reports[index] = await checkEnv(runtime, envIds[index]!, options)
    }
  }
  const lanes = Math.max(1, Math.min(options.concurrency ?? 4, envIds.length))
  await Promise.all(Array.from({ length: lanes }, lane))
  return reports
}

/** Whether a name a person typed names an env: its id, its folder, or its id without the prefix (and version). */
export function envNameMatches (name: string, id: string, dir: string): boolean {
  const short = id.replace(/^[^/]*\//, '')
  return name === id || name === basename(dir) || name === short || name === short.replace(/-v\d+$/, '')
}

export interface CheckPackagesResult {
  reports: EnvCheckReport[]
  /** The envs that loaded, with their specs (for statistics). */
  specs: EnvSpec[]
}

/**
 * Loads every package under envDirs one by one (a package that does not load fails its manifest
 * check instead of stopping the rest), keeps those named (by id, folder name, or id without the
 * codegym/ prefix and version), and checks them.
 */
export async function checkPackages (envDirs: readonly string[], names: readonly string[], options: CheckOptions & { sandbox?: RuntimeOptions['sandbox'] } = {}): Promise<CheckPackagesResult> {
  const loaded: EnvSpec[] = []
  const failed: EnvCheckReport[] = []
  for (const envDir of envDirs) {
    const found = await findEnvPackages(envDir).catch(() => [])
    for (const dir of found.length > 0 ? found : [envDir]) {
      try {
        loaded.push(await loadEnvPackage(dir))
      } catch (error) {
        const detail = error instanceof EnvLoadError ? error.message.slice(dir.length + 2) : messageOf(error)
        failed.push({ envId: basename(dir), dir, ok: false, checks: [{ check: 'manifest', status: 'fail', detail, problems: [detail] }], oracleRuns: [], durationMs: 0 })
      }
    }
  }
  const matches = envNameMatches
  for (const name of names) {
    if (!loaded.some((spec) => matches(name, spec.manifest.id, spec.dir)) && !failed.some((report) => matches(name, report.envId, report.dir))) {
      throw new CodeGymError('unknown_env', `no env ${JSON.stringify(name)} in ${envDirs.join(', ')}`)
    }
  }
  const selected = names.length === 0 ? loaded : loaded.filter((spec) => names.some((name) => matches(name, spec.manifest.id, spec.dir)))
  const failedSelected = names.length === 0 ? failed : failed.filter((report) => names.some((name) => matches(name, report.envId, report.dir)))
  if (selected.length === 0) return { reports: failedSelected, specs: [] }
  const runtime = await Runtime.create({ envDirs: selected.map((spec) => spec.dir), ...(options.sandbox !== undefined ? { sandbox: options.sandbox } : {}) })
  try {
    const reports = await checkEnvs(runtime, runtime.envIds(), options)
    return { reports: [...reports, ...failedSelected].sort((a, b) => a.envId.localeCompare(b.envId)), specs: runtime.envIds().map((id) => runtime.spec(id)) }
  } finally {
    await runtime.close()
  }
}

/** The text report: per env, one line per check. */
export function formatReports (reports: readonly EnvCheckReport[]): string {
  const lines: string[] = []
  const width = Math.max(...checkNames.map((name) => name.length))
  for (const report of reports) {
    lines.push(`${report.ok ? 'ok  ' : 'FAIL'} ${report.envId}  (${report.dir}, ${(report.durationMs / 1000).toFixed(1)} s)`)
    for (const check of report.checks) {
      lines.push(`  ${check.status.toUpperCase().padEnd(4)} ${check.check.padEnd(width)}  ${check.detail}`)
      for (const problem of check.problems.slice(1)) lines.push(`  ${''.padEnd(4)} ${''.padEnd(width)}  ${problem}`)
    }
  }
  const failed = reports.filter((report) => !report.ok).length
  lines.push(`${reports.length} envs checked: ${reports.length - failed} passed, ${failed} failed`)
  return lines.join('\n')
}
