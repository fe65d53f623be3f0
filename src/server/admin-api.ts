/**
 * The admin API and the metrics endpoint: GET /api/logs, GET /api/stats (Bearer
 * `server.admin_token`) and GET /metrics (open, like every Prometheus exporter: it holds no secret
 * and no client input). Secure by default: with no admin_token configured, every /api/* route
 * answers 403 saying how to turn it on.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';
import { openAIChatDialect } from '../dialects/openai-chat/index.js';
import { errorOutcome } from '../gateway.js';
import type { Logger } from '../observability/logger.js';
import type { MetricsPlugin } from '../plugins/metrics/metrics-plugin.js';
import type { RequestLogPlugin } from '../plugins/request-log/request-log-plugin.js';
import type { LogQuery, LogRow } from '../storage/log-store.js';

export type AdminHandler = (req: IncomingMessage, res: ServerResponse, requestId: string) => Promise<void> | void;

export interface AdminApi {
  /** Absent when metrics.enabled is false. */
  metrics?: AdminHandler;
  logs: AdminHandler;
  stats: AdminHandler;
}

export interface AdminApiOptions {
  /** The current admin token (read per request: a config reload may change it). */
  adminToken: () => string | undefined;
  /** The current read-only token (server.admin_read_token), accepted for GET. */
  adminReadToken?: () => string | undefined;
  requestLog: RequestLogPlugin;
  metrics?: MetricsPlugin;
  logger: Logger;
}

const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 100;
const DEFAULT_WINDOW = '1h';
const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const digest = (s: string) => createHash('sha256').update(s).digest();

export interface AdminTokens {
  /** server.admin_token: reads and writes. */
  admin: string | undefined;
  /** server.admin_read_token: GET (and HEAD) only. */
  read?: string | undefined;
}

/**
 * Checks `Authorization: Bearer <token>` in constant time against server.admin_token and, for GET
 * and HEAD, server.admin_read_token. Returns which token was presented, or the error to send.
 */
export function authenticateAdmin(req: IncomingMessage, tokens: AdminTokens): { token: 'admin' | 'read' } | { error: GatewayError } {
  if (tokens.admin === undefined && tokens.read === undefined) {
    return {
      error: new GatewayError('GW_ERR_UNAUTHORIZED', 'the admin API is disabled: set server.admin_token in the config (e.g. admin_token: env.SWITCHYARD_ADMIN_TOKEN) and send Authorization: Bearer <token>', {
        status: 403,
      }),
    };
  }
  const auth = req.headers.authorization;
  const presented = digest(typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : '');
  // Both comparisons always run: the time taken does not say which token is configured.
  const isAdmin = tokens.admin !== undefined && timingSafeEqual(presented, digest(tokens.admin));
  const isRead = tokens.read !== undefined && timingSafeEqual(presented, digest(tokens.read));
  if (isAdmin) return { token: 'admin' };
  if (isRead) {
    if (req.method === 'GET' || req.method === 'HEAD') return { token: 'read' };
    return { error: new GatewayError('GW_ERR_UNAUTHORIZED', 'server.admin_read_token allows reading only; send server.admin_token to make changes', { status: 403 }) };
  }
  return { error: new GatewayError('GW_ERR_UNAUTHORIZED', 'admin API: send Authorization: Bearer <server.admin_token> (or server.admin_read_token for GET)') };
}

/** authenticateAdmin without the token kind: the error to send, or undefined when the caller may proceed. */
export function checkAdminAuth(req: IncomingMessage, token: string | undefined, readToken?: string): GatewayError | undefined {
  const r = authenticateAdmin(req, { admin: token, read: readToken });
  return 'error' in r ? r.error : undefined;
}

export function sendAdminError(res: ServerResponse, err: GatewayError, requestId: string): void {
  const out = errorOutcome(openAIChatDialect, err, { 'x-request-id': requestId });
  if (out.kind !== 'json' || res.headersSent) return;
  res.writeHead(out.status, { ...out.headers, 'content-length': Buffer.byteLength(out.body) });
  res.end(out.body);
}

function sendJson(res: ServerResponse, body: unknown, requestId: string): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', 'x-request-id': requestId });
  res.end(text);
}

function badParam(param: string, message: string): GatewayError {
  return new GatewayError('GW_ERR_INVALID_REQUEST', `${param}: ${message}`, { param });
}

/** ISO 8601 or epoch milliseconds. */
function parseTime(param: string, v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw badParam(param, `expected an ISO 8601 time or epoch milliseconds, got "${v.slice(0, 64)}"`);
  return n;
}

/** "15m", "1h", "24h", "7d", "30s". */
export function parseWindow(v: string): number {
  const m = /^(\d+)([smhd])$/.exec(v);
  if (!m || Number(m[1]) <= 0) throw badParam('window', `expected a duration such as 15m, 1h, 24h or 7d, got "${v.slice(0, 64)}"`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

function parseStatus(v: string): { statusMin: number; statusMax: number } {
  if (/^[1-5]\d\d$/.test(v)) return { statusMin: Number(v), statusMax: Number(v) };
  if (/^[1-5]xx$/i.test(v)) return { statusMin: Number(v[0]) * 100, statusMax: Number(v[0]) * 100 + 99 };
  throw badParam('status', `expected an HTTP status (429) or a class (5xx), got "${v.slice(0, 64)}"`);
}

function encodeCursor(pos: { ts: number; id: number }): string {
  return Buffer.from(`${pos.ts}.${pos.id}`).toString('base64url');
}

function decodeCursor(v: string): { ts: number; id: number } {
  const m = /^(\d+)\.(\d+)$/.exec(Buffer.from(v, 'base64url').toString());
  if (!m) throw badParam('cursor', 'not a cursor from next_cursor');
  return { ts: Number(m[1]), id: Number(m[2]) };
}

const LOG_PARAMS = new Set(['from', 'to', 'alias', 'provider', 'model', 'status', 'request_id', 'key', 'team', 'fell_back', 'limit', 'cursor']);

export function parseLogQuery(params: URLSearchParams): LogQuery {
  for (const k of params.keys()) if (!LOG_PARAMS.has(k)) throw badParam(k, `unknown parameter; use ${[...LOG_PARAMS].join(', ')}`);
  const q: LogQuery = { limit: DEFAULT_LIMIT };
  const from = parseTime('from', params.get('from'));
  const to = parseTime('to', params.get('to'));
  if (from !== undefined) q.from = from;
  if (to !== undefined) q.to = to;
  for (const [param, key] of [['alias', 'alias'], ['provider', 'provider'], ['model', 'model'], ['request_id', 'requestId'], ['key', 'key'], ['team', 'team']] as const) {
    const v = params.get(param);
    if (v) q[key] = v;
  }
  const status = params.get('status');
  if (status) Object.assign(q, parseStatus(status));
  const fellBack = params.get('fell_back');
  if (fellBack !== null && fellBack !== '') {
    if (fellBack !== 'true' && fellBack !== 'false') throw badParam('fell_back', `expected true or false, got "${fellBack.slice(0, 64)}"`);
    q.fellBack = fellBack === 'true';
  }
  const limit = params.get('limit');
  if (limit !== null) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw badParam('limit', `expected an integer from 1 to ${MAX_LIMIT}, got "${limit.slice(0, 64)}"`);
    q.limit = n;
  }
  const cursor = params.get('cursor');
  if (cursor) q.after = decodeCursor(cursor);
  return q;
}

function withTime(row: LogRow): LogRow & { time: string } {
  return { id: row.id, time: new Date(row.ts).toISOString(), ...row };
}

export function createAdminApi(options: AdminApiOptions): AdminApi {
  const { requestLog, metrics, logger } = options;

  const guarded =
    (fn: (url: URL, res: ServerResponse, requestId: string) => Promise<void>): AdminHandler =>
    async (req, res, requestId) => {
      req.resume();
      const denied = checkAdminAuth(req, options.adminToken(), options.adminReadToken?.());
      if (denied) return sendAdminError(res, denied, requestId);
      try {
        await fn(new URL(req.url ?? '/', 'http://admin'), res, requestId);
      } catch (e) {
        if (e instanceof GatewayError) return sendAdminError(res, e, requestId);
        logger.error({ err: { message: (e as Error).message }, requestId }, 'admin API failed');
        sendAdminError(res, new GatewayError('GW_ERR_INTERNAL', 'the admin API could not read the request log'), requestId);
      }
    };

  const api: AdminApi = {
    logs: guarded(async (url, res, requestId) => {
      const q = parseLogQuery(url.searchParams);
      const page = await requestLog.query(q);
      sendJson(res, { data: page.rows.map(withTime), next_cursor: page.next ? encodeCursor(page.next) : null }, requestId);
    }),
    stats: guarded(async (url, res, requestId) => {
      const p = url.searchParams;
      for (const k of p.keys()) if (!['window', 'from', 'to'].includes(k)) throw badParam(k, 'unknown parameter; use window, or from and to');
      const now = Date.now();
      const to = parseTime('to', p.get('to')) ?? now;
      const explicitFrom = parseTime('from', p.get('from'));
      const window = p.get('window') ?? (explicitFrom === undefined ? DEFAULT_WINDOW : undefined);
      const from = explicitFrom ?? to - parseWindow(window!);
      if (from >= to) throw badParam('from', 'must be before to');
      const s = await requestLog.stats({ from, to });
      const t = s.totals;
      sendJson(
        res,
        {
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          ...(window ? { window } : {}),
          ...t,
          error_rate: t.requests ? t.errors / t.requests : 0,
          fallback_rate: t.requests ? t.fallbacks / t.requests : 0,
          by_provider_model: s.by_provider_model,
          by_key: s.by_key,
          by_team: s.by_team,
          errors_by_code: s.errors_by_code,
        },
        requestId,
      );
    }),
  };
  if (metrics) {
    api.metrics = async (req, res) => {
      req.resume();
      const { contentType, body } = await metrics.render();
      res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(body);
    };
  }
  return api;
}
