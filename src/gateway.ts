/**
 * The request pipeline, independent of HTTP: parse in the client's dialect, resolve the route,
 * run the chain of attempts, and produce either a finished body or a stream to pipe. The server
 * only reads bodies and writes what this returns.
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
import { executeChain } from './routing/execute-chain.js';
import type { ChainSuccess } from './routing/execute-chain.js';
import { chatAttempt } from './routing/chat-attempt.js';
import type { ChatAnswer } from './routing/chat-attempt.js';
import type { Runtime, Target } from './routing/runtime.js';
import { openAIChatDialect } from './dialects/openai-chat/index.js';
import { formatOpenAIEmbeddingsResponse } from './dialects/openai-embeddings/format-openai-embeddings-response.js';
import { parseOpenAIEmbeddingsRequest } from './dialects/openai-embeddings/parse-openai-embeddings-request.js';
import { executeEmbeddings } from './routing/execute-embeddings.js';

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

export interface GatewayOptions {
  runtime: Runtime;
  logger: Logger;
  clock?: Clock;
  plugins?: GatewayPlugin[];
}

export class Gateway {
  readonly breakers: CircuitBreakers;
  private runtime: Runtime;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly plugins: GatewayPlugin[];
  /** Plugins with onRequestStart (in-flight gauges); empty costs one length check per request. */
  private readonly startPlugins: GatewayPlugin[];
  /** Some plugin logs streamed text: the stream sink collects it. */
  private readonly captureText: boolean;

  constructor(options: GatewayOptions) {
    this.runtime = options.runtime;
    this.plugins = (options.plugins ?? []).filter((p) => p.onRequestEnd);
    this.startPlugins = this.plugins.filter((p) => p.onRequestStart);
    this.captureText = this.plugins.some((p) => p.wantsStreamedText);
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    const cb = options.runtime.config.routing.circuit_breaker;
    this.breakers = new CircuitBreakers(cb.failure_threshold, cb.cooldown_ms, this.clock);
  }

  get currentRuntime(): Runtime {
    return this.runtime;
  }

  /** Handles one completion call; never throws (errors become dialect-shaped outcomes). */
  async handle(call: IncomingCall): Promise<GatewayOutcome> {
    const { dialect } = call;
    const t0 = performance.now();
    const baseHeaders: Record<string, string> = { 'x-request-id': call.requestId };
    if (this.startPlugins.length) this.started(call);
    let request: CoreRequest | undefined;
    let attempts: ChainSuccess<ChatAnswer>['attempts'] = [];
    try {
      request = dialect.parseRequest(call.body);
      const beta = call.headers['anthropic-beta'];
      if (typeof beta === 'string') request.forwardHeaders = { 'anthropic-beta': beta };
      const targets = this.targetsFor(request);
      const deadlineAt = this.clock.now() + this.deadlineMs(request.model, call.headers);
      const log = lazyChild(this.logger, { requestId: call.requestId });
      const success = await executeChain({
        targets,
        attempt: chatAttempt(request),
        deadlineAt,
        signal: call.signal,
        logger: log,
        clock: this.clock,
        breakers: this.breakers,
        onAttempts: (a) => (attempts = a),
        ...hedgeOption(this.runtime.aliases.get(request.model)?.hedgeAfterMs),
      });
      const headers = { ...baseHeaders, ...routeHeaders(success) };
      const unmapped = success.answer.result.unmapped;
      if (unmapped && unmapped.length > 0) {
        headers['x-switchyard-unmapped'] = unmapped.join(',');
        log.debug({ target: success.target.label, unmapped }, 'request fields not carried to the target');
      }
      const record = this.plugins.length ? this.baseRecord(call, request, t0, success.attempts) : undefined;
      if (record) {
        record.provider = success.target.provider.name;
        record.providerType = success.target.provider.type;
        record.upstreamModel = success.target.model;
        record.fallbackIndex = success.fallbackIndex;
        if (unmapped?.length) record.unmapped = unmapped;
      }
      return success.answer.result.kind === 'response'
        ? this.jsonOutcome(success, request, dialect, headers, record, t0)
        : this.streamOutcome(success, request, dialect, headers, log, record, t0, call.signal);
    } catch (e) {
      const err = toGatewayError(e);
      if (err.code === 'GW_ERR_INTERNAL') this.logger.error({ err: e, requestId: call.requestId }, 'internal error');
      if (this.plugins.length) {
        const record = this.baseRecord(call, request, t0, attempts);
        record.status = err.status;
        record.errorCode = err.code;
        record.errorMessage = err.message;
        const last = attempts[attempts.length - 1];
        if (last) {
          const slash = last.target.indexOf('/');
          record.provider = last.target.slice(0, slash);
          record.upstreamModel = last.target.slice(slash + 1);
          record.providerType = this.runtime.providers.get(record.provider)?.type ?? '';
        }
        this.emit(record, t0);
      }
      return errorOutcome(dialect, err, baseHeaders);
    }
  }

  /**
   * Records a request the server refused before it reached routing (client auth, unreadable or
   * oversized body), so logs and metrics count every request.
   */
  rejected(args: { api: ApiId; requestId: string; headers: IncomingCall['headers']; error: GatewayError; startedAt: number }): void {
    if (!this.plugins.length && !this.startPlugins.length) return;
    const start = { requestId: args.requestId, dialect: args.api };
    for (const p of this.startPlugins) p.onRequestStart!(start);
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

  private baseRecord(call: IncomingCall, request: CoreRequest | undefined, t0: number, attempts: ChainSuccess<ChatAnswer>['attempts']): RequestRecord {
    const record: RequestRecord = {
      requestId: call.requestId,
      startedAt: Date.now() - (performance.now() - t0),
      dialect: call.dialect.id,
      stream: request?.stream ?? false,
      status: 200,
      attempts,
      latencyMs: 0,
      upstreamMs: attempts.reduce((n, a) => n + a.durationMs, 0),
    };
    if (request) {
      record.requestedModel = request.model;
      record.request = request;
      if (this.runtime.aliases.has(request.model)) record.alias = request.model;
    }
    const tp = call.headers['traceparent'];
    if (typeof tp === 'string') {
      record.traceparent = tp;
      const ts = call.headers['tracestate'];
      if (typeof ts === 'string') record.tracestate = ts;
    }
    return record;
  }

  private started(call: IncomingCall): void {
    const start = { requestId: call.requestId, dialect: call.dialect.id };
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

  private targetsFor(request: CoreRequest): Target[] {
    const targets = this.runtime.resolve(request.model);
    if (!request.fallbacks?.length) return targets;
    const all = [...targets];
    for (const f of request.fallbacks) {
      for (const t of this.runtime.resolve(f)) if (!all.includes(t)) all.push(t);
    }
    return all;
  }

  /** The deadline for a request: the alias's, else routing.deadline_ms, or the header (capped). */
  private deadlineMs(model: string, headers: IncomingCall['headers']): number {
    const routing = this.runtime.config.routing;
    let ms = this.runtime.aliases.get(model)?.deadlineMs ?? routing.deadline_ms;
    const h = headers['x-switchyard-deadline-ms'];
    if (typeof h === 'string') {
      const n = Number(h);
      if (!Number.isFinite(n) || n <= 0) {
        throw new GatewayError('GW_ERR_INVALID_REQUEST', `x-switchyard-deadline-ms: expected a positive number of milliseconds, got "${h}"`, {
          param: 'x-switchyard-deadline-ms',
        });
      }
      ms = Math.min(n, routing.max_deadline_ms);
    }
    return ms;
  }

  private jsonOutcome(
    success: ChainSuccess<ChatAnswer>,
    request: CoreRequest,
    dialect: ClientDialect,
    headers: Record<string, string>,
    record: RequestRecord | undefined,
    t0: number,
  ): GatewayOutcome {
    const result = success.answer.result;
    success.release();
    if (result.kind !== 'response') throw new Error('unreachable');
    headers['content-type'] = 'application/json';
    if (record) {
      record.usage = result.response.usage;
      record.finishReason = result.response.finishReason;
      record.response = result.response;
      record.responseModel = result.response.model;
      record.ttftMs = performance.now() - t0;
      this.emit(record, t0);
    }
    const body =
      result.raw && result.raw.dialect === dialect.id
        ? result.raw.body
        : JSON.stringify(dialect.formatResponse(result.response, { requestModel: request.model, request }));
    return { kind: 'json', status: 200, headers, body };
  }

  private streamOutcome(
    success: ChainSuccess<ChatAnswer>,
    request: CoreRequest,
    dialect: ClientDialect,
    headers: Record<string, string>,
    log: Logger,
    record: RequestRecord | undefined,
    t0: number,
    signal: AbortSignal,
  ): GatewayOutcome {
    const peeked = success.answer.peeked!;
    const committedAt = performance.now();
    let done = false;
    const onDone = (outcome: StreamOutcome) => {
      if (done) return;
      done = true;
      success.release();
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
      }
      this.emit(record, t0);
    };
    // A client that leaves before the stream is piped never gets a sink: the record still ends.
    const onEarlyAbort = () => {
      if (record) record.status = 499;
      onDone({ error: new GatewayError('GW_ERR_CLIENT_CLOSED', 'the client closed the connection before the stream started') });
    };
    if (record) signal.addEventListener('abort', onEarlyAbort, { once: true });
    const captureText = this.captureText;
    headers['content-type'] = 'text/event-stream; charset=utf-8';
    headers['cache-control'] = 'no-cache';
    const passthrough = success.target.provider.adapter.nativeDialect === dialect.id;
    const encoder = dialect.createStreamEncoder({ requestModel: request.model, request });
    return {
      kind: 'stream',
      status: 200,
      headers,
      pipe(writer: StreamWriter) {
        signal.removeEventListener('abort', onEarlyAbort);
        const sink = createClientSink({ writer, encoder, passthrough, dialectId: dialect.id, onDone, log, captureText, pause: () => peeked.stream.pause(), resume: () => peeked.stream.resume(), abort: () => peeked.stream.abort() });
        peeked.commit(sink);
      },
    };
  }

  /**
   * Handles one OpenAI-dialect embeddings call (`POST /v1/embeddings`): the model resolves like a
   * chat model (aliases, provider/model, `x-switchyard-deadline-ms`); targets are tried in order.
   * Never throws (errors become OpenAI-shaped outcomes).
   */
  async handleEmbeddings(call: Omit<IncomingCall, 'dialect'>): Promise<GatewayOutcome> {
    const baseHeaders: Record<string, string> = { 'x-request-id': call.requestId };
    const t0 = performance.now();
    const observed = this.plugins.length > 0 || this.startPlugins.length > 0;
    const record: RequestRecord | undefined = observed
      ? { requestId: call.requestId, startedAt: Date.now(), dialect: 'openai-embeddings', stream: false, status: 200, attempts: [], latencyMs: 0, upstreamMs: 0 }
      : undefined;
    if (record) for (const p of this.startPlugins) p.onRequestStart!({ requestId: call.requestId, dialect: 'openai-embeddings' });
    try {
      const request = parseOpenAIEmbeddingsRequest(call.body);
      if (record) {
        record.requestedModel = request.model;
        if (this.runtime.aliases.has(request.model)) record.alias = request.model;
      }
      const success = await executeEmbeddings({
        targets: this.runtime.resolve(request.model),
        request,
        deadlineAt: this.clock.now() + this.deadlineMs(request.model, call.headers),
        signal: call.signal,
        logger: lazyChild(this.logger, { requestId: call.requestId }),
        clock: this.clock,
        breakers: this.breakers,
      });
      const headers: Record<string, string> = {
        ...baseHeaders,
        'content-type': 'application/json',
        'x-switchyard-provider': success.target.provider.name,
        'x-switchyard-model': success.target.model,
        'x-switchyard-attempts': String(success.attempts.filter((a) => a.outcome !== 'skipped').length),
        'x-switchyard-fallback-index': String(success.fallbackIndex),
      };
      if (record) {
        record.provider = success.target.provider.name;
        record.providerType = success.target.provider.type;
        record.upstreamModel = success.target.model;
        record.fallbackIndex = success.fallbackIndex;
        record.attempts = success.attempts;
        record.upstreamMs = success.attempts.reduce((n, a) => n + a.durationMs, 0);
        record.usage = { inputTokens: success.response.usage.inputTokens, outputTokens: 0 };
        record.ttftMs = performance.now() - t0;
        this.emit(record, t0);
      }
      return { kind: 'json', status: 200, headers, body: JSON.stringify(formatOpenAIEmbeddingsResponse(success.response, request.encodingFormat)) };
    } catch (e) {
      const err = toGatewayError(e);
      if (err.code === 'GW_ERR_INTERNAL') this.logger.error({ err: e, requestId: call.requestId }, 'internal error');
      if (record) {
        record.status = err.status;
        record.errorCode = err.code;
        record.errorMessage = err.message;
        this.emit(record, t0);
      }
      return errorOutcome(openAIChatDialect, err, baseHeaders);
    }
  }

  async close(): Promise<void> {
    await this.runtime.close();
  }
}

function hedgeOption(ms: number | undefined): { hedgeAfterMs?: number } {
  return ms === undefined ? {} : { hedgeAfterMs: ms };
}

function routeHeaders(success: ChainSuccess<unknown>): Record<string, string> {
  return {
    'x-switchyard-provider': success.target.provider.name,
    'x-switchyard-model': success.target.model,
    'x-switchyard-attempts': String(success.attempts.filter((a) => a.outcome !== 'skipped').length),
    'x-switchyard-fallback-index': String(success.fallbackIndex),
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
