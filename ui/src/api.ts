/**
 * The console's only way to the gateway: the admin API under /api (and, for the Playground, the
 * gateway's own /v1 endpoints with a client key). The admin token lives in sessionStorage (this tab
 * only, gone when it closes) and is sent as a Bearer header: no cookie, so no CSRF surface.
 */
const TOKEN_KEY = 'switchyard.admin-token';

export type Role = 'admin' | 'read';

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/** An admin API error: the OpenAI error shape the gateway answers with, plus the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | undefined,
    readonly param: string | undefined,
  ) {
    super(message);
  }
}

let onUnauthorized: (() => void) | undefined;
/** Called when the API refuses the token (401): the session ends. */
export function setUnauthorizedHandler(fn: (() => void) | undefined): void {
  onUnauthorized = fn;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<T> {
  const token = init.token ?? storedToken();
  const headers: Record<string, string> = { accept: 'application/json', 'x-switchyard-actor': 'console' };
  if (token) headers['authorization'] = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`/api/${path}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? null : JSON.stringify(init.body), credentials: 'omit', cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, `the gateway cannot be reached (${(e as Error).message})`, undefined, undefined);
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const err = (data as { error?: { message?: string; code?: string; param?: string } } | undefined)?.error;
    if (res.status === 401 && !init.token) onUnauthorized?.();
    throw new ApiError(res.status, err?.message ?? `${res.status} ${res.statusText}`, err?.code ?? undefined, err?.param ?? undefined);
  }
  return data as T;
}

/** Path segment: names may hold "/" (breaker overrides name targets "provider/model"). */
export const seg = (s: string) => encodeURIComponent(s);

// ---- shapes of the admin API answers the console reads ----

export interface Session {
  token: Role;
}

export interface ListAnswer<T> {
  data: T[];
  revision?: number;
}

export type ManagedBy = 'file' | 'api';

export interface ProviderKeyView {
  id?: string;
  value?: string;
  weight?: number;
  models?: string[];
}

export interface ProviderView {
  name: string;
  type?: string;
  base_url?: string;
  keys?: ProviderKeyView[];
  models?: string[];
  revision: number | null;
  managed_by: ManagedBy;
  [k: string]: unknown;
}

export interface AliasView {
  name: string;
  targets: string[];
  deadline_ms?: number;
  hedge_after_ms?: number;
  revision: number | null;
  managed_by: ManagedBy;
  [k: string]: unknown;
}

export interface Budget {
  max_usd: number;
  period: string;
}
export interface RateLimit {
  requests?: number;
  tokens?: number;
  per: string;
}

export interface Usage {
  in_flight: number;
  budgets: Array<{ period: string; max_usd: number; spent_usd: number; resets_at: string | null }>;
  rate_limits: Array<{ per: string; requests?: number; tokens?: number; used: number; resets_at: string | null }>;
}

export interface VirtualKeyView {
  name: string;
  team?: string;
  models?: string[];
  budgets?: Budget[];
  rate_limits?: RateLimit[];
  max_concurrent?: number;
  expires_at?: string;
  disabled?: boolean;
  description?: string;
  revision: number | null;
  managed_by: ManagedBy;
  source?: string;
  usage?: Usage | null;
  /** Only in the answer to the POST that created it. */
  key?: string;
}

export interface TeamView {
  name: string;
  budgets?: Budget[];
  rate_limits?: RateLimit[];
  max_concurrent?: number;
  description?: string;
  revision: number | null;
  managed_by: ManagedBy;
  usage?: Usage | null;
}

export interface TargetState {
  target: string;
  provider: string;
  aliases: string[];
  state: 'closed' | 'open' | 'half-open';
  consecutive_failures: number;
  retry_in_ms?: number;
  override: { name: string; reason?: string } | null;
}

export interface SeriesPoint {
  t: number;
  requests: number;
  rps: number;
  error_rate: number;
  fallback_rate: number;
  errors: number;
  fallbacks: number;
}

export interface Overview {
  generated_at: string;
  series: {
    bucket_ms: number;
    from: number;
    to: number;
    totals: { requests: number; errors: number; fallbacks: number; error_rate: number; fallback_rate: number };
    points: SeriesPoint[];
    by_provider: Record<string, Array<{ t: number; requests: number; error_rate: number; p50_ms: number | null; p99_ms: number | null }>>;
  };
  spend: { today_usd: number; month_usd: number; day_start: string; month_start: string; today_requests: number; month_requests: number };
  targets: TargetState[];
}

export interface Attempt {
  target: string;
  key_id?: string;
  outcome: 'ok' | 'error' | 'skipped' | 'cancelled';
  hedge?: boolean;
  code?: string;
  status?: number;
  duration_ms: number;
  message?: string;
}

export interface LogRow {
  id: number;
  time: string;
  ts: number;
  request_id: string;
  client_key_id: string | null;
  team?: string | null;
  dialect: string;
  requested_model: string | null;
  alias: string | null;
  provider: string | null;
  model: string | null;
  stream: boolean;
  status: number;
  error_code: string | null;
  error_message: string | null;
  attempts: Attempt[];
  attempt_count: number;
  fallback_index: number | null;
  latency_ms: number;
  ttft_ms: number | null;
  upstream_ms: number;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cost_usd: number;
  priced: boolean;
  finish_reason: string | null;
  content: 'none' | 'metadata' | 'full';
  request_meta: Record<string, unknown> | null;
  request_body: unknown;
  response_body: unknown;
  cache: string | null;
}

export interface LogPage {
  data: LogRow[];
  next_cursor: string | null;
}

export interface EntityChange {
  kind: string;
  name: string;
  action: 'create' | 'update' | 'delete';
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

export interface RevisionView {
  revision: number;
  time: string;
  actor: { token: string; name?: string };
  summary: string;
  changes: EntityChange[];
  restored_from?: number;
}
