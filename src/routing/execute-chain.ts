/**
 * Runs one request over its ordered targets: retries with backoff on the same target, key
 * rotation on 401/403/429, fallback to the next target, circuit breakers, and one deadline over
 * everything. A stream counts as answered only at its commit point (first content), so an error
 * sent as the first event still falls back.
 */
import { GatewayError, toGatewayError } from '../core/errors.js';
import type { ErrorCode } from '../core/errors.js';
import type { CoreRequest } from '../core/request.js';
import type { Logger } from '../observability/logger.js';
import type { ProviderResult } from '../providers/provider-adapter.js';
import { peekBeforeCommit } from '../providers/shared/peek-before-commit.js';
import type { PeekedStream } from '../providers/shared/peek-before-commit.js';
import { backoffDelay } from './backoff.js';
import type { CircuitBreakers } from './circuit-breaker.js';
import type { Clock } from './clock.js';
import type { Target } from './runtime.js';

/** No attempt starts with less than this left of the deadline. */
export const MIN_ATTEMPT_MS = 50;

export interface AttemptRecord {
  target: string;
  keyId?: string;
  outcome: 'ok' | 'error' | 'skipped';
  code?: ErrorCode;
  status?: number;
  message?: string;
  durationMs: number;
}

export interface ChainInput {
  targets: readonly Target[];
  request: CoreRequest;
  /** Absolute time (clock.now() scale) by which an answer must have started. */
  deadlineAt: number;
  /** The client's signal: aborts everything when the client goes away. */
  signal: AbortSignal;
  logger: Logger;
  clock: Clock;
  breakers?: CircuitBreakers;
  random?: () => number;
  /** Receives the attempt list as soon as it exists, so a failure can still be logged with it. */
  onAttempts?: (attempts: AttemptRecord[]) => void;
}

export interface ChainSuccess {
  target: Target;
  result: ProviderResult;
  /** For streams: the upstream stream held at its commit point. */
  peeked?: PeekedStream;
  attempts: AttemptRecord[];
  /** Index of the answering target in the chain (0 = primary). */
  fallbackIndex: number;
  /** Stops listening to the client signal; call when the response is finished. */
  release(): void;
}

/** Errors after which the next target is tried, but not the same one again. */
const NEXT_TARGET_ONLY = new Set<ErrorCode>(['GW_ERR_UPSTREAM_NOT_FOUND', 'GW_ERR_UNSUPPORTED', 'GW_ERR_UPSTREAM_AUTH']);
/** Errors that are the request's own fault: no other target would do better. */
const FINAL = new Set<ErrorCode>(['GW_ERR_UPSTREAM_BAD_REQUEST', 'GW_ERR_INVALID_REQUEST', 'GW_ERR_CLIENT_CLOSED', 'GW_ERR_DEADLINE_EXCEEDED', 'GW_ERR_INTERNAL']);
/** Errors that say the key, not the target, is the problem: rotate keys first. */
const KEY_ERRORS = new Set<ErrorCode>(['GW_ERR_UPSTREAM_AUTH', 'GW_ERR_UPSTREAM_RATE_LIMITED']);

export async function executeChain(input: ChainInput): Promise<ChainSuccess> {
  const { targets, request, deadlineAt, signal, clock, breakers } = input;
  const random = input.random ?? Math.random;
  const attempts: AttemptRecord[] = [];
  input.onAttempts?.(attempts);
  let lastError: GatewayError | undefined;

  const order = planOrder(targets, breakers, attempts, clock);

  for (const i of order) {
    const target = targets[i]!;
    const { provider } = target;
    const avoidKeys = new Set<string>();
    let retriesLeft = provider.retries.max;
    let retryNumber = 0;

    for (;;) {
      if (signal.aborted) throw clientClosed();
      const remaining = deadlineAt - clock.now();
      if (remaining < MIN_ATTEMPT_MS) throw deadlineError(attempts, input);
      const key = provider.keys.pick(target.model, avoidKeys);
      if (!key && provider.keys.size > 0) {
        lastError = new GatewayError('GW_ERR_UNSUPPORTED', `${provider.name}: no key is configured for model "${target.model}"`, { provider: provider.name });
        attempts.push({ target: target.label, outcome: 'skipped', code: lastError.code, message: lastError.message, durationMs: 0 });
        break;
      }
      const started = clock.now();
      const attempt = await runAttempt(input, target, key ?? { id: `${provider.name}#none`, value: '' }, remaining);
      const durationMs = clock.now() - started;
      if (attempt.ok) {
        breakers?.success(target.label);
        attempts.push({ target: target.label, keyId: key?.id ?? '', outcome: 'ok', durationMs });
        return { target, result: attempt.result, ...(attempt.peeked ? { peeked: attempt.peeked } : {}), attempts, fallbackIndex: i, release: attempt.release };
      }
      const err = attempt.error;
      lastError = err;
      const record: AttemptRecord = { target: target.label, outcome: 'error', code: err.code, status: err.upstreamStatus ?? err.status, message: err.message, durationMs };
      if (key) record.keyId = key.id;
      attempts.push(record);
      input.logger.warn({ target: target.label, keyId: key?.id, code: err.code, status: err.upstreamStatus, durationMs }, 'upstream attempt failed');

      if (err.code === 'GW_ERR_CLIENT_CLOSED') throw err;
      if (err.code === 'GW_ERR_DEADLINE_EXCEEDED') throw deadlineError(attempts, input);
      if (FINAL.has(err.code)) throw err;
      if (err.retryable || err.code === 'GW_ERR_UPSTREAM_AUTH') breakers?.failure(target.label);

      // A key problem: another key of the same provider first, at once.
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
      // Not worth waiting if the wait eats the deadline: move on to the next target.
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

  if (!lastError) {
    throw new GatewayError('GW_ERR_ALL_TARGETS_FAILED', 'no target could be tried', {});
  }
  if (attempts.filter((a) => a.outcome === 'error').length <= 1 && attempts.length <= 1) throw lastError;
  throw new GatewayError('GW_ERR_ALL_TARGETS_FAILED', `all targets failed: ${summarize(attempts)}`, {
    status: lastError.status,
    ...(lastError.retryAfterMs !== undefined ? { retryAfterMs: lastError.retryAfterMs } : {}),
  });
}

/**
 * Target order for this request: targets whose breaker is open are skipped (recorded); when every
 * target is open, the one closest to recovery is tried rather than failing at once.
 */
function planOrder(targets: readonly Target[], breakers: CircuitBreakers | undefined, attempts: AttemptRecord[], clock: Clock): number[] {
  if (!breakers) return targets.map((_, i) => i);
  const order: number[] = [];
  const skipped: number[] = [];
  targets.forEach((t, i) => {
    if (breakers.tryAcquire(t.label)) order.push(i);
    else skipped.push(i);
  });
  if (order.length === 0 && skipped.length > 0) {
    let best = skipped[0]!;
    for (const i of skipped) if (breakers.msUntilRetry(targets[i]!.label) < breakers.msUntilRetry(targets[best]!.label)) best = i;
    breakers.force(targets[best]!.label);
    order.push(best);
  }
  for (const i of skipped) {
    if (order.includes(i)) continue;
    attempts.push({ target: targets[i]!.label, outcome: 'skipped', message: 'circuit open', durationMs: 0 });
  }
  void clock;
  return order;
}

type AttemptOutcome =
  | { ok: true; result: ProviderResult; peeked?: PeekedStream; release: () => void }
  | { ok: false; error: GatewayError };

async function runAttempt(input: ChainInput, target: Target, key: { id: string; value: string }, remaining: number): Promise<AttemptOutcome> {
  const { clock, signal } = input;
  const t = target.provider.timeouts;
  const ctrl = new AbortController();
  const onClientAbort = () => ctrl.abort(clientClosed());
  signal.addEventListener('abort', onClientAbort, { once: true });
  const timer = clock.setTimeout(() => ctrl.abort(deadlineError([], input)), remaining);
  const release = () => signal.removeEventListener('abort', onClientAbort);
  try {
    const result = await target.provider.adapter.send(input.request, {
      model: target.model,
      key,
      signal: ctrl.signal,
      timeouts: { connectMs: Math.min(t.connectMs, remaining), firstByteMs: Math.min(t.firstByteMs, remaining), idleMs: t.idleMs },
      logger: input.logger,
    });
    if (result.kind === 'stream') {
      const peeked = await peekBeforeCommit(result.stream);
      clock.clearTimeout(timer);
      return { ok: true, result, peeked, release };
    }
    clock.clearTimeout(timer);
    release();
    return { ok: true, result, release: () => {} };
  } catch (e) {
    clock.clearTimeout(timer);
    release();
    ctrl.abort();
    const err = toGatewayError(e);
    if (ctrl.signal.reason instanceof GatewayError && err.code === 'GW_ERR_INTERNAL') return { ok: false, error: ctrl.signal.reason };
    return { ok: false, error: err };
  }
}

function clientClosed(): GatewayError {
  return new GatewayError('GW_ERR_CLIENT_CLOSED', 'the client closed the connection');
}

function deadlineError(attempts: AttemptRecord[], input: ChainInput): GatewayError {
  const tried = attempts.length ? `; tried: ${summarize(attempts)}` : '';
  void input;
  return new GatewayError('GW_ERR_DEADLINE_EXCEEDED', `deadline exceeded before any target answered${tried}`);
}

export function summarize(attempts: AttemptRecord[]): string {
  return attempts
    .map((a) => (a.outcome === 'skipped' ? `${a.target} skipped (${a.message ?? ''})` : `${a.target} ${a.code ?? 'ok'}${a.status ? ` ${a.status}` : ''} in ${a.durationMs} ms`))
    .join('; ');
}
