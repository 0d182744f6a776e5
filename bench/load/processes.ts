// Linux /proc readings for a process and its descendants: the server's sandbox processes count too.
import { readFileSync } from 'node:fs'

const clockTicksPerSecond = 100
const pageBytes = 4096

export function descendants (pid: number): number[] {
  const all = [pid]
  for (let i = 0; i < all.length; i++) {
    try {
      const children = readFileSync(`/proc/${all[i]}/task/${all[i]}/children`, 'utf8').trim()
      if (children !== '') all.push(...children.split(/\s+/).map(Number))
    } catch { /* the process ended */ }
  }
  return all
}

export interface ProcessTreeUsage {
  processes: number
  rssBytes: number
  /** user + system CPU time since the processes started */
  cpuSeconds: number
}

/** One process's CPU time (user + system, all its threads) and RSS; zeros once it has ended. */
function processUsage (pid: number): { cpuSeconds: number, rssBytes: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which may hold spaces, start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { cpuSeconds: (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond, rssBytes: Number(fields[21]) * pageBytes }
  } catch {
    return { cpuSeconds: 0, rssBytes: 0 }
  }
}

export function processTreeUsage (pid: number): ProcessTreeUsage {
  const { main, descendants } = processTreeUsageByRole(pid)
  return { processes: 1 + descendants.processes, rssBytes: main.rssBytes + descendants.rssBytes, cpuSeconds: main.cpuSeconds + descendants.cpuSeconds }
}

/**
 * The same readings split by role: the process itself (a server's main process) and all its
 * descendants (a server's sandbox processes). A descendant that ended since an earlier reading
 * takes its CPU time with it; a sandbox process replaced during a measured window is undercounted.
 */
export function processTreeUsageByRole (pid: number): { main: ProcessTreeUsage, descendants: ProcessTreeUsage & { pids: number[] } } {
  const [, ...children] = descendants(pid)
  const mainUsage = processUsage(pid)
  let rssBytes = 0
  let cpuSeconds = 0
  for (const each of children) {
    const usage = processUsage(each)
    rssBytes += usage.rssBytes
    cpuSeconds += usage.cpuSeconds
  }
  return { main: { processes: 1, ...mainUsage }, descendants: { processes: children.length, rssBytes, cpuSeconds, pids: children } }
}
