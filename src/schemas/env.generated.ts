/* Generated from schemas/ by scripts/gen-types.ts. Do not edit; run `npm run gen:types`. */

/**
 * Any JSON value: null, boolean, finite number, string, array or object with string keys, nested. MessagePack bin is not a JsonValue.
 *
 * This interface was referenced by `CodeGymEnvSchemas`'s JSON-Schema
 * via the `definition` "JsonValue".
 */
export type JsonValue = unknown
/**
 * Versioned environment id: '<namespace>/<name>-v<major>'.
 *
 * This interface was referenced by `CodeGymEnvSchemas`'s JSON-Schema
 * via the `definition` "EnvId".
 */
export type EnvId = string
/**
 * A tool name that OpenAI-compatible backends accept as a function name.
 *
 * This interface was referenced by `CodeGymEnvSchemas`'s JSON-Schema
 * via the `definition` "ToolName".
 */
export type ToolName = string
/**
 * This interface was referenced by `CodeGymEnvSchemas`'s JSON-Schema
 * via the `definition` "Seed".
 */
export type Seed = number
/**
 * Why a step was rolled back. The state is exactly as before the step; the error text is the observation.
 *
 * This interface was referenced by `CodeGymEnvSchemas`'s JSON-Schema
 * via the `definition` "RollbackCode".
 */
export type RollbackCode =
  | 'invalid_action'
  | 'unknown_tool'
  | 'invalid_parameters'
  | 'tool_error'
  | 'cpu_time_limit'
  | 'wall_time_limit'
  | 'memory_limit'
  | 'not_json'
  | 'state_too_large'
  | 'observation_too_large'
  | 'sandbox_crashed'
/**
 * This interface was referenced by `CodeGymEnvSchemas`'s JSON-Schema
 * via the `definition` "EpisodeStatus".
 */
export type EpisodeStatus = 'running' | 'terminated' | 'truncated' | 'closed'
/**
 * Why the runtime refused a request. Unlike a RollbackCode, this is not an observation: the caller asked for something impossible.
 *
 * This interface was referenced by `CodeGymEnvSchemas`'s JSON-Schema
 * via the `definition` "RuntimeErrorCode".
 */
export type RuntimeErrorCode =
  | 'unknown_env'
  | 'unknown_task'
  | 'invalid_reset_options'
  | 'invalid_snapshot'
  | 'episode_ended'
  | 'episode_closed'
  | 'step_mismatch'
  | 'env_error'
  | 'sandbox_busy'

/**
 * Environment packages, actions and the episode runtime's inputs and outputs. Every TypeScript type and validator for these shapes is derived from this file.
 */
export interface CodeGymEnvSchemas {
  [k: string]: unknown | undefined
}
/**
 * A JSON object.
 *
 * This interface was referenced by `CodeGymEnvSchemas`'s JSON-Schema
 * via the `definition` "JsonObject".
 */
export interface JsonObject {
  [k: string]: unknown | undefined
}
/**
 * JSON Schema of a tool's parameters object (draft 2020-12 subset accepted by OpenAI function calling).
 *
 * This interface was referenced by `CodeGymEnvSchemas`'s JSON-Schema
 * via the `definition` "ParametersSchema".
 */
export interface ParametersSchema {
  type: 'object'
  properties: {
    [k: string]:
      | {
          description: string
        }
      | undefined
  }
  required?: string[]
  additionalProperties?: false
}
/**
 * One tool, shaped exactly like an OpenAI function definition: wrap it as {type: 'function', function: descriptor} for Chat Completions.
 *
 * This interface was referenced by `CodeGymEnvSchemas`'s JSON-Schema
 * via the `definition` "ToolDescriptor".
 */
export interface ToolDescriptor {
  name: ToolName
  description: string
  parameters: ParametersSchema
}
/**
 * Where the programming problem behind an env comes from, and under which licence.
 *
 * This interface was referenced by `CodeGymEnvSchemas`'s JSON-Schema
 * via the `definition` "Attribution".
 */
export interface Attribution {
  problem: string
  license: 'MIT' | 'Apache-2.0' | 'CC0-1.0' | 'original'
  author?: string
  url?: string
}
/**
 * env.json: everything the host knows about an environment without running its code.
 *
 * This interface was referenced by `CodeGymEnvSchemas`'s JSON-Schema
 * via the `definition` "EnvManifest".
 */
export interface EnvManifest {
  $schema?: string
  id: EnvId
  title: string
  category:
    | 'arrays'
    | 'strings'
    | 'hashing'
    | 'sorting-searching'
    | 'stacks-queues-heaps'
    | 'graphs-grids'
    | 'dynamic-programming'
    | 'math'
    | 'simulation'
    | 'intervals'
    | 'trees'
  /**
   * Task statement shown at reset. '{{key}}' is replaced by that key of the initial observation.
   */
  statement: string
  /**
   * The env's own tools. Observe and Done are added by the runtime and may not be declared here.
   *
   * @minItems 1
   * @maxItems 64
   */
  tools: ToolDescriptor[]
  /**
   * JSON Schema of the answer submitted with Done.
   */
  answer: {
    description: string
    [k: string]: unknown | undefined
  }
  /**
   * JSON Schema of a task config (the hidden problem instance).
   */
  config: {
    type: 'object'
    [k: string]: unknown | undefined
  }
  /**
   * Difficulty levels understood by generate(), easiest first.
   *
   * @minItems 1
   */
  difficulties: string[]
  /**
   * Default T_max for this env (tool calls before truncation).
   */
  maxSteps?: number
  source: Attribution
}
/**
 * One line of tasks.jsonl: a fixed task config.
 *
 * This interface was referenced by `CodeGymEnvSchemas`'s JSON-Schema
 * via the `definition` "Task".
 */
export interface Task {
  id: string
  difficulty?: string
  config: JsonObject
}
/**
 * One tool call, in the paper's format. A missing parameters object means {}.
 *
 * This interface was referenced by `CodeGymEnvSchemas`'s JSON-Schema
 * via the `definition` "Action".
 */
export interface Action {
  name: string
  parameters?: JsonObject
}
/**
 * Which task an episode plays: a fixed task by id, an explicit config, or one generated from a seed and a difficulty.
 *
 * This interface was referenced by `CodeGymEnvSchemas`'s JSON-Schema
 * via the `definition` "ResetOptions".
 */
export interface ResetOptions {
  task?: string
  config?: JsonObject
  seed?: Seed
  difficulty?: string
  maxSteps?: number
}
/**
 * This interface was referenced by `CodeGymEnvSchemas`'s JSON-Schema
 * via the `definition` "StepError".
 */
export interface StepError {
  code: RollbackCode
  message: string
}
/**
 * This interface was referenced by `CodeGymEnvSchemas`'s JSON-Schema
 * via the `definition` "StepInfo".
 */
export interface StepInfo {
  /**
   * Actions taken so far in this episode, this one included.
   */
  step: number
  /**
   * T_max: the episode is truncated when step reaches it.
   */
  maxSteps: number
  /**
   * The tool that was called, when the action named a known tool.
   */
  tool?: string
  /**
   * True when the call failed and the state was left as it was.
   */
  rolledBack: boolean
  error?: StepError
  /**
   * Set on Done: whether the submitted answer was right.
   */
  correct?: boolean
}
/**
 * What step() returns. observation is what the tool returned, or the error text when the step was rolled back.
 *
 * This interface was referenced by `CodeGymEnvSchemas`'s JSON-Schema
 * via the `definition` "StepResult".
 */
export interface StepResult {
  observation: JsonValue
  reward: 0 | 1
  /**
   * Done was called: the episode reached a terminal state.
   */
  terminated: boolean
  /**
   * T_max was reached without Done.
   */
  truncated: boolean
  info: StepInfo
}
/**
 * This interface was referenced by `CodeGymEnvSchemas`'s JSON-Schema
 * via the `definition` "ResetInfo".
 */
export interface ResetInfo {
  envId: EnvId
  /**
   * The task statement, with placeholders filled from the initial observation.
   */
  task: string
  /**
   * Every tool the agent may call, Observe and Done included.
   */
  tools: ToolDescriptor[]
  taskId?: string
  difficulty?: string
  seed: Seed
  step: 0
  maxSteps: number
}
/**
 * What reset() returns. observation is observe(state) of the initial state.
 *
 * This interface was referenced by `CodeGymEnvSchemas`'s JSON-Schema
 * via the `definition` "ResetResult".
 */
export interface ResetResult {
  observation: JsonValue
  info: ResetInfo
}
/**
 * The decoded content of an episode snapshot (the bytes are MessagePack of this object).
 *
 * This interface was referenced by `CodeGymEnvSchemas`'s JSON-Schema
 * via the `definition` "Snapshot".
 */
export interface Snapshot {
  format: 1
  envId: EnvId
  taskId?: string
  difficulty?: string
  seed?: Seed
  config: JsonObject
  truth: JsonValue
  /**
   * The committed env state, serialized JSON.
   */
  state: string
  step: number
  maxSteps: number
  status: 'running' | 'terminated' | 'truncated'
}
