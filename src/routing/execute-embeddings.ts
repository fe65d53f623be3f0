/**
 * Runs one embeddings request over its ordered targets with the same chain as chat (retries, key
 * rotation, fallback, breakers, one deadline); a target whose provider has no embeddings API is
 * skipped as GW_ERR_UNSUPPORTED.
 */
import type { EmbeddingsRequest, EmbeddingsResponse } from '../core/embeddings.js';
import { GatewayError } from '../core/errors.js';
import { executeChain } from './execute-chain.js';
import type { AttemptRecord, ChainInput } from './execute-chain.js';
import type { Target } from './runtime.js';

export type EmbeddingsChainInput = Omit<ChainInput<EmbeddingsResponse>, 'attempt' | 'unsupported'> & { request: EmbeddingsRequest };

export interface EmbeddingsChainSuccess {
  target: Target;
  response: EmbeddingsResponse;
  attempts: AttemptRecord[];
  fallbackIndex: number;
}

export async function executeEmbeddings(input: EmbeddingsChainInput): Promise<EmbeddingsChainSuccess> {
  const { request, ...rest } = input;
  const success = await executeChain<EmbeddingsResponse>({
    ...rest,
    attempt: (target, ctx) => target.provider.adapter.embed!(request, ctx),
    unsupported: ({ provider }) =>
      provider.adapter.embed
        ? undefined
        : new GatewayError('GW_ERR_UNSUPPORTED', `${provider.name}: provider type ${provider.type} has no embeddings API`, { provider: provider.name }),
  });
  success.release();
  return { target: success.target, response: success.answer, attempts: success.attempts, fallbackIndex: success.fallbackIndex };
}
