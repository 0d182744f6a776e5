// Stage 1, gym synthesis: the LLM writes env.json and env.js from the problem and its solution.
// Kept when the manifest is valid, the docs do not leak, the package loads and every difficulty
// generates, resets and observes in the sandbox.
import { join } from 'node:path'
import { EnvLoadError } from '../contract/errors.ts'
import { envPackageFiles, loadEnvPackage } from '../env/package.ts'
import { Runtime } from '../env/runtime.ts'
import { validateManifest } from '../schemas/validate.ts'
import type { EnvManifest } from '../schemas/env.generated.ts'
import type { SynthProblem } from '../schemas/synth.generated.ts'
import { writeText } from './artefacts.ts'
import { askLlm, rejected, type StageInput, type StageResult } from './context.ts'
import { findSolutionCopy, findSolverTools } from './leak.ts'
import { extractFiles } from './prompts.ts'

export function synthEnvId (problemId: string): string {
  return `synth/${problemId}-v1`
}

/** The manifest with the pipeline's id, and the problem's attribution when it gives one. */
function ownManifest (problem: SynthProblem, parsed: Record<string, unknown>): Record<string, unknown> {
  const manifest: Record<string, unknown> = { ...parsed, id: synthEnvId(problem.id) }
  if (problem.source !== undefined) manifest.source = problem.source
  if (problem.category !== undefined) manifest.category = problem.category
  return manifest
}

export async function gymStage ({ context, problem, artefacts }: StageInput): Promise<StageResult> {
  const { answer, promptVersion } = await askLlm(context, join(artefacts.stageDir('gym'), 'answer.md'), 'gym', {
    problemId: problem.id,
    statement: problem.statement,
    solution: problem.solution,
  }, 1)
  const common = { attempts: 1, promptVersion }
  const files = extractFiles(answer)
  const manifestText = files.get(envPackageFiles.manifest)
  const moduleText = files.get(envPackageFiles.module)
  const missing = [[envPackageFiles.manifest, manifestText], [envPackageFiles.module, moduleText]].filter(([, text]) => text === undefined).map(([name]) => name)
  if (manifestText === undefined || moduleText === undefined) return rejected('llm_unparseable', `the answer has no code block named ${missing.join(' or ')}`, common)

  let parsed: unknown
  try {
    parsed = JSON.parse(manifestText)
  } catch (error) {
    return rejected('manifest_invalid', `env.json is not JSON: ${(error as Error).message}`, common)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return rejected('manifest_invalid', 'env.json is not a JSON object', common)
  const manifest = ownManifest(problem, parsed as Record<string, unknown>)
  if (!validateManifest(manifest)) return rejected('manifest_invalid', validateManifest.lastError, common)

  const leaks = [...findSolverTools(manifest), ...findSolutionCopy(manifest, problem.solution)]
  if (leaks.length > 0) return rejected('doc_leak', leaks.map((leak) => leak.message).join('; '), { ...common, details: { leaks: leaks.map((leak) => leak.kind) } })

  const dir = artefacts.gymEnvDir
  await writeText(join(dir, envPackageFiles.manifest), JSON.stringify(manifest, null, 2) + '\n')
  await writeText(join(dir, envPackageFiles.module), moduleText)
  try {
    await loadEnvPackage(dir)
  } catch (error) {
    if (error instanceof EnvLoadError) return rejected('env_load_failed', error.message.slice(dir.length + 2), common)
    throw error
  }
  const smoke = await smokeTest(dir, manifest)
  if (smoke !== undefined) return rejected('env_smoke_failed', smoke, common)
  return { status: 'kept', ...common, details: { tools: manifest.tools.map((tool) => tool.name), difficulties: manifest.difficulties } }
}

/** Generates, resets and observes a task of every difficulty; the first failure, or undefined. */
async function smokeTest (dir: string, manifest: EnvManifest): Promise<string | undefined> {
  const runtime = await Runtime.create({ envDirs: [dir], sandbox: { workers: 1 } })
  try {
    for (const difficulty of manifest.difficulties) {
      try {
        const { episode } = await runtime.reset(manifest.id, { seed: 1, difficulty })
        await episode.observe()
        episode.close()
      } catch (error) {
        return `${difficulty} seed 1: ${(error as Error).message}`
      }
    }
    return undefined
  } finally {
    await runtime.close()
  }
}
