/**
 * SQL shared by the SQLite and Postgres stores, written with `?` placeholders (the Postgres store
 * numbers them). Both databases run the same window-function queries for percentiles.
 */
import type { LogQuery, LogRow, StatsGroup } from './log-store.js';

/** Columns written on insert, in order. */
export const INSERT_COLUMNS = [
  'ts',
  'request_id',
  'client_key_id',
  'team',
  'dialect',
  'requested_model',
  'alias',
  'provider',
  'provider_type',
  'model',
  'stream',
  'status',
  'error_code',
  'error_message',
  'attempts',
  'attempt_count',
  'fallback_index',
  'latency_ms',
  'ttft_ms',
  'upstream_ms',
  'input_tokens',
  'output_tokens',
  'cached_input_tokens',
  'cost_usd',
  'priced',
  'finish_reason',
  'content',
  'request_meta',
  'request_body',
  'response_body',
  'cache',
  'cache_similarity',
  'cache_saved_usd',
  'mcp_calls',
] as const satisfies ReadonlyArray<keyof LogRow>;

/** Columns holding JSON (TEXT in SQLite, JSONB in Postgres). */
export const JSON_COLUMNS = new Set<string>(['attempts', 'request_meta', 'request_body', 'response_body', 'mcp_calls']);

export interface Sql {
  text: string;
  params: unknown[];
}

export function buildLogQuery(q: LogQuery): Sql {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, ...values: unknown[]) => {
    where.push(clause);
    params.push(...values);
  };
  if (q.from !== undefined) add('ts >= ?', q.from);
  if (q.to !== undefined) add('ts < ?', q.to);
  if (q.alias !== undefined) add('alias = ?', q.alias);
  if (q.provider !== undefined) add('provider = ?', q.provider);
  if (q.model !== undefined) add('model = ?', q.model);
  if (q.requestId !== undefined) add('request_id = ?', q.requestId);
  if (q.key !== undefined) add('client_key_id = ?', q.key);
  if (q.team !== undefined) add('team = ?', q.team);
  if (q.fellBack !== undefined) add(q.fellBack ? 'fallback_index > 0' : '(fallback_index IS NULL OR fallback_index = 0)');
  if (q.statusMin !== undefined) add('status >= ?', q.statusMin);
  if (q.statusMax !== undefined) add('status <= ?', q.statusMax);
  if (q.after) add('(ts < ? OR (ts = ? AND id < ?))', q.after.ts, q.after.ts, q.after.id);
  params.push(q.limit + 1);
  return {
    text: `SELECT * FROM request_logs${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ts DESC, id DESC LIMIT ?`,
    params,
  };
}

const AGGREGATES = `COUNT(*) AS requests,
  SUM(CASE WHEN error_code IS NOT NULL THEN 1 ELSE 0 END) AS errors,
  SUM(CASE WHEN fallback_index > 0 THEN 1 ELSE 0 END) AS fallbacks,
  SUM(CASE WHEN priced THEN 0 ELSE 1 END) AS unpriced,
  MAX(CASE WHEN rn = (n * 50 + 99) / 100 THEN latency_ms END) AS p50_latency_ms,
  MAX(CASE WHEN rn = (n * 99 + 99) / 100 THEN latency_ms END) AS p99_latency_ms,
  COALESCE(SUM(input_tokens), 0) AS input_tokens,
  COALESCE(SUM(output_tokens), 0) AS output_tokens,
  COALESCE(SUM(cached_input_tokens), 0) AS cached_input_tokens,
  COALESCE(SUM(cost_usd), 0) AS cost_usd`;

/**
 * Requests, errors, nearest-rank p50/p99 latency, tokens and cost in [from, to): grouped by
 * provider and model (`grouped`), or over everything.
 */
export function buildStatsQuery(grouped: boolean): string {
  const partition = grouped ? 'PARTITION BY provider, model ' : '';
  return `WITH r AS (
  SELECT provider, model, latency_ms, error_code, fallback_index, priced, input_tokens, output_tokens, cached_input_tokens, cost_usd,
    ROW_NUMBER() OVER (${partition}ORDER BY latency_ms) AS rn,
    COUNT(*) OVER (${grouped ? 'PARTITION BY provider, model' : ''}) AS n
  FROM request_logs WHERE ts >= ? AND ts < ?
)
SELECT ${grouped ? 'provider, model, ' : ''}${AGGREGATES}
FROM r${grouped ? ' GROUP BY provider, model ORDER BY cost_usd DESC, requests DESC' : ''}`;
}

/** The same aggregates grouped by virtual key and team (`key`) or by team alone (`team`). */
export function buildOwnerStatsQuery(by: 'key' | 'team'): string {
  const cols = by === 'key' ? 'client_key_id, team' : 'team';
  const select = by === 'key' ? 'client_key_id AS key, team' : 'team';
  return `WITH r AS (
  SELECT client_key_id, team, latency_ms, error_code, fallback_index, priced, input_tokens, output_tokens, cached_input_tokens, cost_usd,
    ROW_NUMBER() OVER (PARTITION BY ${cols} ORDER BY latency_ms) AS rn,
    COUNT(*) OVER (PARTITION BY ${cols}) AS n
  FROM request_logs WHERE ts >= ? AND ts < ?
)
SELECT ${select}, ${AGGREGATES}
FROM r GROUP BY ${cols} ORDER BY cost_usd DESC, requests DESC`;
}

export const ERRORS_BY_CODE_SQL =
  'SELECT error_code AS code, COUNT(*) AS count FROM request_logs WHERE ts >= ? AND ts < ? AND error_code IS NOT NULL GROUP BY error_code ORDER BY count DESC';

export const DELETE_BATCH_SQL = 'DELETE FROM request_logs WHERE id IN (SELECT id FROM request_logs WHERE ts < ? LIMIT ?)';

/** Numbers `?` placeholders as `$1, $2, ...` for Postgres (no `?` appears inside our literals). */
export function numberPlaceholders(text: string): string {
  let i = 0;
  return text.replace(/\?/g, () => `$${++i}`);
}

/** Aggregates as numbers (drivers may return sums as strings or bigints), percentiles null when empty. */
export function normalizeGroup<T extends Partial<StatsGroup>>(g: T): T {
  const out: Record<string, unknown> = { ...g };
  for (const k of ['requests', 'errors', 'fallbacks', 'unpriced', 'input_tokens', 'output_tokens', 'cached_input_tokens', 'cost_usd'] as const) {
    out[k] = Number(g[k] ?? 0);
  }
  for (const k of ['p50_latency_ms', 'p99_latency_ms'] as const) out[k] = g[k] === null || g[k] === undefined ? null : Number(g[k]);
  return out as T;
}
