/** Turns a finished request's record into a request-log row, keeping content by level. */
import type { CoreRequest } from '../../core/request.js';
import type { Spend } from '../../pricing/spend.js';
import type { ContentLevel, LoggedAttempt, LoggedMcpCall, LogRow } from '../../storage/log-store.js';
import type { McpCallRecord, RequestRecord } from '../plugin.js';

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export function buildLogRow(input: { record: RequestRecord; spend: Spend; content: ContentLevel }): LogRow {
  const { record: r, spend, content } = input;
  const withText = content !== 'none';
  const attempts: LoggedAttempt[] = r.attempts.map((a) => {
    const out: LoggedAttempt = { target: a.target, outcome: a.outcome, duration_ms: round(a.durationMs) };
    if (a.keyId) out.key_id = a.keyId;
    if (a.code) out.code = a.code;
    if (a.status !== undefined) out.status = a.status;
    if (a.hedge) out.hedge = true;
    if (withText && a.message) out.message = a.message;
    return out;
  });
  const u = r.usage;
  return {
    ts: Math.round(r.startedAt),
    request_id: r.requestId,
    client_key_id: r.clientKeyId ?? null,
    team: r.team ?? null,
    dialect: r.dialect,
    requested_model: r.requestedModel ?? null,
    alias: r.alias ?? null,
    provider: r.provider ?? null,
    provider_type: r.providerType || null,
    model: r.upstreamModel ?? null,
    stream: r.stream,
    status: r.status,
    error_code: r.errorCode ?? null,
    error_message: withText ? (r.errorMessage ?? null) : null,
    attempts,
    attempt_count: r.attempts.filter((a) => a.outcome !== 'skipped').length,
    fallback_index: r.fallbackIndex ?? null,
    latency_ms: round(r.latencyMs),
    ttft_ms: r.ttftMs === undefined ? null : round(r.ttftMs),
    upstream_ms: round(r.upstreamMs),
    input_tokens: u?.inputTokens ?? 0,
    output_tokens: u?.outputTokens ?? 0,
    cached_input_tokens: u?.cachedInputTokens ?? 0,
    cost_usd: spend.costUsd,
    priced: spend.priced,
    finish_reason: r.finishReason ?? null,
    content,
    request_meta: withText ? requestMeta(r) : null,
    request_body: content === 'full' ? (r.request?.raw ?? null) : null,
    response_body: content === 'full' ? responseBody(r) : null,
    cache: r.cache ?? null,
    cache_similarity: r.cacheSimilarity ?? null,
    cache_saved_usd: r.cacheSavedUsd ?? null,
    mcp_calls: r.mcpCalls?.length ? r.mcpCalls.map((c) => mcpCall(c, content === 'full')) : null,
  };
}

/** Request parameters, never content: counts and settings only. */
function requestMeta(r: RequestRecord): Record<string, unknown> | null {
  const q: CoreRequest | undefined = r.request;
  if (!q) return r.unmapped?.length ? { unmapped: r.unmapped } : null;
  const meta: Record<string, unknown> = {
    messages: q.messages.length,
    system: q.system.length > 0,
    tools: q.tools?.length ?? 0,
  };
  if (q.toolChoice) meta['tool_choice'] = q.toolChoice.type;
  if (q.maxTokens !== undefined) meta['max_tokens'] = q.maxTokens;
  if (q.temperature !== undefined) meta['temperature'] = q.temperature;
  if (q.topP !== undefined) meta['top_p'] = q.topP;
  if (q.stop?.length) meta['stop_sequences'] = q.stop.length;
  if (q.responseFormat) meta['response_format'] = q.responseFormat.type;
  if (q.reasoning) meta['reasoning'] = q.reasoning.effort ?? (q.reasoning.budgetTokens !== undefined ? `budget:${q.reasoning.budgetTokens}` : q.reasoning.disabled ? 'disabled' : 'on');
  if (q.fallbacks?.length) meta['fallbacks'] = q.fallbacks;
  if (r.unmapped?.length) meta['unmapped'] = r.unmapped;
  return meta;
}

function responseBody(r: RequestRecord): unknown {
  if (r.response) {
    const { id, model, content, finishReason, usage } = r.response;
    return { id, model, content, finish_reason: finishReason, usage };
  }
  if (r.streamedText !== undefined) return { text: r.streamedText };
  return null;
}

/** An MCP call as logged: who, what, how long, how it ended; arguments and result only with full content. */
function mcpCall(c: McpCallRecord, full: boolean): LoggedMcpCall {
  const out: LoggedMcpCall = { round: c.round, name: c.name, server: c.server, tool: c.tool, outcome: c.outcome, duration_ms: round(c.durationMs), start_ms: round(c.startMs) };
  if (c.truncated) out.truncated = true;
  if (full) {
    if (c.arguments !== undefined) out.arguments = c.arguments;
    if (c.result !== undefined) out.result = c.result;
  }
  return out;
}
