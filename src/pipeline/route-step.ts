/**
 * The step at the end of every chain: resolve the route on the request's snapshot and run the
 * chain of attempts (retries, fallbacks, breakers, hedging, one deadline). Each call runs a fresh
 * chain with the context's current request, so a looping middleware may call it again.
 */
import type { CoreRequest } from '../core/request.js';
import { chatAttempt } from '../routing/chat-attempt.js';
import type { CircuitBreakers } from '../routing/circuit-breaker.js';
import type { Clock } from '../routing/clock.js';
import { executeChain } from '../routing/execute-chain.js';
import type { AttemptRecord, ChainInput, ChainSuccess } from '../routing/execute-chain.js';
import type { ChatAnswer } from '../routing/chat-attempt.js';
import { executeEmbeddings } from '../routing/execute-embeddings.js';
import type { Runtime, Target } from '../routing/runtime.js';
import type { ChatContext, EmbeddingsContext, RequestContext } from './context.js';
import type { ChatResult, EmbeddingsResult, EventStream, PipelineResult, RouteInfo } from './result.js';

export interface RouteStepOptions {
  clock: Clock;
  breakers: CircuitBreakers;
}

/** The targets of a request: its model's route, then any `fallbacks` the client named. */
export function targetsFor(runtime: Runtime, request: Pick<CoreRequest, 'model' | 'fallbacks'>): Target[] {
  const targets = runtime.resolve(request.model);
  if (!request.fallbacks?.length) return targets;
  const all = [...targets];
  const labels = new Set(targets.map((t) => t.label));
  for (const f of request.fallbacks) {
    for (const t of runtime.resolve(f)) {
      if (labels.has(t.label)) continue;
      labels.add(t.label);
      all.push(t);
    }
  }
  return all;
}

/** The snapshot's manual breaker overrides as a chain option (none: nothing to check per request). */
function outOfRotation(runtime: Runtime): { outOfRotation?: (t: Target) => boolean } {
  const o = runtime.config.breaker_overrides;
  if (!o || Object.keys(o).length === 0) return {};
  return { outOfRotation: (t) => Object.hasOwn(o, t.label) || Object.hasOwn(o, t.provider.name) };
}

/** The chain options chat and embeddings share. */
type SharedChainInput = Pick<ChainInput<unknown>, 'deadlineAt' | 'signal' | 'logger' | 'clock' | 'breakers' | 'outOfRotation' | 'onAttempts'>;

/**
 * Runs one chain with the options every route step gives it (the request's deadline, signal and
 * logger, the step's clock and breakers, the snapshot's breaker overrides); whether the chain
 * succeeds or throws, the attempts it made land in the context's record.
 */
async function recordedChain<T>(c: { step: RouteStepOptions; ctx: ChatContext | EmbeddingsContext; run: (shared: SharedChainInput) => Promise<T> }): Promise<T> {
  let attempts: AttemptRecord[] = [];
  try {
    return await c.run({
      deadlineAt: c.ctx.deadlineAt,
      signal: c.ctx.signal,
      logger: c.ctx.log,
      clock: c.step.clock,
      breakers: c.step.breakers,
      ...outOfRotation(c.ctx.snapshot),
      onAttempts: (a) => (attempts = a),
    });
  } finally {
    c.ctx.attempts.push(...attempts);
  }
}

function routeInfo(success: { target: Target; fallbackIndex: number; attempts: AttemptRecord[] }): RouteInfo {
  return { target: success.target, fallbackIndex: success.fallbackIndex, attemptCount: success.attempts.filter((a) => a.outcome !== 'skipped').length };
}

export function chatRouteStep(o: RouteStepOptions): (ctx: ChatContext) => Promise<ChatResult> {
  return async function routeAndAttempt(ctx) {
    const request = ctx.request;
    const hedge = ctx.snapshot.aliases.get(request.model)?.hedgeAfterMs;
    const success: ChainSuccess<ChatAnswer> = await recordedChain({
      step: o,
      ctx,
      run: (shared) =>
        executeChain({
          ...shared,
          targets: targetsFor(ctx.snapshot, request),
          attempt: chatAttempt(request),
          ...(hedge === undefined ? {} : { hedgeAfterMs: hedge }),
        }),
    });
    const result = success.answer.result;
    const route = routeInfo(success);
    const unmapped = result.unmapped?.length ? { unmapped: result.unmapped } : {};
    if (result.kind === 'response') {
      success.release();
      const raw = result.raw && !ctx.rewritten ? { raw: result.raw } : {};
      return { kind: 'response', response: result.response, route, ...raw, ...unmapped };
    }
    const peeked = success.answer.peeked!;
    const native = ctx.rewritten ? undefined : success.target.provider.adapter.nativeDialect;
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        success.release();
      }
    };
    const stream: EventStream = {
      ...(native ? { nativeDialect: native } : {}),
      start(sink) {
        peeked.commit({
          frame: (f) => sink.frame(f),
          end() {
            release();
            sink.end();
          },
          error(err) {
            release();
            sink.error(err);
          },
          flush: () => sink.flush?.(),
        });
      },
      pause: () => peeked.stream.pause(),
      resume: () => peeked.stream.resume(),
      abort() {
        release();
        peeked.stream.abort();
      },
    };
    return { kind: 'stream', stream, route, ...unmapped };
  };
}

export function embeddingsRouteStep(o: RouteStepOptions): (ctx: EmbeddingsContext) => Promise<EmbeddingsResult> {
  return async function routeAndEmbed(ctx) {
    const success = await recordedChain({ step: o, ctx, run: (shared) => executeEmbeddings({ ...shared, targets: ctx.snapshot.resolve(ctx.request.model), request: ctx.request }) });
    return { kind: 'embeddings', response: success.response, route: routeInfo(success) };
  };
}

/** Both steps behind one terminal, for a chain shared by chat and embeddings middleware. */
export function routeStep(o: RouteStepOptions): (ctx: RequestContext) => Promise<PipelineResult> {
  const chat = chatRouteStep(o);
  const embed = embeddingsRouteStep(o);
  return (ctx) => (ctx.kind === 'chat' ? chat(ctx) : embed(ctx));
}

