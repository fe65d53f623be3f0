/**
 * What one chat attempt does: send to the provider and, for a stream, hold it at its commit point
 * (first content). A non-stream client request is streamed from upstream when the provider allows
 * (first byte = first token) and assembled here, so a failure before it is complete still retries.
 */
import type { CoreRequest } from '../core/request.js';
import type { ProviderResult } from '../providers/provider-adapter.js';
import { collectResponse } from '../providers/shared/collect-response.js';
import { peekBeforeCommit } from '../providers/shared/peek-before-commit.js';
import type { PeekedStream } from '../providers/shared/peek-before-commit.js';
import type { Attempt } from './execute-chain.js';
import type { Target } from './runtime.js';

export interface ChatAnswer {
  result: ProviderResult;
  /** For streams: the upstream stream held at its commit point. */
  peeked?: PeekedStream;
}

function upstreamRequest(request: CoreRequest, target: Target): CoreRequest {
  if (request.stream || !target.provider.streamUpstream) return request;
  return { ...request, stream: true, raw: { ...request.raw, stream: true } };
}

export function chatAttempt(request: CoreRequest): Attempt<ChatAnswer> {
  return async (target, ctx, committed) => {
    const result = await target.provider.adapter.send(upstreamRequest(request, target), ctx);
    if (result.kind !== 'stream') return { result };
    const peeked = await peekBeforeCommit(result.stream);
    committed();
    if (request.stream) return { result, peeked };
    const response = await collectResponse(peeked);
    return { result: { kind: 'response', response, ...(result.unmapped ? { unmapped: result.unmapped } : {}) } };
  };
}
