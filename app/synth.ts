// `codegym synth`: programming problems in, verified env packages out (src/synth/README.md).
import { pino } from 'pino'
import type { Argv } from 'yargs'
import { synthStages } from '../src/synth/artefacts.ts'
import { defaultLlmSettings, defaultPolicySettings, defaultSynthLimits, type LlmSettings } from '../src/synth/defaults.ts'
import { runSynth } from '../src/synth/pipeline.ts'
import { ProblemsFileError, readProblems } from '../src/synth/problems.ts'
import type { ServedEnv } from '../src/synth/reference-policy.ts'
import { RolloutReferencePolicy } from './reference-policy.ts'
import { formatReport } from '../src/synth/report.ts'
import { CodeGymServer } from '../src/server/server.ts'

/** Defaults of `codegym synth` beyond the pipeline's limits. */
export const synthCliDefaults = Object.freeze({
  /** Fraction of problems that may end in error (not rejection) before the command exits 1. */
  maxErrorFraction: 0,
})
import type { SynthStage } from '../src/schemas/synth.generated.ts'

function synthOptions<T> (cli: Argv<T>) {
  return cli
    .option('problems', { type: 'string', demandOption: true, describe: 'problems JSONL (schemas/synth.schema.json, SynthProblem)' })
    .option('out', { type: 'string', demandOption: true, describe: 'output folder: work/, envs/ (servable with codegym-serve --envs), report.md, report.json' })
    .option('llm-url', { type: 'string', describe: 'OpenAI-compatible API base URL, e.g. http://localhost:8000/v1' })
    .option('model', { type: 'string', describe: 'model name for the LLM' })
    .option('api-key', { type: 'string', describe: 'bearer token for the LLM (default: $OPENAI_API_KEY)' })
    .option('temperature', { type: 'number', default: defaultLlmSettings.temperature })
    .option('seed', { type: 'number', default: defaultLlmSettings.seed, describe: 'request seed (plus the attempt number)' })
    .option('max-tokens', { type: 'number', default: defaultLlmSettings.maxTokens })
    .option('request-timeout-ms', { type: 'number', default: defaultLlmSettings.requestTimeoutMs })
    .option('max-retries', { type: 'number', default: defaultLlmSettings.maxRetries, describe: 'retries on 429, 5xx and time-outs' })
    .option('concurrency', { type: 'number', default: defaultSynthLimits.concurrency, describe: 'problems worked on at once, and LLM requests in flight' })
    .option('k', { type: 'number', default: defaultSynthLimits.k, describe: 'solver programs per env (pass@K)' })
    .option('min-calls', { type: 'number', default: defaultSynthLimits.minCalls })
    .option('max-calls', { type: 'number', default: defaultSynthLimits.maxCalls })
    .option('min-tools', { type: 'number', default: defaultSynthLimits.minTools })
    .option('inputs-per-difficulty', { type: 'number', default: defaultSynthLimits.inputsPerDifficulty })
    .option('policy-url', { type: 'string', describe: 'reference policy (OpenAI-compatible) for the difficulty filter; without it the filter is skipped' })
    .option('policy-model', { type: 'string', describe: 'model name for the reference policy' })
    .option('policy-temperature', { type: 'number', default: defaultPolicySettings.temperature })
    .option('policy-max-steps', { type: 'number', describe: "T_max of the reference policy's episodes (default: each env's own)" })
    .option('difficulty-tries', { type: 'number', default: defaultSynthLimits.difficultyTries })
    .option('max-solve-rate', { type: 'number', default: defaultSynthLimits.maxSolveRate })
    .option('stages', { type: 'string', array: true, choices: synthStages, describe: 'run only these stages (default: all)' })
    .option('force-stage', { type: 'string', choices: synthStages, describe: 'redo this stage and the ones after it' })
    .option('max-error-fraction', { type: 'number', default: synthCliDefaults.maxErrorFraction, describe: 'exit 1 when more of the problems than this fraction ended in error (LLM unreachable, a crash); rejections are not errors' })
}

/** The reference policy's env server: an in-process codegym-serve on loopback, one sandbox process. */
export function serveEnvInProcess (envDir: string): Promise<ServedEnv> {
  return CodeGymServer.start({ port: 0, host: '127.0.0.1', envDirs: [envDir], sandbox: { workers: 1 }, logger: pino({ level: 'silent' }) })
}

function positiveInteger (name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`)
  return value
}

export function synthCommand<T> (cli: Argv<T>): Argv<T> {
  return cli.command('synth', 'turn programming problems into verified env packages with an LLM', synthOptions, async (args) => {
    const problems = await readProblems(args.problems).catch((error: unknown) => {
      // A problem of the user's file: one line, no stack.
      throw error instanceof ProblemsFileError ? new Error(error.message) : error
    })
    const apiKey = args.apiKey ?? process.env.OPENAI_API_KEY
    if ((args.llmUrl === undefined) !== (args.model === undefined)) throw new Error('give both --llm-url and --model')
    if ((args.policyUrl === undefined) !== (args.policyModel === undefined)) throw new Error('give both --policy-url and --policy-model')
    if (!(args.maxSolveRate >= 0 && args.maxSolveRate <= 1)) throw new Error('--max-solve-rate must be between 0 and 1')
    if (!(args.maxErrorFraction >= 0 && args.maxErrorFraction <= 1)) throw new Error('--max-error-fraction must be between 0 and 1')
    const concurrency = positiveInteger('concurrency', args.concurrency)
    const llm: LlmSettings | undefined = args.llmUrl === undefined || args.model === undefined
      ? undefined
      : {
          ...defaultLlmSettings,
          url: args.llmUrl,
          model: args.model,
          temperature: args.temperature,
          seed: args.seed,
          maxTokens: positiveInteger('max-tokens', args.maxTokens),
          requestTimeoutMs: positiveInteger('request-timeout-ms', args.requestTimeoutMs),
          maxRetries: args.maxRetries,
          concurrency,
          ...(apiKey === undefined ? {} : { apiKey }),
        }
    const policy = args.policyUrl === undefined || args.policyModel === undefined
      ? undefined
      : new RolloutReferencePolicy({
        ...defaultPolicySettings,
        url: args.policyUrl,
        model: args.policyModel,
        temperature: args.policyTemperature,
        ...(args.policyMaxSteps === undefined ? {} : { maxSteps: positiveInteger('policy-max-steps', args.policyMaxSteps) }),
        concurrency,
        ...(apiKey === undefined ? {} : { apiKey }),
      }, serveEnvInProcess)
    const { report, envsDir } = await runSynth({
      problems,
      outDir: args.out,
      limits: {
        k: positiveInteger('k', args.k),
        minCalls: args.minCalls,
        maxCalls: args.maxCalls,
        minTools: args.minTools,
        inputsPerDifficulty: positiveInteger('inputs-per-difficulty', args.inputsPerDifficulty),
        difficultyTries: positiveInteger('difficulty-tries', args.difficultyTries),
        maxSolveRate: args.maxSolveRate,
        concurrency,
      },
      ...(llm === undefined ? {} : { llm }),
      ...(policy === undefined ? {} : { policy }),
      ...(args.stages === undefined ? {} : { stages: args.stages as SynthStage[] }),
      ...(args.forceStage === undefined ? {} : { forceStage: args.forceStage as SynthStage }),
      log: (line) => console.error(line),
    })
    console.log(formatReport(report))
    console.log(`\n${report.kept.length} envs kept in ${envsDir}`)
    // The reports are written either way; a run whose problems failed (rather than were rejected) fails.
    const errors = report.problems.filter((problem) => problem.outcome === 'error')
    if (report.problemsIn > 0 && errors.length / report.problemsIn > args.maxErrorFraction) {
      const first = errors[0]!
      throw new Error(`${errors.length} of ${report.problemsIn} problems ended in error, more than --max-error-fraction ${args.maxErrorFraction}; e.g. ${first.id}: ${first.reason?.code ?? 'error'}${first.detail === undefined ? '' : `: ${first.detail}`}`)
    }
  })
}
