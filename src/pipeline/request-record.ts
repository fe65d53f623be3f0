/**
 * The request record observers see (metrics, request log, access log, tracing): built in one place
 * for chat and embeddings, from the request's context, or from what is known when a request
 * failed before it had one.
 */
import type { ApiId } from '../core/dialect.js';
import type { GatewayError } from '../core/errors.js';
import type { CoreRequest } from '../core/request.js';
import type { RequestRecord } from '../plugins/plugin.js';
import type { Runtime } from '../routing/runtime.js';
import type { EmbeddingsContext, RequestContext, RequestHeaders } from './context.js';
import { RECORD_EXTRAS } from './record-extras.js';
import type { EmbeddingsResult, RouteInfo } from './result.js';

function traceHeaders(record: RequestRecord, headers: RequestHeaders): void {
  const tp = headers['traceparent'];
  if (typeof tp === 'string') {
    record.traceparent = tp;
    const ts = headers['tracestate'];
    if (typeof ts === 'string') record.tracestate = ts;
  }
}

/** A request that failed before it had a context (unparseable body, bad deadline header). */
export function bareRecord(a: { requestId: string; api: ApiId; headers: RequestHeaders; t0: number; request: CoreRequest | undefined; runtime: Runtime }): RequestRecord {
  const record: RequestRecord = {
    requestId: a.requestId,
    startedAt: Date.now() - (performance.now() - a.t0),
    dialect: a.api,
    stream: a.request?.stream ?? false,
    status: 200,
    attempts: [],
    latencyMs: 0,
    upstreamMs: 0,
  };
  if (a.request) {
    record.requestedModel = a.request.model;
    record.request = a.request;
    if (a.runtime.aliases.has(a.request.model)) record.alias = a.request.model;
  }
  traceHeaders(record, a.headers);
  return record;
}

/** The record of a request that reached the pipeline. */
export function contextRecord(ctx: RequestContext, t0: number): RequestRecord {
  const record: RequestRecord = {
    requestId: ctx.id,
    startedAt: Date.now() - (performance.now() - t0),
    dialect: ctx.api,
    stream: ctx.kind === 'chat' ? ctx.request.stream : false,
    status: 200,
    attempts: ctx.attempts,
    latencyMs: 0,
    upstreamMs: ctx.attempts.reduce((n, a) => n + a.durationMs, 0),
    requestedModel: ctx.request.model,
  };
  if (ctx.kind === 'chat') {
    record.request = ctx.request;
    if (ctx.rewritten) record.rewritten = true;
  }
  if (ctx.snapshot.aliases.has(ctx.request.model)) record.alias = ctx.request.model;
  if (ctx.principal) {
    record.clientKeyId = ctx.principal.id;
    if (ctx.principal.team !== undefined) record.team = ctx.principal.team;
  }
  if (ctx.state.has(RECORD_EXTRAS)) Object.assign(record, ctx.state.get(RECORD_EXTRAS));
  traceHeaders(record, ctx.headers);
  return record;
}

export function fillRoute(record: RequestRecord, route: RouteInfo | undefined): void {
  if (!route) return;
  record.provider = route.target.provider.name;
  record.providerType = route.target.provider.type;
  record.upstreamModel = route.target.model;
  record.fallbackIndex = route.fallbackIndex;
}

/** An answered embeddings request: its route and input tokens. */
export function embeddingsRecord(ctx: EmbeddingsContext, result: EmbeddingsResult, t0: number): RequestRecord {
  const record = contextRecord(ctx, t0);
  fillRoute(record, result.route);
  record.usage = { inputTokens: result.response.usage.inputTokens, outputTokens: 0 };
  return record;
}

/** A failed request: the error, and the target of its last attempt when it made one. */
export function recordFailure(record: RequestRecord, err: GatewayError, runtime: Runtime): void {
  record.status = err.status;
  record.errorCode = err.code;
  record.errorMessage = err.message;
  const last = record.attempts[record.attempts.length - 1];
  if (!last) return;
  const slash = last.target.indexOf('/');
  record.provider = last.target.slice(0, slash);
  record.upstreamModel = last.target.slice(slash + 1);
  record.providerType = runtime.providers.get(record.provider)?.type ?? '';
}
