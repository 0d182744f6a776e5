// Loads an env package folder (env.json, env.js, tasks.jsonl, oracle.js) into an EnvSpec.
import { readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { EnvLoadError } from '../contract/errors.ts'
import { readOptionalText } from '../contract/read-optional.ts'
import { compileEnvSchema, validateManifest, validateTask, type Validator } from '../schemas/validate.ts'
import type { EnvManifest, JsonObject, Task, ToolDescriptor } from '../schemas/env.generated.ts'
import { builtinToolNames, doneTool, observeTool } from '../contract/builtin-tools.ts'

export const envPackageFiles = Object.freeze({
  manifest: 'env.json',
  module: 'env.js',
  tasks: 'tasks.jsonl',
  oracle: 'oracle.js',
})

/** T_max when neither the reset options nor the manifest set one (the paper's limit). */
export const defaultMaxSteps = 256

/** Everything the host needs to run an env, checked once at load. */
export interface EnvSpec {
  readonly manifest: EnvManifest
  readonly dir: string
  /** env.js, run only inside the sandbox. */
  readonly source: string
  /** oracle.js, when the package has one. */
  readonly oracleSource: string | undefined
  /** Fixed tasks from tasks.jsonl, by id, in file order. */
  readonly tasks: ReadonlyMap<string, Task>
  /** The env's tools, then Observe and Done: what an agent is shown. */
  readonly tools: readonly ToolDescriptor[]
  /** Parameter validators for the env's tools and Done (Observe takes no parameters). */
  readonly parameterValidators: ReadonlyMap<string, Validator<JsonObject>>
  readonly validateConfig: Validator<JsonObject>
  readonly defaultMaxSteps: number
}

export async function loadEnvPackage (dir: string): Promise<EnvSpec> {
  const manifest = await readManifest(dir)
  const source = await readFile(join(dir, envPackageFiles.module), 'utf8').catch(() => {
    throw new EnvLoadError(dir, `missing ${envPackageFiles.module}`)
  })
  checkModuleSyntax(dir, source, envPackageFiles.module)
  const oracleSource = await readOptionalText(join(dir, envPackageFiles.oracle))
  if (oracleSource !== undefined) checkModuleSyntax(dir, oracleSource, envPackageFiles.oracle)

  const tools = [...manifest.tools, observeTool, doneTool(manifest.answer)]
  const parameterValidators = new Map<string, Validator<JsonObject>>()
  for (const tool of tools) {
    if (parameterValidators.has(tool.name)) throw new EnvLoadError(dir, `tool ${tool.name} is declared twice`)
    parameterValidators.set(tool.name, compileSchema(dir, tool.parameters, 'parameters', `the parameters of ${tool.name}`))
  }
  const validateConfig = compileSchema(dir, manifest.config, 'config', 'config')
  const tasks = await readTasks(dir, manifest, validateConfig)
  return {
    manifest,
    dir,
    source,
    oracleSource,
    tasks,
    tools,
    parameterValidators,
    validateConfig,
    defaultMaxSteps: manifest.maxSteps ?? defaultMaxSteps,
  }
}

/** Every folder under envsDir that holds an env.json, sorted by name. */
export async function findEnvPackages (envsDir: string): Promise<string[]> {
  const entries = await readdir(envsDir, { withFileTypes: true })
  const dirs: string[] = []
  for (const entry of entries) {
    if (!entry.isDirectory()) continue
    const dir = join(envsDir, entry.name)
    if (await stat(join(dir, envPackageFiles.manifest)).then(() => true, () => false)) dirs.push(dir)
  }
  return dirs.sort()
}

async function readManifest (dir: string): Promise<EnvManifest> {
  const text = await readFile(join(dir, envPackageFiles.manifest), 'utf8').catch(() => {
    throw new EnvLoadError(dir, `missing ${envPackageFiles.manifest}`)
  })
  let manifest: unknown
  try {
    manifest = JSON.parse(text)
  } catch (error) {
    throw new EnvLoadError(dir, `${envPackageFiles.manifest} is not JSON: ${(error as Error).message}`)
  }
  if (!validateManifest(manifest)) throw new EnvLoadError(dir, validateManifest.lastError)
  for (const tool of manifest.tools) {
    if (builtinToolNames.includes(tool.name)) throw new EnvLoadError(dir, `tool ${tool.name} is built in and may not be declared`)
    const declared = Object.keys(tool.parameters.properties)
    for (const name of tool.parameters.required ?? []) {
      if (!declared.includes(name)) throw new EnvLoadError(dir, `tool ${tool.name} requires an undeclared parameter ${name}`)
    }
  }
  return manifest
}

async function readTasks (dir: string, manifest: EnvManifest, validateConfig: Validator<JsonObject>): Promise<Map<string, Task>> {
  const tasks = new Map<string, Task>()
  const text = await readOptionalText(join(dir, envPackageFiles.tasks))
  if (text === undefined) return tasks
  const lines = text.split('\n')
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue
    const where = `${envPackageFiles.tasks} line ${index + 1}`
    let task: unknown
    try {
      task = JSON.parse(line)
    } catch (error) {
      throw new EnvLoadError(dir, `${where} is not JSON: ${(error as Error).message}`)
    }
    if (!validateTask(task)) throw new EnvLoadError(dir, `${where}: ${validateTask.lastError}`)
    if (tasks.has(task.id)) throw new EnvLoadError(dir, `${where}: task id ${task.id} is used twice`)
    if (task.difficulty !== undefined && !manifest.difficulties.includes(task.difficulty)) {
      throw new EnvLoadError(dir, `${where}: unknown difficulty ${task.difficulty}`)
    }
    if (!validateConfig(task.config)) throw new EnvLoadError(dir, `${where}: ${validateConfig.lastError}`)
    tasks.set(task.id, task)
  }
  return tasks
}

function compileSchema (dir: string, schema: object, subject: string, what: string): Validator<JsonObject> {
  try {
    return compileEnvSchema<JsonObject>(schema, subject)
  } catch (error) {
    throw new EnvLoadError(dir, `${what} is not a valid JSON Schema: ${(error as Error).message}`)
  }
}

// Parsing here only reports syntax errors early; the code itself runs only in the sandbox.
function checkModuleSyntax (dir: string, source: string, file: string): void {
  try {
    new Function('module', 'exports', '"use strict";\n' + source)
  } catch (error) {
    throw new EnvLoadError(dir, `${file} does not parse: ${(error as Error).message}`)
  }
}

