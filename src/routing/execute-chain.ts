/**
 * Runs one request over its ordered targets: retries with backoff on the same target, key
 * rotation on 401/403/429, fallback to the next target, circuit breakers per target and per key,
 * optional hedging, and one deadline over everything. An answer counts at its commit point (the
 * first content event), so an error sent as the first stream event still falls back; the deadline
 * bounds reaching that point, not the length of the answer after it.
 */
import { GatewayError, toGatewayError } from '../core/errors.js';
import type { ErrorCode } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import type { ProviderCallContext, ProviderKey } from '../providers/provider-adapter.js';
import { backoffDelay } from './backoff.js';
import type { CircuitBreakers } from './circuit-breaker.js';
import type { Clock } from './clock.js';
import type { Target } from './runtime.js';

/** No attempt starts with less than this left of the deadline. */
export const MIN_ATTEMPT_MS = 50;

export interface AttemptRecord {
  target: string;
  keyId?: string;
  outcome: 'ok' | 'error' | 'skipped' | 'cancelled';
  code?: ErrorCode;
  status?: number;
  message?: string;
  durationMs: number;
  /** True for an attempt started by hedging. */
  hedge?: boolean;
}

/**
 * One attempt on one target. `ctx` carries the model, key, signal and timeouts; `committed()` says
 * the answer has started (the commit point), after which the deadline no longer applies.
 */
export type Attempt<R> = (target: Target, ctx: ProviderCallContext, committed: () => void) => Promise<R>;

export interface ChainInput<R> {
  targets: readonly Target[];
  /** What one attempt does (chat: send and peek; embeddings: embed). */
  attempt: Attempt<R>;
  /** An error when a target cannot serve this request at all: it is skipped, not tried. */
  unsupported?: (target: Target) => GatewayError | undefined;
  /** Absolute time (clock.now() scale) by which an answer must have started. */
  deadlineAt: number;
  /** The client's signal: aborts everything when the client goes away. */
  signal: AbortSignal;
  logger: Logger;
  clock: Clock;
  breakers?: CircuitBreakers;
  /** Targets taken out of rotation by hand (breaker_overrides): skipped, never forced back in. */
  outOfRotation?: (target: Target) => boolean;
  /** Start the next target too when the current one has not committed by then. */
  hedgeAfterMs?: number;
  random?: () => number;
  /** Receives the attempt list as soon as it exists, so a failure can still be logged with it. */
  onAttempts?: (attempts: AttemptRecord[]) => void;
}

export interface ChainSuccess<R> {
  target: Target;
  answer: R;
  attempts: AttemptRecord[];
  /** Index of the answering target in the chain (0 = primary). */
  fallbackIndex: number;
  /** Stops listening to the client signal; call when the response is finished. */
  release(): void;
}

/** Errors after which the next target is tried, but not the same one again. */
const NEXT_TARGET_ONLY = new Set<ErrorCode>(['GW_ERR_UPSTREAM_NOT_FOUND', 'GW_ERR_UNSUPPORTED', 'GW_ERR_UPSTREAM_AUTH']);
/** Errors that are the request's own fault or final: no other target would do better. */
const FINAL = new Set<ErrorCode>(['GW_ERR_UPSTREAM_BAD_REQUEST', 'GW_ERR_INVALID_REQUEST', 'GW_ERR_CLIENT_CLOSED', 'GW_ERR_DEADLINE_EXCEEDED', 'GW_ERR_INTERNAL']);
/** Errors that say the key, not the target, is the problem: rotate keys first. */
const KEY_ERRORS = new Set<ErrorCode>(['GW_ERR_UPSTREAM_AUTH', 'GW_ERR_UPSTREAM_RATE_LIMITED']);
/** Errors that count against a target's breaker (the target is sick, not the request). */
const BREAKER_ERRORS = new Set<ErrorCode>([
  'GW_ERR_UPSTREAM_ERROR',
  'GW_ERR_UPSTREAM_OVERLOADED',
  'GW_ERR_UPSTREAM_CONNECT',
  'GW_ERR_UPSTREAM_TIMEOUT',
  'GW_ERR_UPSTREAM_PROTOCOL',
  'GW_ERR_UPSTREAM_INCOMPLETE',
  'GW_ERR_STREAM_INTERRUPTED',
]);

type TargetOutcome<R> = { ok: true; success: ChainSuccess<R> } | { ok: false; error: GatewayError; final: boolean };

export async function executeChain<R>(input: ChainInput<R>): Promise<ChainSuccess<R>> {
  const { targets, signal, breakers } = input;
  const attempts: AttemptRecord[] = [];
  input.onAttempts?.(attempts);
  const rotation = input.outOfRotation;
  const inRotation = rotation ? targets.filter((t) => !rotation(t)) : targets;
  if (rotation) {
    for (const t of targets) if (rotation(t)) attempts.push({ target: t.label, outcome: 'skipped', message: 'out of rotation (manual breaker override)', durationMs: 0 });
    if (inRotation.length === 0) {
      throw new GatewayError('GW_ERR_ALL_TARGETS_FAILED', `every target is out of rotation (breaker_overrides): ${targets.map((t) => t.label).join(', ')}; put one back in the console or with DELETE /api/breaker-overrides/{target}`, { status: 503 });
    }
  }
  const planned = planOrder(inRotation, breakers, attempts);
  const order = rotation ? planned.map((i) => targets.indexOf(inRotation[i]!)) : planned;
  let lastError: GatewayError | undefined;

  let next = 0;
  while (next < order.length) {
    if (signal.aborted) throw clientClosed();
    const primary = order[next++]!;
    let outcome: TargetOutcome<R>;
    let ctrl: LinkedController | undefined;
    if (input.hedgeAfterMs !== undefined && next < order.length) {
      // A hedge needs its own handle on each target to cancel the loser.
      ctrl = linkedController(signal);
      const running = tryTarget(input, primary, ctrl.signal, attempts, false);
      outcome = await hedge(input, running, ctrl, order[next]!, attempts, () => next++);
    } else {
      outcome = await tryTarget(input, primary, signal, attempts, false);
    }
    if (outcome.ok) return outcome.success;
    ctrl?.dispose();
    lastError = outcome.error;
    if (outcome.final) {
      if (outcome.error.code === 'GW_ERR_DEADLINE_EXCEEDED') throw deadlineError(attempts);
      throw outcome.error;
    }
  }

  if (!lastError) throw new GatewayError('GW_ERR_ALL_TARGETS_FAILED', 'no target could be tried');
  if (attempts.length <= 1) throw lastError;
  // The last error's own message says what happened (an address not reached, an empty body).
  throw new GatewayError('GW_ERR_ALL_TARGETS_FAILED', `all targets failed: ${summarize(attempts)}; last error: ${lastError.message}`, {
    status: lastError.status,
    ...(lastError.retryAfterMs !== undefined ? { retryAfterMs: lastError.retryAfterMs } : {}),
  });
}

/**
 * Races the running target against the next one started after hedgeAfterMs without a commit.
 * The first success wins and the other is cancelled; if one fails, the other's result decides.
 */
async function hedge<R>(
  input: ChainInput<R>,
  running: Promise<TargetOutcome<R>>,
  ctrl: LinkedController,
  hedgeIndex: number,
  attempts: AttemptRecord[],
  consumeNext: () => void,
): Promise<TargetOutcome<R>> {
  const { clock } = input;
  let timer: unknown;
  const fired = new Promise<'hedge'>((resolve) => {
    timer = clock.setTimeout(() => resolve('hedge'), input.hedgeAfterMs!);
  });
  const first = await Promise.race([running, fired]);
  if (first !== 'hedge') {
    clock.clearTimeout(timer);
    return first;
  }
  if (input.signal.aborted) return running;
  consumeNext();
  const hedgeCtrl = linkedController(input.signal);
  const hedged = tryTarget(input, hedgeIndex, hedgeCtrl.signal, attempts, true);
  const tagged = [running.then((o) => ({ o, which: 0 as const })), hedged.then((o) => ({ o, which: 1 as const }))];
  const winner = await Promise.race(tagged);
  if (winner.o.ok) {
    (winner.which === 0 ? hedgeCtrl : ctrl).abort(new GatewayError('GW_ERR_CLIENT_CLOSED', 'lost the hedge race'));
    markCancelled(attempts);
    return winner.o;
  }
  const other = await tagged[winner.which === 0 ? 1 : 0]!;
  if (!other.o.ok) (winner.which === 0 ? ctrl : hedgeCtrl).dispose();
  return other.o.ok ? other.o : { ok: false, error: other.o.error, final: other.o.final && winner.o.final };
}

/** The loser of a hedge shows up as a cancelled attempt, not as a failure. */
function markCancelled(attempts: AttemptRecord[]): void {
  for (const a of attempts) if (a.outcome === 'error' && a.code === 'GW_ERR_CLIENT_CLOSED') a.outcome = 'cancelled';
}

/** All attempts (retries, key rotation) on one target. */
async function tryTarget<R>(input: ChainInput<R>, index: number, signal: AbortSignal, attempts: AttemptRecord[], isHedge: boolean): Promise<TargetOutcome<R>> {
  const { clock, deadlineAt, breakers } = input;
  const random = input.random ?? Math.random;
  const target = input.targets[index]!;
  const { provider } = target;
  const cannot = input.unsupported?.(target);
  if (cannot) {
    attempts.push({ target: target.label, outcome: 'skipped', code: cannot.code, message: cannot.message, durationMs: 0 });
    return { ok: false, error: cannot, final: false };
  }
  const avoidKeys = new Set<string>();
  let retriesLeft = provider.retries.max;
  let retryNumber = 0;

  for (;;) {
    if (signal.aborted) return { ok: false, error: abortReason(signal), final: true };
    const remaining = deadlineAt - clock.now();
    if (remaining < MIN_ATTEMPT_MS) return { ok: false, error: deadlineError(attempts), final: true };
    const key = pickKey(target, avoidKeys, breakers);
    if (!key && provider.keys.size > 0) {
      const error = new GatewayError('GW_ERR_UNSUPPORTED', `${provider.name}: no key is configured for model "${target.model}"`, { provider: provider.name });
      attempts.push({ target: target.label, outcome: 'skipped', code: error.code, message: error.message, durationMs: 0 });
      return { ok: false, error, final: false };
    }
    const started = clock.now();
    const attempt = await runAttempt(input, target, key ?? { id: `${provider.name}#none`, value: '' }, remaining, signal);
    const durationMs = clock.now() - started;
    if (attempt.ok) {
      breakers?.success(target.label);
      if (key) breakers?.success(keyBreakerId(target, key.id));
      attempts.push({ target: target.label, ...(key ? { keyId: key.id } : {}), outcome: 'ok', durationMs, ...(isHedge ? { hedge: true } : {}) });
      return { ok: true, success: { target, answer: attempt.answer, attempts, fallbackIndex: index, release: attempt.release } };
    }
    const err = attempt.error;
    const record: AttemptRecord = { target: target.label, outcome: 'error', code: err.code, status: err.upstreamStatus ?? err.status, message: err.message, durationMs };
    if (key) record.keyId = key.id;
    if (isHedge) record.hedge = true;
    attempts.push(record);
    input.logger.warn({ target: target.label, keyId: key?.id, code: err.code, status: err.upstreamStatus, durationMs, message: err.message }, 'upstream attempt failed');

    if (FINAL.has(err.code)) return { ok: false, error: err, final: true };
    if (BREAKER_ERRORS.has(err.code)) breakers?.failure(target.label);

    // A key problem: another key of the same provider first, at once.
    if (key && KEY_ERRORS.has(err.code)) {
      breakers?.failure(keyBreakerId(target, key.id));
      avoidKeys.add(key.id);
      if (provider.keys.hasOther(target.model, avoidKeys) && retriesLeft > 0) {
        retriesLeft--;
        continue;
      }
    }
    if (NEXT_TARGET_ONLY.has(err.code) || !err.retryable || retriesLeft <= 0) return { ok: false, error: err, final: false };

    let wait = backoffDelay(retryNumber, provider.retries.backoffInitialMs, provider.retries.backoffMaxMs, random);
    if (err.retryAfterMs !== undefined) wait = Math.max(wait, err.retryAfterMs);
    // Not worth waiting if the wait eats the deadline: move on to the next target.
    if (clock.now() + wait + MIN_ATTEMPT_MS >= deadlineAt) return { ok: false, error: err, final: false };
    retriesLeft--;
    retryNumber++;
    if (wait > 0) {
      try {
        await clock.sleep(wait, signal);
      } catch {
        return { ok: false, error: abortReason(signal), final: true };
      }
    }
  }
}

function keyBreakerId(target: Target, keyId: string): string {
  return `key:${target.provider.name}:${keyId}`;
}

/** A key by weight, skipping keys already refused for this request and keys whose breaker is open. */
function pickKey(target: Target, avoid: Set<string>, breakers: CircuitBreakers | undefined): ProviderKey | undefined {
  const pool = target.provider.keys;
  if (!breakers || pool.size <= 1) return pool.pick(target.model, avoid);
  const skip = new Set(avoid);
  for (const k of pool.eligible(target.model)) {
    if (!skip.has(k.id) && breakers.state(keyBreakerId(target, k.id)) === 'open') skip.add(k.id);
  }
  return pool.pick(target.model, skip);
}

/**
 * Target order for this request: targets whose breaker is open are skipped (recorded); when every
 * target is open, the one closest to recovery is tried rather than failing at once.
 */
function planOrder(targets: readonly Target[], breakers: CircuitBreakers | undefined, attempts: AttemptRecord[]): number[] {
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
  return order;
}

type AttemptOutcome<R> = { ok: true; answer: R; release: () => void } | { ok: false; error: GatewayError };

async function runAttempt<R>(input: ChainInput<R>, target: Target, key: ProviderKey, remaining: number, parent: AbortSignal): Promise<AttemptOutcome<R>> {
  const { clock } = input;
  const t = target.provider.timeouts;
  const ctrl = linkedController(parent);
  // One timer to the commit point: first_byte_ms (to the first content, not just the headers),
  // or what is left of the deadline when that comes first.
  const deadlineFirst = remaining < t.firstByteMs;
  const timer = clock.setTimeout(
    () =>
      ctrl.abort(
        deadlineFirst
          ? deadlineError([])
          : new GatewayError('GW_ERR_UPSTREAM_TIMEOUT', `${target.provider.name}: no first token within first_byte_ms (${t.firstByteMs} ms)`, { provider: target.provider.name }),
      ),
    Math.min(t.firstByteMs, remaining),
  );
  // The commit point: the answer has started, the deadline no longer applies (idle_ms does).
  const committed = () => clock.clearTimeout(timer);
  try {
    const answer = await input.attempt(
      target,
      {
        model: target.model,
        key,
        signal: ctrl.signal,
        timeouts: { connectMs: Math.min(t.connectMs, remaining), firstByteMs: Math.min(t.firstByteMs, remaining), idleMs: t.idleMs },
        logger: input.logger,
      },
      committed,
    );
    committed();
    // The controller stays linked to the client until release(): a stream still needs it.
    return { ok: true, answer, release: ctrl.dispose };
  } catch (e) {
    committed();
    const err = toGatewayError(e);
    const reason: unknown = ctrl.signal.reason;
    ctrl.abort();
    ctrl.dispose();
    // Our own abort (deadline, first-byte timeout, lost hedge) explains the failure better than
    // whatever the transport said about it.
    if (reason instanceof GatewayError) return { ok: false, error: reason };
    return { ok: false, error: err };
  }
}

interface LinkedController {
  signal: AbortSignal;
  abort(reason?: unknown): void;
  /** Stops following the parent signal. */
  dispose(): void;
}

/** An AbortController that also aborts when `parent` does, with the parent's reason. */
function linkedController(parent: AbortSignal): LinkedController {
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort(parent.reason instanceof GatewayError ? parent.reason : clientClosed());
  if (parent.aborted) onAbort();
  else parent.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ctrl.signal,
    abort: (reason) => ctrl.abort(reason),
    dispose: () => parent.removeEventListener('abort', onAbort),
  };
}

function abortReason(signal: AbortSignal): GatewayError {
  return signal.reason instanceof GatewayError ? signal.reason : clientClosed();
}

function clientClosed(): GatewayError {
  return new GatewayError('GW_ERR_CLIENT_CLOSED', 'the client closed the connection');
}

function deadlineError(attempts: AttemptRecord[]): GatewayError {
  const tried = attempts.length ? `; tried: ${summarize(attempts)}` : '';
  return new GatewayError('GW_ERR_DEADLINE_EXCEEDED', `deadline exceeded before any target answered${tried}`);
}

export function summarize(attempts: AttemptRecord[]): string {
  return attempts
    .map((a) =>
      a.outcome === 'skipped'
        ? `${a.target} skipped (${a.message ?? ''})`
        : `${a.target} ${a.outcome === 'ok' ? 'ok' : a.outcome === 'cancelled' ? 'cancelled' : (a.code ?? 'error')}${a.status ? ` ${a.status}` : ''} in ${Math.round(a.durationMs)} ms${a.hedge ? ' (hedge)' : ''}`,
    )
    .join('; ');
}
