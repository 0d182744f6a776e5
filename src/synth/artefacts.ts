// Where the pipeline keeps what it makes: one folder per problem under work/, one per stage in it,
// each with its status.json. A rerun reads the statuses to skip finished work.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { synthDefinition } from '../schemas/validate.ts'
import type { StageStatus, SynthStage } from '../schemas/synth.generated.ts'

export const synthStages: readonly SynthStage[] = ['gym', 'inputs', 'verify', 'filters', 'difficulty']

const validateStageStatus = synthDefinition<StageStatus>('StageStatus', 'status.json')

export class ProblemArtefacts {
  readonly dir: string
  constructor (outDir: string, problemId: string) {
    this.dir = join(outDir, 'work', problemId)
  }

  stageDir (stage: SynthStage): string { return join(this.dir, stage) }
  /** The candidate env package: assembled by the inputs stage, its oracle added by verify. */
  get packageDir (): string { return join(this.dir, 'package') }
  /** The gym as the LLM wrote it (env.json with the pipeline's id and source). */
  get gymEnvDir (): string { return join(this.stageDir('gym'), 'env') }

  async readStatus (stage: SynthStage): Promise<StageStatus | undefined> {
    let text: string
    try {
      text = await readFile(join(this.stageDir(stage), 'status.json'), 'utf8')
    } catch {
      return undefined
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return undefined
    }
    // A status file that does not validate (edited by hand, cut short) means the stage runs again.
    return validateStageStatus(parsed) ? parsed : undefined
  }

  async writeStatus (status: StageStatus): Promise<void> {
    await writeText(join(this.stageDir(status.stage), 'status.json'), JSON.stringify(status, null, 2) + '\n')
  }

  /** Forgets a stage's verdict and files before it runs again. */
  async clearStage (stage: SynthStage): Promise<void> {
    await rm(this.stageDir(stage), { recursive: true, force: true })
  }
}

export async function writeText (path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, text)
}

export function toJsonl (rows: readonly unknown[]): string {
  return rows.map((row) => JSON.stringify(row)).join('\n') + (rows.length > 0 ? '\n' : '')
}
