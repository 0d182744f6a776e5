// vLLM's `/v1/completions` with a token-id prompt (vLLM ≥ 0.10): `prompt` is a list of ids,
// `return_token_ids: true` returns the sampled ids as `choices[0].token_ids`, and `logprobs: 1`
// returns each sampled token's log-prob as `choices[0].logprobs.token_logprobs`. Sampling controls
// go in vLLM's own field names; a stop string stays in the output, as its tokens were sampled.
import { postJson, serverRoot, type RetryPolicy } from './http.ts'
import { malformed, numbersAt, objectAt } from './parse.ts'
import { sharedSamplingFields, type SamplingParams, type TokenBackend, type TokenGeneration } from './types.ts'

export function completionsBackend (baseUrl: string, model: string, retry: RetryPolicy): TokenBackend {
  const url = `${serverRoot(baseUrl)}/v1/completions`
  return {
    url: baseUrl,
    async generate (promptIds: readonly number[], stopTokenIds: readonly number[], sampling: SamplingParams): Promise<TokenGeneration> {
      const body = {
        model,
        prompt: promptIds,
        max_tokens: sampling.maxTokens,
        ...sharedSamplingFields(sampling),
        ...(sampling.stop.length > 0 ? { stop: sampling.stop, include_stop_str_in_output: true } : {}),
        seed: sampling.seed,
        n: 1,
        logprobs: 1,
        return_token_ids: true,
        stop_token_ids: stopTokenIds,
        skip_special_tokens: false,
      }
      const answer = objectAt(await postJson(url, body, retry), url, 'a JSON object')
      if (!Array.isArray(answer.choices) || answer.choices.length === 0) throw malformed(url, 'choices[0]')
      const choice = objectAt(answer.choices[0], url, 'choices[0]')
      const ids = numbersAt(choice.token_ids, url, 'choices[0].token_ids (is return_token_ids supported? vLLM ≥ 0.10)')
      const logprobs = objectAt(choice.logprobs, url, 'choices[0].logprobs')
      const logProbs = numbersAt(logprobs.token_logprobs, url, 'choices[0].logprobs.token_logprobs')
      if (logProbs.length !== ids.length) throw malformed(url, `one log-prob per token (${ids.length} tokens, ${logProbs.length} log-probs)`)
      return { ids, logProbs, finishReason: choice.finish_reason === 'length' ? 'length' : 'stop' }
    },
  }
}
