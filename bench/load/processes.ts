// Linux /proc readings for a process and its descendants: the server's sandbox processes count too.
import { readFileSync } from 'node:fs'

const clockTicksPerSecond = 100
const pageBytes = 4096

function descendants (pid: number): number[] {
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

export function processTreeUsage (pid: number): ProcessTreeUsage {
  let rssBytes = 0
  let cpuSeconds = 0
  const pids = descendants(pid)
  for (const each of pids) {
    try {
      const stat = readFileSync(`/proc/${each}/stat`, 'utf8')
      // Fields after the command name, which may hold spaces, start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      cpuSeconds += (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond
      rssBytes += Number(fields[21]) * pageBytes
    } catch { /* the process ended */ }
  }
  return { processes: pids.length, rssBytes, cpuSeconds }
}
