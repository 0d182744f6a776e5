// The corpus table the paper reports (envs, task configs, tools per env, oracle steps per task),
// computed from env specs and the oracle runs of the env checker.
import { builtinToolNames } from '../contract/builtin-tools.ts'
import type { EnvCheckReport } from './types.ts'
import type { EnvSpec } from '../env/package.ts'

export interface CorpusStats {
  envs: number
  taskConfigs: {
    total: number
    /** Lines of tasks.jsonl. */
    fixed: number
    /** Difficulties x seeds, the generated tasks the checker has the oracle solve. */
    generated: number
    seedsPerDifficulty: number
  }
  toolsPerEnv: {
    /** The env's own tools, Observe and Done left out (the paper's 6.52). */
    envTools: number
    /** With Observe and Done. */
    withBuiltins: number
    min: number
    max: number
  }
  oracleSteps: {
    /** Average tool calls of the oracle per task, Done included (the paper's 44.07). */
    averagePerTask: number
    min: number
    max: number
    /** Oracle episodes the averages come from. */
    episodes: number
    solved: number
  }
  /** Envs per category. */
  categories: Record<string, number>
  /** Task configs per difficulty; fixed tasks without one count as "unspecified". */
  difficulties: Record<string, number>
}

const round = (value: number, digits = 2): number => Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : 0
const average = (values: readonly number[]): number => values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length
const sortedCounts = (counts: Map<string, number>): Record<string, number> =>
  Object.fromEntries([...counts].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)))

/** Statistics of the envs in specs; reports are their checker reports (with oracle runs). */
export function corpusStats (specs: readonly EnvSpec[], reports: readonly EnvCheckReport[], seedsPerDifficulty: number): CorpusStats {
  const fixed = specs.reduce((sum, spec) => sum + spec.tasks.size, 0)
  const generated = specs.reduce((sum, spec) => sum + spec.manifest.difficulties.length * seedsPerDifficulty, 0)
  const envTools = specs.map((spec) => spec.manifest.tools.length)
  const runs = reports.flatMap((report) => report.oracleRuns)
  const calls = runs.map((run) => run.toolCalls)
  const categories = new Map<string, number>()
  const difficulties = new Map<string, number>()
  const bump = (map: Map<string, number>, key: string, by = 1): void => { map.set(key, (map.get(key) ?? 0) + by) }
  for (const spec of specs) {
    bump(categories, spec.manifest.category)
    for (const difficulty of spec.manifest.difficulties) bump(difficulties, difficulty, seedsPerDifficulty)
    for (const task of spec.tasks.values()) bump(difficulties, task.difficulty ?? 'unspecified')
  }
  return {
    envs: specs.length,
    taskConfigs: { total: fixed + generated, fixed, generated, seedsPerDifficulty },
    toolsPerEnv: {
      envTools: round(average(envTools)),
      withBuiltins: round(average(envTools) + (specs.length > 0 ? builtinToolNames.length : 0)),
      min: envTools.length > 0 ? Math.min(...envTools) : 0,
      max: envTools.length > 0 ? Math.max(...envTools) : 0,
    },
    oracleSteps: {
      averagePerTask: round(average(calls)),
      min: calls.length > 0 ? Math.min(...calls) : 0,
      max: calls.length > 0 ? Math.max(...calls) : 0,
      episodes: runs.length,
      solved: runs.filter((run) => run.solved).length,
    },
    categories: sortedCounts(categories),
    difficulties: sortedCounts(difficulties),
  }
}

const share = (count: number, total: number): string => `${count} (${total === 0 ? 0 : Math.round(100 * count / total)}%)`

/** A plain-text table for the terminal. */
export function formatStats (stats: CorpusStats): string {
  const rows: Array<[string, string]> = [
    ['environments', String(stats.envs)],
    ['task configs', `${stats.taskConfigs.total} (${stats.taskConfigs.fixed} fixed + ${stats.taskConfigs.generated} generated: difficulties x ${stats.taskConfigs.seedsPerDifficulty} seeds)`],
    ['tools per env', `${stats.toolsPerEnv.envTools} (${stats.toolsPerEnv.withBuiltins} with Observe and Done; ${stats.toolsPerEnv.min}..${stats.toolsPerEnv.max})`],
    ['oracle steps per task', `${stats.oracleSteps.averagePerTask} (${stats.oracleSteps.min}..${stats.oracleSteps.max}, ${stats.oracleSteps.episodes} episodes, ${stats.oracleSteps.solved} solved)`],
  ]
  const width = Math.max(...rows.map(([label]) => label.length))
  const lines = rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`)
  lines.push('', 'by category:')
  for (const [category, count] of Object.entries(stats.categories)) lines.push(`  ${category.padEnd(22)} ${share(count, stats.envs)}`)
  lines.push('', 'task configs by difficulty:')
  for (const [difficulty, count] of Object.entries(stats.difficulties)) lines.push(`  ${difficulty.padEnd(22)} ${share(count, stats.taskConfigs.total)}`)
  return lines.join('\n')
}

/** The Markdown table of envs/README.md's "Corpus" section. */
export function formatStatsMarkdown (stats: CorpusStats): string {
  const lines = [
    '| | this corpus | paper |',
    '| --- | --- | --- |',
    `| environments | ${stats.envs} | ~13k |`,
    `| task configs | ${stats.taskConfigs.total} (${stats.taskConfigs.fixed} fixed, ${stats.taskConfigs.generated} generated) | ~80k |`,
    `| tools per env (without Observe, Done) | ${stats.toolsPerEnv.envTools} | 6.52 |`,
    `| tools per env (with Observe, Done) | ${stats.toolsPerEnv.withBuiltins} | |`,
    `| oracle steps per task | ${stats.oracleSteps.averagePerTask} | 44.07 |`,
    '',
    '| category | envs |',
    '| --- | --- |',
    ...Object.entries(stats.categories).map(([category, count]) => `| ${category} | ${count} |`),
    '',
    '| difficulty | task configs |',
    '| --- | --- |',
    ...Object.entries(stats.difficulties).map(([difficulty, count]) => `| ${difficulty} | ${count} |`),
  ]
  return lines.join('\n')
}
