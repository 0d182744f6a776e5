// Collects the problems one check finds and turns them into its outcome.
import type { CheckName, CheckOutcome } from './types.ts'

/** Problems kept per check; the rest are counted. */
const maxProblemsShown = 5

export class Findings {
  readonly problems: string[] = []
  count = 0
  add (problem: string): void {
    this.count++
    if (this.problems.length < maxProblemsShown) this.problems.push(problem)
  }

  expect (condition: boolean, problem: () => string): boolean {
    if (!condition) this.add(problem())
    return condition
  }

  outcome (check: CheckName, passed: string): CheckOutcome {
    if (this.count === 0) return { check, status: 'pass', detail: passed, problems: [] }
    const problems = this.count > this.problems.length ? [...this.problems, `... and ${this.count - this.problems.length} more`] : [...this.problems]
    return { check, status: 'fail', detail: this.problems[0]!, problems }
  }
}

export function messageOf (error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
