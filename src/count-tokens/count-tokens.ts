/**
 * Token counting (`POST /v1/messages/count_tokens`, Gemini `:countTokens`): the model resolves like
 * a chat model; when the route's first target has a counting API (Anthropic count_tokens, Bedrock
 * CountTokens, Gemini countTokens) it answers, with that target's retries and key rotation;
 * otherwise — or when that call fails — the gateway estimates locally (estimate-tokens.ts) and says
 * so, so a client always gets a count.
 */
import { toGatewayError } from '../core/errors.js';
import type { CoreRequest } from '../core/request.js';
import type { Logger } from '../observability/logger.js';
import type { CircuitBreakers } from '../routing/circuit-breaker.js';
import type { Clock } from '../routing/clock.js';
import { executeChain } from '../routing/execute-chain.js';
import type { Runtime, Target } from '../routing/runtime.js';
import { estimateInputTokens, ESTIMATE_TOKENIZER } from './estimate-tokens.js';

export interface CountTokensInput {
  runtime: Runtime;
  request: CoreRequest;
  signal: AbortSignal;
  logger: Logger;
  clock: Clock;
  breakers?: CircuitBreakers;
  deadlineAt: number;
}

export interface TokenCount {
  inputTokens: number;
  /** The target asked (its counting API), or whose route was estimated. */
  target: Target;
  /** Set when estimated locally: the tokenizer and why the upstream was not asked. */
  estimate?: { tokenizer: string; reason: string };
}

export async function countTokens(input: CountTokensInput): Promise<TokenCount> {
  const { request } = input;
  // Throws GW_ERR_UNKNOWN_MODEL for a model that is neither an alias nor provider/model.
  const target = input.runtime.resolve(request.model)[0]!;
  const estimated = async (reason: string): Promise<TokenCount> => ({ inputTokens: await estimateInputTokens(request), target, estimate: { tokenizer: ESTIMATE_TOKENIZER, reason } });
  const adapter = target.provider.adapter;
  if (!adapter.countTokens) return estimated(`provider type ${target.provider.type} has no token counting API`);
  try {
    const success = await executeChain<number>({
      targets: [target],
      attempt: (t, ctx) => t.provider.adapter.countTokens!(request, ctx),
      deadlineAt: input.deadlineAt,
      signal: input.signal,
      logger: input.logger,
      clock: input.clock,
      ...(input.breakers ? { breakers: input.breakers } : {}),
    });
    success.release();
    return { inputTokens: success.answer, target };
  } catch (e) {
    if (input.signal.aborted) throw e;
    const err = toGatewayError(e);
    input.logger.warn({ target: target.label, code: err.code, message: err.message }, 'upstream token counting failed; answering with an estimate');
    return estimated(`${target.label} count failed (${err.code})`);
  }
}
