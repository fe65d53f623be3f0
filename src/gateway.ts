/**
 * The gateway, independent of HTTP: parse in the client's dialect, build the request's context on
 * the current runtime snapshot, run the snapshot's middleware chain (ending in route + attempts),
 * and turn the result into a finished body or a stream to pipe. The server only reads bodies and
 * writes what this returns. Observers (metrics, logs, tracing) see one record per request.
 */
import { randomUUID } from 'node:crypto';
import type { ApiId } from './core/dialect.js';
import { GatewayError, toGatewayError } from './core/errors.js';
import type { CoreRequest } from './core/request.js';
import type { ClientDialect } from './dialects/client-dialect.js';
import { lazyChild } from './observability/logger.js';
import type { Logger } from './observability/logger.js';
import { createClientSink } from './client-stream-sink.js';
import type { StreamOutcome, StreamWriter } from './client-stream-sink.js';
export type { StreamWriter } from './client-stream-sink.js';
import type { GatewayPlugin, RequestRecord } from './plugins/plugin.js';
import { CircuitBreakers } from './routing/circuit-breaker.js';
import { systemClock } from './routing/clock.js';
import type { Clock } from './routing/clock.js';
import type { Runtime } from './routing/runtime.js';
import { openAIChatDialect } from './dialects/openai-chat/index.js';
import { formatOpenAIEmbeddingsResponse } from './dialects/openai-embeddings/format-openai-embeddings-response.js';
import { parseOpenAIEmbeddingsRequest } from './dialects/openai-embeddings/parse-openai-embeddings-request.js';
import { compose } from './pipeline/compose.js';
import type { Middleware } from './pipeline/compose.js';
import { createChatContext, createEmbeddingsContext } from './pipeline/context.js';
import type { ChatContext, ContextInit, EmbeddingsContext, RequestContext } from './pipeline/context.js';
import { embeddingsRouteStep as embeddingsStep, routeStep } from './pipeline/route-step.js';
import type { ChatResult, EmbeddingsResult, PipelineResult, RouteInfo } from './pipeline/result.js';
import { RECORD_EXTRAS } from './pipeline/record-extras.js';
import { bareRecord, contextRecord, embeddingsRecord, fillRoute, recordFailure } from './pipeline/request-record.js';

export interface IncomingCall {
  dialect: ClientDialect;
  /** The parsed JSON body. */
  body: unknown;
  /** Lower-case request headers. */
  headers: Record<string, string | string[] | undefined>;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  requestId: string;
}

export type GatewayOutcome =
  | { kind: 'json'; status: number; headers: Record<string, string>; body: string }
  | { kind: 'stream'; status: 200; headers: Record<string, string>; pipe(writer: StreamWriter): void };

export type { GatewayServices, MiddlewareFactory } from './pipeline/feature.js';
import type { GatewayServices, MiddlewareFactory } from './pipeline/feature.js';

export interface GatewayOptions {
  runtime: Runtime;
  logger: Logger;
  clock?: Clock;
  /** Observers: see every request's start and its finished record. */
  plugins?: GatewayPlugin[];
  /** Middleware factories, outermost first (e.g. governance, cache, mcp). */
  middleware?: MiddlewareFactory[];
}

/** A runtime snapshot with its compiled chain and the requests still running on it. */
interface Active {
  runtime: Runtime;
  run: (ctx: RequestContext) => Promise<PipelineResult>;
  inFlight: number;
  /** Set when a newer snapshot replaced this one. */
  replacedBy?: Runtime;
}

export class Gateway {
  readonly breakers: CircuitBreakers;
  private active: Active;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly plugins: GatewayPlugin[];
  private readonly factories: MiddlewareFactory[];
  /** Plugins with onRequestStart (in-flight gauges); empty costs one length check per request. */
  private readonly startPlugins: GatewayPlugin[];
  /** Some plugin logs streamed text: the stream sink collects it. */
  private readonly captureText: boolean;
  private readonly swapListeners: Array<(runtime: Runtime) => void> = [];

  constructor(options: GatewayOptions) {
    this.plugins = (options.plugins ?? []).filter((p) => p.onRequestEnd);
    this.startPlugins = this.plugins.filter((p) => p.onRequestStart);
    this.captureText = this.plugins.some((p) => p.wantsStreamedText);
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.factories = options.middleware ?? [];
    const cb = options.runtime.config.routing.circuit_breaker;
    this.breakers = new CircuitBreakers(cb.failure_threshold, cb.cooldown_ms, this.clock);
    Object.assign(this.services, { clock: this.clock, breakers: this.breakers, logger: this.logger });
    this.active = this.compile(options.runtime);
  }

  get currentRuntime(): Runtime {
    return this.active.runtime;
  }

  /**
   * Makes `next` the snapshot new requests run on, atomically. Requests in flight finish on the
   * snapshot they started with; when the last of them ends, the old snapshot's providers that the
   * new one does not reuse are closed.
   */
  swapRuntime(next: Runtime): void {
    if (next === this.active.runtime) return;
    const old = this.active;
    this.active = this.compile(next);
    old.replacedBy = next;
    if (old.inFlight === 0) this.retire(old);
    for (const fn of this.swapListeners) fn(next);
  }

  /** Called after every swap (e.g. to refresh gauges); not on the hot path. */
  onSwap(fn: (runtime: Runtime) => void): void {
    this.swapListeners.push(fn);
  }

  /** Lent to middleware factories. */
  readonly services: GatewayServices = {
    clock: undefined as unknown as Clock,
    breakers: undefined as unknown as CircuitBreakers,
    logger: undefined as unknown as Logger,
    embed: (args) => this.embedInternal(args),
    whenRetired: (snapshot, fn) => {
      const hooks = this.retireHooks.get(snapshot);
      if (hooks) hooks.push(fn);
      else this.retireHooks.set(snapshot, [fn]);
    },
  };

  /** GatewayServices.whenRetired: what to run when each snapshot is retired. */
  private readonly retireHooks = new WeakMap<Runtime, Array<() => void>>();

  private compile(runtime: Runtime): Active {
    const middleware: Middleware[] = [];
    for (const f of this.factories) {
      const mw = f(runtime, this.services);
      if (mw) middleware.push(mw);
    }
    const run = compose<RequestContext, PipelineResult>(middleware, routeStep({ clock: this.clock, breakers: this.breakers }));
    return { runtime, run, inFlight: 0 };
  }

  private acquire(): Active {
    const a = this.active;
    a.inFlight++;
    return a;
  }

  private release(a: Active): void {
    if (--a.inFlight === 0 && a.replacedBy) this.retire(a);
  }

  private retire(a: Active): void {
    a.runtime.closeUnshared(a.replacedBy!).catch((e: unknown) => this.logger.error({ err: e }, 'closing the providers of a replaced snapshot failed'));
    const hooks = this.retireHooks.get(a.runtime);
    this.retireHooks.delete(a.runtime);
    for (const fn of hooks ?? []) {
      try {
        fn();
      } catch (e) {
        this.logger.error({ err: e }, 'releasing what a replaced snapshot used failed');
      }
    }
  }

  /** Handles one completion call; never throws (errors become dialect-shaped outcomes). */
  async handle(call: IncomingCall): Promise<GatewayOutcome> {
    const { dialect } = call;
    const t0 = performance.now();
    const active = this.acquire();
    if (this.startPlugins.length) this.started(call.requestId, dialect.id);
    let request: CoreRequest | undefined;
    let ctx: ChatContext | undefined;
    try {
      request = dialect.parseRequest(call.body);
      const beta = call.headers['anthropic-beta'];
      if (typeof beta === 'string') request.forwardHeaders = { 'anthropic-beta': beta };
      ctx = createChatContext(this.contextInit(call, dialect.id, dialect, active.runtime, request.model, t0), request);
      const result = (await active.run(ctx)) as ChatResult;
      return this.chatOutcome(ctx, result, active);
    } catch (e) {
      return this.failed(e, { call, api: dialect.id, dialect, active, t0, ctx, request });
    }
  }

  /**
   * Handles one OpenAI-dialect embeddings call (`POST /v1/embeddings`) through the same pipeline:
   * the model resolves like a chat model; targets are tried in order. Never throws.
   */
  async handleEmbeddings(call: Omit<IncomingCall, 'dialect'>): Promise<GatewayOutcome> {
    const t0 = performance.now();
    const active = this.acquire();
    if (this.startPlugins.length) this.started(call.requestId, 'openai-embeddings');
    let ctx: EmbeddingsContext | undefined;
    try {
      const request = parseOpenAIEmbeddingsRequest(call.body);
      ctx = createEmbeddingsContext(this.contextInit(call, 'openai-embeddings', openAIChatDialect, active.runtime, request.model, t0), request);
      const result = (await active.run(ctx)) as EmbeddingsResult;
      const headers = { 'x-request-id': call.requestId, ...ctx.responseHeaders, 'content-type': 'application/json', ...routeHeaders(result.route) };
      if (this.plugins.length) {
        const record = embeddingsRecord(ctx, result, t0);
        record.ttftMs = performance.now() - t0;
        this.emit(record, t0);
      }
      this.release(active);
      return { kind: 'json', status: 200, headers, body: JSON.stringify(formatOpenAIEmbeddingsResponse(result.response, ctx.request.encodingFormat)) };
    } catch (e) {
      return this.failed(e, { call, api: 'openai-embeddings', dialect: openAIChatDialect, active, t0, ctx });
    }
  }

  /** GatewayServices.embed: the embeddings route step on a snapshot, recorded, bounded by timeoutMs. */
  private async embedInternal(args: Parameters<GatewayServices['embed']>[0]): Promise<number[][]> {
    // Reserved on the budgets of the request it is made for; a refusal is the caller's to handle.
    let settle = args.meter ? await args.meter.embeddingsCall(args.model, args.texts) : undefined;
    const t0 = performance.now();
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), args.timeoutMs);
    const onOuter = () => abort.abort();
    args.signal?.addEventListener('abort', onOuter, { once: true });
    if (this.startPlugins.length) this.started(args.requestId, 'openai-embeddings');
    const ctx = createEmbeddingsContext(
      {
        id: args.requestId,
        api: 'openai-embeddings',
        dialect: openAIChatDialect,
        headers: {},
        snapshot: args.snapshot,
        signal: abort.signal,
        startedAt: t0,
        log: lazyChild(this.logger, { requestId: args.requestId }),
        deadlineAt: this.clock.now() + args.timeoutMs,
      },
      { model: args.model, input: { kind: 'text', texts: args.texts }, encodingFormat: 'float', raw: { model: args.model, input: args.texts } },
    );
    ctx.state.set(RECORD_EXTRAS, { purpose: args.purpose });
    // Made for a client's request (the semantic cache): its spend is that key's and team's, and
    // counts against their budgets.
    if (args.principal) ctx.principal = args.principal;
    try {
      const result = await embeddingsStep({ clock: this.clock, breakers: this.breakers })(ctx);
      settle?.({ inputTokens: result.response.usage.inputTokens, outputTokens: 0 }, result.route);
      settle = undefined;
      if (this.plugins.length) {
        this.emit(embeddingsRecord(ctx, result, t0), t0);
      }
      return result.response.embeddings;
    } catch (e) {
      settle?.(undefined, undefined);
      const err = abort.signal.aborted && !args.signal?.aborted ? new GatewayError('GW_ERR_UPSTREAM_TIMEOUT', `embeddings for ${args.purpose} took longer than ${args.timeoutMs} ms`) : toGatewayError(e);
      if (this.plugins.length) {
        const record = contextRecord(ctx, t0);
        recordFailure(record, err, args.snapshot);
        this.emit(record, t0);
      }
      throw err;
    } finally {
      clearTimeout(timer);
      args.signal?.removeEventListener('abort', onOuter);
    }
  }

  private contextInit(call: Omit<IncomingCall, 'dialect'>, api: ApiId, dialect: ClientDialect, runtime: Runtime, model: string, t0: number): ContextInit {
    return {
      id: call.requestId,
      api,
      dialect,
      headers: call.headers,
      snapshot: runtime,
      signal: call.signal,
      startedAt: t0,
      log: lazyChild(this.logger, { requestId: call.requestId }),
      deadlineAt: this.clock.now() + deadlineMs(runtime, model, call.headers),
    };
  }

  /** Any failure before an answer: the error in the client's dialect, recorded. */
  private failed(
    e: unknown,
    f: { call: Omit<IncomingCall, 'dialect'>; api: ApiId; dialect: ClientDialect; active: Active; t0: number; ctx?: RequestContext | undefined; request?: CoreRequest | undefined },
  ): GatewayOutcome {
    const err = toGatewayError(e);
    if (err.code === 'GW_ERR_INTERNAL') this.logger.error({ err: e, requestId: f.call.requestId }, 'internal error');
    if (this.plugins.length) {
      const record = f.ctx ? contextRecord(f.ctx, f.t0) : bareRecord({ requestId: f.call.requestId, api: f.api, headers: f.call.headers, t0: f.t0, request: f.request, runtime: f.active.runtime });
      recordFailure(record, err, f.active.runtime);
      this.emit(record, f.t0);
    }
    this.release(f.active);
    return errorOutcome(f.dialect, err, { 'x-request-id': f.call.requestId, ...f.ctx?.responseHeaders });
  }

  /**
   * Records a request the server refused before it reached the gateway (client auth, unreadable or
   * oversized body), so logs and metrics count every request.
   */
  rejected(args: { api: ApiId; requestId: string; headers: IncomingCall['headers']; error: GatewayError; startedAt: number }): void {
    if (!this.plugins.length && !this.startPlugins.length) return;
    this.started(args.requestId, args.api);
    const record: RequestRecord = {
      requestId: args.requestId,
      startedAt: Date.now() - (performance.now() - args.startedAt),
      dialect: args.api,
      stream: false,
      status: args.error.status,
      errorCode: args.error.code,
      errorMessage: args.error.message,
      attempts: [],
      latencyMs: 0,
      upstreamMs: 0,
    };
    this.emit(record, args.startedAt);
  }

  private started(requestId: string, api: ApiId): void {
    const start = { requestId, dialect: api };
    for (const p of this.startPlugins) {
      try {
        p.onRequestStart!(start);
      } catch (e) {
        this.logger.error({ err: e, plugin: p.name }, 'plugin failed in onRequestStart');
      }
    }
  }

  private emit(record: RequestRecord, t0: number): void {
    record.latencyMs = performance.now() - t0;
    for (const p of this.plugins) {
      try {
        p.onRequestEnd!(record);
      } catch (e) {
        this.logger.error({ err: e, plugin: p.name }, 'plugin failed in onRequestEnd');
      }
    }
  }

  private chatOutcome(ctx: ChatContext, result: ChatResult, active: Active): GatewayOutcome {
    const headers: Record<string, string> = { 'x-request-id': ctx.id, ...ctx.responseHeaders, ...routeHeaders(result.route) };
    if (result.unmapped?.length) {
      headers['x-switchyard-unmapped'] = result.unmapped.join(',');
      ctx.log.debug({ target: result.route?.target.label, unmapped: result.unmapped }, 'request fields not carried to the target');
    }
    const record = this.plugins.length ? contextRecord(ctx, ctx.startedAt) : undefined;
    if (record) {
      fillRoute(record, result.route);
      if (result.unmapped?.length) record.unmapped = result.unmapped;
    }
    return result.kind === 'response' ? this.jsonOutcome(ctx, result, headers, record, active) : this.streamOutcome(ctx, result, headers, record, active);
  }

  private jsonOutcome(ctx: ChatContext, result: Extract<ChatResult, { kind: 'response' }>, headers: Record<string, string>, record: RequestRecord | undefined, active: Active): GatewayOutcome {
    headers['content-type'] = 'application/json';
    const { dialect } = ctx;
    if (record) {
      record.usage = result.response.usage;
      record.finishReason = result.response.finishReason;
      record.response = result.response;
      record.responseModel = result.response.model;
      record.ttftMs = performance.now() - ctx.startedAt;
      this.emit(record, ctx.startedAt);
    }
    this.release(active);
    const body =
      result.raw && result.raw.dialect === dialect.id && !ctx.rewritten
        ? result.raw.body
        : JSON.stringify(dialect.formatResponse(result.response, { requestModel: ctx.request.model, request: ctx.request }));
    return { kind: 'json', status: 200, headers, body };
  }

  private streamOutcome(ctx: ChatContext, result: Extract<ChatResult, { kind: 'stream' }>, headers: Record<string, string>, record: RequestRecord | undefined, active: Active): GatewayOutcome {
    const { stream } = result;
    const { dialect, signal } = ctx;
    const t0 = ctx.startedAt;
    const committedAt = performance.now();
    let done = false;
    const onDone = (outcome: StreamOutcome) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      this.release(active);
      if (!record) return;
      record.ttftMs = committedAt - t0;
      record.upstreamMs += performance.now() - committedAt;
      if (outcome.usage) record.usage = { inputTokens: 0, outputTokens: 0, ...outcome.usage };
      if (outcome.finishReason) record.finishReason = outcome.finishReason;
      if (outcome.responseModel) record.responseModel = outcome.responseModel;
      if (outcome.text !== undefined) record.streamedText = outcome.text;
      if (outcome.error) {
        record.errorCode = outcome.error.code;
        record.errorMessage = outcome.error.message;
        if (outcome.error.code === 'GW_ERR_CLIENT_CLOSED') record.status = 499;
      }
      this.emit(record, t0);
    };
    let sink: ReturnType<typeof createClientSink> | undefined;
    // The client left: before the stream is piped there is no sink; after, the sink ends it.
    const onAbort = () => {
      const err = new GatewayError('GW_ERR_CLIENT_CLOSED', sink ? 'the client closed the connection during the stream' : 'the client closed the connection before the stream started');
      if (sink) sink.error(err);
      else onDone({ error: err });
      stream.abort();
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const captureText = this.captureText;
    headers['content-type'] = 'text/event-stream; charset=utf-8';
    headers['cache-control'] = 'no-cache';
    const passthrough = stream.nativeDialect === dialect.id;
    const encoder = dialect.createStreamEncoder({ requestModel: ctx.request.model, request: ctx.request });
    const log = ctx.log;
    return {
      kind: 'stream',
      status: 200,
      headers,
      pipe(writer: StreamWriter) {
        if (done) {
          writer.end();
          return;
        }
        sink = createClientSink({
          writer,
          encoder,
          passthrough,
          dialectId: dialect.id,
          onDone,
          log,
          captureText,
          pause: () => stream.pause(),
          resume: () => stream.resume(),
          abort: () => stream.abort(),
        });
        const s = sink;
        writer.onStop?.(() => {
          s.error(new GatewayError('GW_ERR_SHUTTING_DOWN', 'the gateway is shutting down and its drain timeout passed before this answer finished; retry the request'));
          stream.abort();
        });
        stream.start(s);
      },
    };
  }

  async close(): Promise<void> {
    await this.active.runtime.close();
  }
}

/** The deadline for a request: the alias's, else routing.deadline_ms, or the header (capped). */
function deadlineMs(runtime: Runtime, model: string, headers: IncomingCall['headers']): number {
  const routing = runtime.config.routing;
  let ms = runtime.aliases.get(model)?.deadlineMs ?? routing.deadline_ms;
  const h = headers['x-switchyard-deadline-ms'];
  if (typeof h === 'string') {
    const n = Number(h);
    if (!Number.isFinite(n) || n <= 0) {
      throw new GatewayError('GW_ERR_INVALID_REQUEST', `x-switchyard-deadline-ms: expected a positive number of milliseconds, got "${h.slice(0, 64)}"`, {
        param: 'x-switchyard-deadline-ms',
      });
    }
    ms = Math.min(n, routing.max_deadline_ms);
  }
  return ms;
}

function routeHeaders(route: RouteInfo | undefined): Record<string, string> {
  if (!route) return {};
  return {
    'x-switchyard-provider': route.target.provider.name,
    'x-switchyard-model': route.target.model,
    'x-switchyard-attempts': String(route.attemptCount),
    'x-switchyard-fallback-index': String(route.fallbackIndex),
  };
}

export function errorOutcome(dialect: ClientDialect, err: GatewayError, headers: Record<string, string> = {}): GatewayOutcome {
  const h: Record<string, string> = { ...headers, 'content-type': 'application/json', 'x-switchyard-error-code': err.code };
  if (err.retryAfterMs !== undefined) h['retry-after'] = String(Math.ceil(err.retryAfterMs / 1000));
  return { kind: 'json', status: err.status, headers: h, body: JSON.stringify(dialect.formatError(err)) };
}

export function newRequestId(headers: IncomingCall['headers']): string {
  const h = headers['x-request-id'];
  return typeof h === 'string' && h.length > 0 && h.length <= 128 ? h : randomUUID();
}
