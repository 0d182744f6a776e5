// Stage 2, unit-test inputs: the LLM writes an input generator; the pipeline draws inputs of every
// difficulty and the edge cases, adds the problem's own tests, and takes the ground truth from the
// reference solution in the sandbox. The env's answer() must agree with it, and neither the docs
// nor the initial observation may show it. The inputs become the candidate package's tasks.jsonl.
import { copyFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { envPackageFiles, loadEnvPackage, type EnvSpec } from '../env/package.ts'
import { Runtime } from '../env/runtime.ts'
import type { JsonObject, JsonValue, Task } from '../schemas/env.generated.ts'
import { toJsonl, writeText } from './artefacts.ts'
import { askLlm, rejected, type StageInput, type StageResult } from './context.ts'
import { findTruthLeaks, type TruthCase } from './leak.ts'
import { extractFiles } from './prompts.ts'
import { generatorModule, solutionModule } from './untrusted.ts'

/** An input with its ground truth: one line of inputs/inputs.jsonl. */
export interface TestInput extends Task {
  truth: JsonValue
  origin: 'generated' | 'edge' | 'problem'
}

const describe = (result: { code: string, message: string }): string => `${result.code}: ${result.message}`

export async function inputsStage ({ context, problem, artefacts }: StageInput): Promise<StageResult> {
  const spec = await loadEnvPackage(artefacts.gymEnvDir)
  const { manifest } = spec
  const { answer, promptVersion } = await askLlm(context, join(artefacts.stageDir('inputs'), 'answer.md'), 'inputs', {
    problemId: problem.id,
    statement: problem.statement,
    solution: problem.solution,
    configSchema: JSON.stringify(manifest.config, null, 2),
    difficulties: manifest.difficulties.join(', '),
  }, 1)
  const common = { attempts: 1, promptVersion }
  const generatorSource = extractFiles(answer).get('inputs.js')
  if (generatorSource === undefined) return rejected('llm_unparseable', 'the answer has no code block named inputs.js', common)
  await writeText(join(artefacts.stageDir('inputs'), 'inputs.js'), generatorSource)

  // 1. Draw the inputs.
  const { untrusted, limits } = context
  const generatorKey = `synth-inputs:${problem.id}`
  untrusted.register(generatorKey, generatorModule(generatorSource))
  const drawn: Array<Omit<TestInput, 'truth'> & { expected?: unknown, hasExpected: boolean }> = []
  for (const difficulty of manifest.difficulties) {
    for (let seed = 1; seed <= limits.inputsPerDifficulty; seed++) {
      const result = await untrusted.generate(generatorKey, seed, difficulty)
      if (!result.ok) return rejected('generator_failed', `generate(rng, ${JSON.stringify(difficulty)}) with seed ${seed} failed: ${describe(result)}`, common)
      drawn.push({ id: `${difficulty}-${seed}`, difficulty, config: result.value as JsonObject, origin: 'generated', hasExpected: false })
    }
  }
  const edges = await untrusted.answer(generatorKey, {})
  if (!edges.ok) return rejected('generator_failed', `edgeCases() failed: ${describe(edges)}`, common)
  if (!Array.isArray(edges.value)) return rejected('generator_failed', 'edgeCases() did not return an array', common)
  for (const [index, edge] of (edges.value as unknown[]).entries()) {
    const { difficulty, config } = (edge ?? {}) as { difficulty?: unknown, config?: unknown }
    if (typeof difficulty !== 'string' || !manifest.difficulties.includes(difficulty)) {
      return rejected('generator_failed', `edge case ${index + 1} has difficulty ${JSON.stringify(difficulty)}, not one of ${manifest.difficulties.join(', ')}`, common)
    }
    drawn.push({ id: `edge-${index + 1}`, difficulty, config: config as JsonObject, origin: 'edge', hasExpected: false })
  }
  for (const [index, test] of (problem.tests ?? []).entries()) {
    const difficulty = test.difficulty ?? manifest.difficulties[0]!
    if (!manifest.difficulties.includes(difficulty)) return rejected('generator_failed', `the problem's test ${index + 1} has difficulty ${difficulty}, which the env does not have`, common)
    drawn.push({ id: `test-${index + 1}`, difficulty, config: test.input as JsonObject, origin: 'problem', expected: test.expected, hasExpected: Object.hasOwn(test, 'expected') })
  }

  // 2. Keep the valid, distinct ones.
  const seen = new Set<string>()
  const inputs: typeof drawn = []
  for (const input of drawn) {
    if (!spec.validateConfig(input.config)) return rejected('generator_failed', `input ${input.id}: ${spec.validateConfig.lastError}`, common)
    const key = JSON.stringify(input.config)
    if (seen.has(key)) continue
    seen.add(key)
    inputs.push(input)
  }
  const kept = inputs.slice(0, limits.maxInputs)
  if (kept.length < limits.minInputs) return rejected('generator_failed', `${kept.length} distinct inputs, fewer than ${limits.minInputs}`, common)

  // 3. Ground truth from the reference solution.
  const solutionKey = `synth-solution:${problem.id}`
  untrusted.register(solutionKey, solutionModule(problem.solution, problem.entry ?? 'solve'))
  const tests: TestInput[] = []
  for (const input of kept) {
    const result = await untrusted.answer(solutionKey, { input: input.config })
    if (!result.ok) return rejected('reference_failed', `input ${input.id}: ${describe(result)}`, common)
    if (input.hasExpected && !isDeepStrictEqual(result.value, input.expected)) {
      return rejected('reference_failed', `input ${input.id}: the reference solution returns ${JSON.stringify(result.value)}, the test expects ${JSON.stringify(input.expected)}`, common)
    }
    const test: TestInput = { id: input.id, config: input.config, truth: result.value as JsonValue, origin: input.origin }
    if (input.difficulty !== undefined) test.difficulty = input.difficulty
    tests.push(test)
  }
  await writeText(join(artefacts.stageDir('inputs'), 'inputs.jsonl'), toJsonl(tests))

  // 4. The env against the reference, and the leak check on what an agent sees at reset.
  const envCheck = await compareWithEnv(spec, tests)
  if (envCheck.failure !== undefined) return rejected(envCheck.failure.code, envCheck.failure.message, common)
  const leaks = findTruthLeaks(manifest, envCheck.cases)
  if (leaks.length > 0) return rejected('doc_leak', leaks.map((leak) => leak.message).join('; '), { ...common, details: { leaks: leaks.map((leak) => leak.kind) } })

  // 5. The candidate package.
  const packageDir = artefacts.packageDir
  await mkdir(packageDir, { recursive: true })
  for (const file of [envPackageFiles.manifest, envPackageFiles.module]) await copyFile(join(artefacts.gymEnvDir, file), join(packageDir, file))
  await writeText(join(packageDir, envPackageFiles.tasks), toJsonl(tests.map(({ id, difficulty, config }) => difficulty === undefined ? { id, config } : { id, difficulty, config })))
  const origins: Record<string, number> = {}
  for (const test of tests) origins[test.origin] = (origins[test.origin] ?? 0) + 1
  return { status: 'kept', ...common, details: { inputs: tests.length, origins } }
}

async function compareWithEnv (spec: EnvSpec, tests: readonly TestInput[]): Promise<{ failure?: { code: 'answer_mismatch' | 'env_smoke_failed', message: string }, cases: TruthCase[] }> {
  const runtime = await Runtime.create({ envDirs: [spec.dir], sandbox: { workers: 1 } })
  const cases: TruthCase[] = []
  try {
    for (const test of tests) {
      let envTruth: JsonValue
      try {
        const { episode, observation, info } = await runtime.reset(spec.manifest.id, { config: test.config, seed: 1 })
        envTruth = runtime.snapshotContent(await episode.snapshot()).truth
        episode.close()
        cases.push({ taskId: test.id, truth: test.truth, shown: [info.task, JSON.stringify(observation)] })
      } catch (error) {
        return { failure: { code: 'env_smoke_failed', message: `input ${test.id}: ${(error as Error).message}` }, cases }
      }
      if (!isDeepStrictEqual(envTruth, test.truth)) {
        return { failure: { code: 'answer_mismatch', message: `input ${test.id}: the env's answer() gives ${JSON.stringify(envTruth)}, the reference solution ${JSON.stringify(test.truth)}` }, cases }
      }
    }
    return { cases }
  } finally {
    await runtime.close()
  }
}
