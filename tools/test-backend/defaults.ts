// Every default and limit of the test backend, in one table.
export const testBackendDefaults = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  /**
   * Connections the kernel queues before the server accepts them. A GRPO client opens thousands at
   * once; Node's default (511) drops the rest of the SYNs, and their retransmits (1 s, 3 s, 7 s ...)
   * stalled whole batches for up to two minutes. The kernel caps it at net.core.somaxconn.
   */
  listenBacklog: 4096,
  model: 'codegym-test-model',
  latencyMs: 0,
  perTokenLatencyMs: 0,
  maxContextTokens: 32_768,
  maxRequestBytes: 16 * 1024 * 1024,
  /** vLLM's and OpenAI's default `max_tokens` for /v1/completions. */
  completionsMaxTokens: 16,
  /** SGLang's default `sampling_params.max_new_tokens` for /generate. */
  generateMaxNewTokens: 128,
  /** Prompt pieces (one chat turn each) kept encoded, and as many kept decoded. */
  promptCacheEntries: 4096,
  /** The most alternatives `logprobs` / `top_logprobs` may ask for, as in OpenAI's API. */
  maxLogprobs: 20,
  /** The built-in policy calls Done after between this many turns... */
  minTurnsBeforeDone: 2,
  /** ...and this many. */
  maxTurnsBeforeDone: 5,
})
