/**
 * Where request-log rows go: an embedded SQLite file by default, or a shared Postgres database.
 * Both implement this interface with the same migrations and the same queries.
 */

/** How much of a request's content a row holds (`logging.content`). */
export type ContentLevel = 'none' | 'metadata' | 'full';

/** One upstream attempt, as logged. */
export interface LoggedAttempt {
  target: string;
  key_id?: string;
  /** cancelled: lost a hedge race. */
  outcome: 'ok' | 'error' | 'skipped' | 'cancelled';
  /** Started by hedging. */
  hedge?: boolean;
  code?: string;
  status?: number;
  duration_ms: number;
  /** Error text: only when logging.content is metadata or full. */
  message?: string;
}

/** One request-log row; also the shape `GET /api/logs` returns. */
export interface LogRow {
  /** Assigned by the store. */
  id?: number;
  /** Epoch ms when the request arrived. */
  ts: number;
  request_id: string;
  /** The virtual key (governance) or client key id, never the secret. */
  client_key_id: string | null;
  /** The virtual key's team (governance). */
  team?: string | null;
  dialect: string;
  requested_model: string | null;
  alias: string | null;
  provider: string | null;
  provider_type: string | null;
  model: string | null;
  stream: boolean;
  status: number;
  error_code: string | null;
  error_message: string | null;
  attempts: LoggedAttempt[];
  attempt_count: number;
  fallback_index: number | null;
  latency_ms: number;
  ttft_ms: number | null;
  upstream_ms: number;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cost_usd: number;
  /** False when the model had tokens but no price (its cost is 0). */
  priced: boolean;
  finish_reason: string | null;
  content: ContentLevel;
  /** Request parameters without content (metadata and full). */
  request_meta: Record<string, unknown> | null;
  /** The client's request body (full only). */
  request_body: unknown;
  /** The answer: the response, or the streamed text (full only). */
  response_body: unknown;
  /** What the response cache did: hit, semantic-hit, miss, bypass; null when the cache was off. */
  cache: string | null;
  /** Cosine similarity of a semantic hit. */
  cache_similarity: number | null;
  /** What a hit would have cost upstream (the hit costs 0). */
  cache_saved_usd: number | null;
  /** MCP tool calls the gateway ran (server, tool, outcome, duration; arguments and result with full content only); null: none. */
  mcp_calls?: LoggedMcpCall[] | null;
}

export interface LoggedMcpCall {
  round: number;
  name: string;
  server: string;
  tool: string;
  outcome: string;
  duration_ms: number;
  start_ms: number;
  truncated?: boolean;
  arguments?: string;
  result?: string;
}

export interface LogQuery {
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  alias?: string;
  provider?: string;
  model?: string;
  requestId?: string;
  /** Virtual key id (client_key_id). */
  key?: string;
  team?: string;
  /** true: only requests a fallback answered (fallback_index > 0); false: only the others. */
  fellBack?: boolean;
  /** Exact status, or a range (e.g. 500..599 for "5xx"). */
  statusMin?: number;
  statusMax?: number;
  limit: number;
  /** Rows strictly older than this (ts, id) position: from `next_cursor`. */
  after?: { ts: number; id: number };
}

export interface LogPage {
  rows: LogRow[];
  /** Position of the last row when more rows match. */
  next?: { ts: number; id: number };
}

export interface StatsGroup {
  provider: string | null;
  model: string | null;
  requests: number;
  errors: number;
  fallbacks: number;
  p50_latency_ms: number | null;
  p99_latency_ms: number | null;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cost_usd: number;
  unpriced: number;
}

/** Aggregates of one virtual key (with its team) or one team. */
export type StatsByOwner = Omit<StatsGroup, 'provider' | 'model'> & { key?: string | null; team: string | null };

export interface Stats {
  totals: Omit<StatsGroup, 'provider' | 'model'>;
  by_provider_model: StatsGroup[];
  /** Per virtual key (client_key_id) and its team; rows without a key are grouped under null. */
  by_key: StatsByOwner[];
  /** Per team; rows without a team are grouped under null. */
  by_team: StatsByOwner[];
  errors_by_code: Array<{ code: string; count: number }>;
}

export interface LogStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies pending migrations (idempotent, safe with several replicas). */
  migrate(): Promise<void>;
  insert(rows: readonly LogRow[]): Promise<void>;
  query(q: LogQuery): Promise<LogPage>;
  stats(range: { from: number; to: number }): Promise<Stats>;
  /** Deletes rows older than `before` (epoch ms); returns how many. */
  deleteBefore(before: number): Promise<number>;
  close(): Promise<void>;
}
