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
import type { PeekedStream } from '../providers/shared/peek-before-commit.js';
import type { StreamSink } from '../providers/provider-adapter.js';
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

/**
 * The snapshot's manual breaker overrides as a predicate, or undefined when there are none (then
 * the chain checks nothing per request). Made once per snapshot.
 */
const rotationOf = new WeakMap<Runtime, ((t: Target) => boolean) | undefined>();
function outOfRotation(runtime: Runtime): ((t: Target) => boolean) | undefined {
  if (rotationOf.has(runtime)) return rotationOf.get(runtime);
  const o = runtime.config.breaker_overrides;
  const f = !o || Object.keys(o).length === 0 ? undefined : (t: Target) => Object.hasOwn(o, t.label) || Object.hasOwn(o, t.provider.name);
  rotationOf.set(runtime, f);
  return f;
}

/** The chain options chat and embeddings share. */
type SharedChainInput = Pick<ChainInput<unknown>, 'deadlineAt' | 'signal' | 'logger' | 'clock' | 'breakers' | 'outOfRotation' | 'onAttempts'>;

/**
 * The options every route step gives a chain (the request's deadline, signal and logger, the
 * step's clock and breakers, the snapshot's breaker overrides), with `onAttempts` keeping the
 * chain's attempt list so that, whether the chain succeeds or throws, its attempts land in the
 * context's record (`recordAttempts`).
 */
function sharedInput(step: RouteStepOptions, ctx: ChatContext | EmbeddingsContext, attempts: { list: AttemptRecord[] }): SharedChainInput {
  const input: SharedChainInput = {
    deadlineAt: ctx.deadlineAt,
    signal: ctx.signal,
    logger: ctx.log,
    clock: step.clock,
    breakers: step.breakers,
    onAttempts: (a) => (attempts.list = a),
  };
  const rotation = outOfRotation(ctx.snapshot);
  if (rotation) input.outOfRotation = rotation;
  return input;
}

function recordAttempts(ctx: ChatContext | EmbeddingsContext, attempts: { list: AttemptRecord[] }): void {
  for (const a of attempts.list) ctx.attempts.push(a);
}

function routeInfo(success: { target: Target; fallbackIndex: number; attempts: AttemptRecord[] }): RouteInfo {
  let attemptCount = 0;
  for (const a of success.attempts) if (a.outcome !== 'skipped') attemptCount++;
  return { target: success.target, fallbackIndex: success.fallbackIndex, attemptCount };
}

/**
 * A committed upstream stream as the pipeline's EventStream: frames go to the sink as they come;
 * the chain's hold on the target (its in-flight count) is released once, when the stream ends,
 * fails or is aborted. A class rather than an object of closures: one object per streamed request.
 */
class RoutedStream implements EventStream {
  readonly nativeDialect?: EventStream['nativeDialect'];
  private released = false;

  constructor(
    private readonly peeked: PeekedStream,
    private readonly success: ChainSuccess<ChatAnswer>,
    native: EventStream['nativeDialect'] | undefined,
  ) {
    if (native) this.nativeDialect = native;
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.success.release();
  }

  start(sink: StreamSink): void {
    this.peeked.commit({
      frame: (f) => sink.frame(f),
      end: () => {
        this.release();
        sink.end();
      },
      error: (err) => {
        this.release();
        sink.error(err);
      },
      flush: () => sink.flush?.(),
    });
  }

  pause(): void {
    this.peeked.stream.pause();
  }

  resume(): void {
    this.peeked.stream.resume();
  }

  abort(): void {
    this.release();
    this.peeked.stream.abort();
  }
}

export function chatRouteStep(o: RouteStepOptions): (ctx: ChatContext) => Promise<ChatResult> {
  return async function routeAndAttempt(ctx) {
    const request = ctx.request;
    const hedge = ctx.snapshot.aliases.get(request.model)?.hedgeAfterMs;
    const attempts = { list: [] as AttemptRecord[] };
    const input: ChainInput<ChatAnswer> = { ...sharedInput(o, ctx, attempts), targets: targetsFor(ctx.snapshot, request), attempt: chatAttempt(request) };
    if (hedge !== undefined) input.hedgeAfterMs = hedge;
    let success: ChainSuccess<ChatAnswer>;
    try {
      success = await executeChain(input);
    } finally {
      recordAttempts(ctx, attempts);
    }
    const result = success.answer.result;
    const route = routeInfo(success);
    if (result.kind === 'response') {
      success.release();
      const out: ChatResult = { kind: 'response', response: result.response, route };
      if (result.raw && !ctx.rewritten) out.raw = result.raw;
      if (result.unmapped?.length) out.unmapped = result.unmapped;
      return out;
    }
    const native = ctx.rewritten ? undefined : success.target.provider.adapter.nativeDialect;
    const out: ChatResult = { kind: 'stream', stream: new RoutedStream(success.answer.peeked!, success, native), route };
    if (result.unmapped?.length) out.unmapped = result.unmapped;
    return out;
  };
}

export function embeddingsRouteStep(o: RouteStepOptions): (ctx: EmbeddingsContext) => Promise<EmbeddingsResult> {
  return async function routeAndEmbed(ctx) {
    const attempts = { list: [] as AttemptRecord[] };
    let success;
    try {
      success = await executeEmbeddings({ ...sharedInput(o, ctx, attempts), targets: ctx.snapshot.resolve(ctx.request.model), request: ctx.request });
    } finally {
      recordAttempts(ctx, attempts);
    }
    return { kind: 'embeddings', response: success.response, route: routeInfo(success) };
  };
}

/** Both steps behind one terminal, for a chain shared by chat and embeddings middleware. */
export function routeStep(o: RouteStepOptions): (ctx: RequestContext) => Promise<PipelineResult> {
  const chat = chatRouteStep(o);
  const embed = embeddingsRouteStep(o);
  return (ctx) => (ctx.kind === 'chat' ? chat(ctx) : embed(ctx));
}

