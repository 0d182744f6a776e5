// SGLang's native `/generate`: `input_ids` in, `output_ids` out; `return_logprob: true` adds
// `meta_info.output_token_logprobs` as [logprob, token_id, text] triples, and
// `meta_info.finish_reason.type` says 'stop' or 'length'. Sampling controls go in `sampling_params`
// under SGLang's names; `no_stop_trim` keeps a matched stop string in the output.
import { postJson, serverRoot, type RetryPolicy } from './http.ts'
import { malformed, numbersAt, objectAt } from './parse.ts'
import { sharedSamplingFields, type SamplingParams, type TokenBackend, type TokenGeneration } from './types.ts'

export function sglangBackend (baseUrl: string, retry: RetryPolicy): TokenBackend {
  const url = `${serverRoot(baseUrl)}/generate`
  return {
    url: baseUrl,
    async generate (promptIds: readonly number[], stopTokenIds: readonly number[], sampling: SamplingParams): Promise<TokenGeneration> {
      const body = {
        input_ids: promptIds,
        sampling_params: {
          max_new_tokens: sampling.maxTokens,
          ...sharedSamplingFields(sampling),
          ...(sampling.stop.length > 0 ? { stop: sampling.stop, no_stop_trim: true } : {}),
          stop_token_ids: stopTokenIds,
          sampling_seed: sampling.seed,
          skip_special_tokens: false,
        },
        return_logprob: true,
      }
      const answer = objectAt(await postJson(url, body, retry), url, 'a JSON object')
      const ids = numbersAt(answer.output_ids, url, 'output_ids')
      const meta = objectAt(answer.meta_info, url, 'meta_info')
      if (!Array.isArray(meta.output_token_logprobs)) throw malformed(url, 'meta_info.output_token_logprobs')
      const logProbs = meta.output_token_logprobs.map((triple) => {
        if (!Array.isArray(triple) || typeof triple[0] !== 'number') throw malformed(url, 'a [logprob, token_id, text] triple in output_token_logprobs')
        return triple[0]
      })
      if (logProbs.length !== ids.length) throw malformed(url, `one log-prob per token (${ids.length} tokens, ${logProbs.length} log-probs)`)
      const finish = meta.finish_reason !== null && typeof meta.finish_reason === 'object' ? (meta.finish_reason as { type?: unknown }).type : undefined
      return { ids, logProbs, finishReason: finish === 'length' ? 'length' : 'stop' }
    },
  }
}
