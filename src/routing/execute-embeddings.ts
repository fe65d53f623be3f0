/**
 * Runs one embeddings request over its ordered targets: a target whose provider has no
 * embeddings API is skipped as GW_ERR_UNSUPPORTED; retryable failures are retried on the same
 * target (another key first for 401/403/429) within the provider's retry budget, then the next
 * target is tried; one deadline covers everything. Simpler than the chat chain: no streams, no
 * hedging, no circuit breakers.
 */
import type { EmbeddingsRequest, EmbeddingsResponse } from '../core/embeddings.js';
import { GatewayError, toGatewayError } from '../core/errors.js';
import type { ErrorCode } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import { backoffDelay } from './backoff.js';
import type { Clock } from './clock.js';
import { MIN_ATTEMPT_MS, summarize } from './execute-chain.js';
import type { AttemptRecord } from './execute-chain.js';
import type { Target } from './runtime.js';

export interface EmbeddingsChainInput {
  targets: readonly Target[];
  request: EmbeddingsRequest;
  deadlineAt: number;
  signal: AbortSignal;
  logger: Logger;
  clock: Clock;
  random?: () => number;
}

export interface EmbeddingsChainSuccess {
  target: Target;
  response: EmbeddingsResponse;
  attempts: AttemptRecord[];
  fallbackIndex: number;
}

/** The request's own fault: no other target would do better. */
const FINAL = new Set<ErrorCode>(['GW_ERR_UPSTREAM_BAD_REQUEST', 'GW_ERR_INVALID_REQUEST', 'GW_ERR_CLIENT_CLOSED', 'GW_ERR_DEADLINE_EXCEEDED', 'GW_ERR_INTERNAL']);
const NEXT_TARGET_ONLY = new Set<ErrorCode>(['GW_ERR_UPSTREAM_NOT_FOUND', 'GW_ERR_UNSUPPORTED', 'GW_ERR_UPSTREAM_AUTH']);
const KEY_ERRORS = new Set<ErrorCode>(['GW_ERR_UPSTREAM_AUTH', 'GW_ERR_UPSTREAM_RATE_LIMITED']);

export async function executeEmbeddings(input: EmbeddingsChainInput): Promise<EmbeddingsChainSuccess> {
  const { targets, request, deadlineAt, signal, clock } = input;
  const random = input.random ?? Math.random;
  const attempts: AttemptRecord[] = [];
  let lastError: GatewayError | undefined;

  for (let i = 0; i < targets.length; i++) {
    const target = targets[i]!;
    const { provider } = target;
    const adapter = provider.adapter;
    if (!adapter.embed) {
      lastError = new GatewayError('GW_ERR_UNSUPPORTED', `${provider.name}: provider type ${provider.type} has no embeddings API`, { provider: provider.name });
      attempts.push({ target: target.label, outcome: 'skipped', code: lastError.code, message: lastError.message, durationMs: 0 });
      continue;
    }
    const avoidKeys = new Set<string>();
    let retriesLeft = provider.retries.max;
    let retryNumber = 0;
    for (;;) {
      if (signal.aborted) throw clientClosed();
      const remaining = deadlineAt - clock.now();
      if (remaining < MIN_ATTEMPT_MS) throw deadlineError(attempts);
      const key = provider.keys.pick(target.model, avoidKeys);
      if (!key && provider.keys.size > 0) {
        lastError = new GatewayError('GW_ERR_UNSUPPORTED', `${provider.name}: no key is configured for model "${target.model}"`, { provider: provider.name });
        attempts.push({ target: target.label, outcome: 'skipped', code: lastError.code, message: lastError.message, durationMs: 0 });
        break;
      }
      const started = clock.now();
      const ctrl = new AbortController();
      const onAbort = () => ctrl.abort(clientClosed());
      signal.addEventListener('abort', onAbort, { once: true });
      const timer = clock.setTimeout(() => ctrl.abort(deadlineError([])), remaining);
      let err: GatewayError;
      try {
        const t = provider.timeouts;
        const response = await adapter.embed(request, {
          model: target.model,
          key: key ?? { id: `${provider.name}#none`, value: '' },
          signal: ctrl.signal,
          timeouts: { connectMs: Math.min(t.connectMs, remaining), firstByteMs: Math.min(t.firstByteMs, remaining), idleMs: t.idleMs },
          logger: input.logger,
        });
        attempts.push({ target: target.label, keyId: key?.id ?? '', outcome: 'ok', durationMs: clock.now() - started });
        return { target, response, attempts, fallbackIndex: i };
      } catch (e) {
        err = toGatewayError(e);
        if (ctrl.signal.reason instanceof GatewayError && err.code === 'GW_ERR_INTERNAL') err = ctrl.signal.reason;
      } finally {
        clock.clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      }
      lastError = err;
      const record: AttemptRecord = { target: target.label, outcome: 'error', code: err.code, status: err.upstreamStatus ?? err.status, message: err.message, durationMs: clock.now() - started };
      if (key) record.keyId = key.id;
      attempts.push(record);
      input.logger.warn({ target: target.label, keyId: key?.id, code: err.code, status: err.upstreamStatus }, 'embeddings attempt failed');
      if (err.code === 'GW_ERR_DEADLINE_EXCEEDED') throw deadlineError(attempts);
      if (FINAL.has(err.code)) throw err;
      if (key && KEY_ERRORS.has(err.code)) {
        avoidKeys.add(key.id);
        if (provider.keys.hasOther(target.model, avoidKeys) && retriesLeft > 0) {
          retriesLeft--;
          continue;
        }
      }
      if (NEXT_TARGET_ONLY.has(err.code) || !err.retryable || retriesLeft <= 0) break;
      let wait = backoffDelay(retryNumber, provider.retries.backoffInitialMs, provider.retries.backoffMaxMs, random);
      if (err.retryAfterMs !== undefined) wait = Math.max(wait, err.retryAfterMs);
      if (clock.now() + wait + MIN_ATTEMPT_MS >= deadlineAt) break;
      retriesLeft--;
      retryNumber++;
      if (wait > 0) {
        try {
          await clock.sleep(wait, signal);
        } catch {
          throw clientClosed();
        }
      }
    }
  }

  if (!lastError) throw new GatewayError('GW_ERR_ALL_TARGETS_FAILED', 'no target could be tried');
  if (attempts.length <= 1) throw lastError;
  throw new GatewayError('GW_ERR_ALL_TARGETS_FAILED', `all targets failed: ${summarize(attempts)}`, {
    status: lastError.status,
    ...(lastError.retryAfterMs !== undefined ? { retryAfterMs: lastError.retryAfterMs } : {}),
  });
}

function clientClosed(): GatewayError {
  return new GatewayError('GW_ERR_CLIENT_CLOSED', 'the client closed the connection');
}

function deadlineError(attempts: AttemptRecord[]): GatewayError {
  const tried = attempts.length ? `; tried: ${summarize(attempts)}` : '';
  return new GatewayError('GW_ERR_DEADLINE_EXCEEDED', `deadline exceeded before any target answered${tried}`);
}
