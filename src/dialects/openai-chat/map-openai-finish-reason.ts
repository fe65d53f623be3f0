import type { FinishReason, Usage } from '../../core/response.js';

/** Canonical finish reason → OpenAI `finish_reason`. */
export function toOpenAIFinishReason(reason: FinishReason): string {
  switch (reason) {
    case 'length':
      return 'length';
    case 'tool-calls':
      return 'tool_calls';
    case 'content-filter':
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/** Canonical usage → OpenAI `usage` (prompt_tokens include cached tokens, as OpenAI counts them). */
export function toOpenAIUsage(u: Partial<Usage>) {
  const prompt = u.inputTokens ?? 0;
  const completion = u.outputTokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: u.cachedInputTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0 },
  };
}
