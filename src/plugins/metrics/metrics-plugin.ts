/**
 * Prometheus metrics (prom-client, one Registry per gateway), all named switchyard_*, plus the
 * default process and Node.js metrics. On the request path this is counter and histogram updates
 * in onRequestEnd (HotCounter / HotHistogram: see hot-series.ts for why not prom-client's own)
 * and an in-flight count; breaker states and request-log counters are read at scrape time.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SpendCalculator } from '../../pricing/spend.js';
import type { BreakerSnapshot } from '../../routing/circuit-breaker.js';
import type { Runtime } from '../../routing/runtime.js';
import type { GatewayPlugin, RequestRecord, RequestStart } from '../plugin.js';
import { HotCounter, HotHistogram } from './hot-series.js';
import { LabelValues } from './label-values.js';

/** What the metrics read from the gateway at scrape time (the Gateway class fits). */
export interface MetricsSource {
  readonly currentRuntime: Runtime;
  readonly breakers: { snapshot(): BreakerSnapshot[] };
}

/** Request-log counters, read at scrape time. */
export interface RequestLogCounters {
  written: number;
  dropped: number;
  failed: number;
  queued: number;
}

export interface MetricsPluginOptions {
  runtime: Runtime;
  spend: SpendCalculator;
  /** Default true; off in tests that build many registries. */
  processMetrics?: boolean;
}

export interface MetricsPlugin extends GatewayPlugin {
  readonly registry: Registry;
  /** Reads breaker states (and the current runtime, after a reload) from the gateway. */
  attach(source: MetricsSource): void;
  /** Exposes the request log's queue counters. */
  observeRequestLog(read: () => RequestLogCounters): void;
  /** Exposes the config store's state: reachable or not, and the config revision served. */
  observeConfigStore(read: () => { up: boolean; revision: number }): void;
  /** Exposes governance's counter store state (undefined: governance never enabled). */
  observeGovernanceStore(read: () => { up: boolean } | undefined): void;
  /** Exposes the response cache's backends (reachable or not) and its failure counters. */
  observeCache(read: CacheObserver): void;
  /**
   * Counts one MCP tool call (switchyard_mcp_tool_calls_total and its duration). The server is one
   * of the config's; `tool` is the server's name for a tool it lists (else "other"), so labels stay bounded.
   */
  mcpToolCall(c: { server: string; tool: string; known: boolean; outcome: string; durationMs: number }): void;
  /** The exposition text and its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** What the metrics read from the response cache at scrape time. */
export interface CacheObserver {
  status(): Array<{ backend: string; type: string; up: boolean }>;
  errors(): Record<string, number>;
  /** cache.admission: whether answers are stored on second sight now, and the misses not stored for it. */
  admission(): { secondSight: boolean; notAdmitted: number };
}

const LATENCY_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120];
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const TTFT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 15, 30, 60];
const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

export function createMetricsPlugin(options: MetricsPluginOptions): MetricsPlugin {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const { spend } = options;
  let source: MetricsSource | undefined;
  let labels = new LabelValues(options.runtime);
  let readLog: (() => RequestLogCounters) | undefined;
  let readConfigStore: (() => { up: boolean; revision: number }) | undefined;
  let readGovernanceStore: (() => { up: boolean } | undefined) | undefined;
  let readCache: CacheObserver | undefined;

  /** Labels follow the runtime the gateway currently serves (config reloads swap it). */
  const currentLabels = (): LabelValues => {
    const rt = source?.currentRuntime;
    if (rt && rt !== labels.runtime) {
      labels = new LabelValues(rt);
      initFallbacks();
    }
    return labels;
  };

  const registers = [registry];
  const requests = new HotCounter({
    name: 'switchyard_requests_total',
    help: 'Finished requests, by client dialect, alias, answering (or last tried) provider and model, HTTP status, and the virtual key\'s team (governance; "" without one).',
    labelNames: ['dialect', 'alias', 'provider', 'model', 'status', 'team'] as const,
    registers,
  });
  const duration = new HotHistogram({
    name: 'switchyard_request_duration_seconds',
    help: 'Time from request arrival to the last byte written.',
    labelNames: ['dialect', 'alias', 'provider', 'model'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const upstream = new HotHistogram({
    name: 'switchyard_upstream_duration_seconds',
    help: 'Duration of each upstream attempt (for the answering attempt of a stream, until the stream ended), by outcome.',
    labelNames: ['provider', 'model', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const overhead = new HotHistogram({
    name: 'switchyard_gateway_overhead_seconds',
    help: "The gateway's own time per request: total latency minus time spent waiting on upstream (backoff waits included).",
    labelNames: ['dialect'] as const,
    buckets: OVERHEAD_BUCKETS,
    registers,
  });
  const ttft = new HotHistogram({
    name: 'switchyard_time_to_first_token_seconds',
    help: 'Time from request arrival to the first content sent to the client (streams) or the whole response (non-stream).',
    labelNames: ['dialect', 'alias', 'provider', 'model', 'stream'] as const,
    buckets: TTFT_BUCKETS,
    registers,
  });
  const attempts = new HotCounter({
    name: 'switchyard_upstream_attempts_total',
    help: 'Upstream attempts by target and outcome (ok, error, skipped, cancelled) and error code.',
    labelNames: ['provider', 'model', 'outcome', 'code'] as const,
    registers,
  });
  const retries = new HotCounter({
    name: 'switchyard_retries_total',
    help: 'Attempts beyond the first on the same target (retries and key rotations).',
    labelNames: ['provider', 'model'] as const,
    registers,
  });
  const fallbacks = new HotCounter({
    name: 'switchyard_fallbacks_total',
    help: 'Requests answered by a target other than the first of their route, from the first target to the one that answered.',
    labelNames: ['alias', 'from', 'to'] as const,
    registers,
  });
  const tokens = new HotCounter({
    name: 'switchyard_tokens_total',
    help: 'Tokens by provider, model and type: input (all input, cache reads included), cached_input (cache reads), output.',
    labelNames: ['provider', 'model', 'type', 'team'] as const,
    registers,
  });
  const cost = new HotCounter({
    name: 'switchyard_cost_usd_total',
    help: 'Cost in USD from the price table and pricing.overrides, by provider, model and the virtual key\'s team.',
    labelNames: ['provider', 'model', 'team'] as const,
    registers,
  });
  const unpriced = new HotCounter({
    name: 'switchyard_unpriced_requests_total',
    help: 'Requests that used tokens of a model with no price (their cost counts as 0).',
    labelNames: ['provider', 'model'] as const,
    registers,
  });
  const errors = new HotCounter({
    name: 'switchyard_errors_total',
    help: 'Requests that ended with an error, by stable error code (streams that failed after commit included).',
    labelNames: ['dialect', 'code'] as const,
    registers,
  });
  // Counted here and handed to the gauge at scrape time: two Map updates per request instead of
  // two labelled gauge updates.
  const inFlightByDialect = new Map<string, number>();
  new Gauge({
    name: 'switchyard_in_flight_requests',
    help: 'Requests being handled now.',
    labelNames: ['dialect'] as const,
    registers,
    collect() {
      for (const [dialect, n] of inFlightByDialect) this.set({ dialect }, n);
    },
  });
  new Gauge({
    name: 'switchyard_circuit_breaker_state',
    help: 'Circuit breaker per target: 0 closed, 1 half-open, 2 open.',
    labelNames: ['target'] as const,
    registers,
    collect() {
      this.reset();
      if (!source) return;
      const l = currentLabels();
      const states = new Map<string, number>();
      for (const b of source.breakers.snapshot()) {
        if (b.id.startsWith('key:')) continue;
        const target = l.target(b.id);
        states.set(target, Math.max(states.get(target) ?? 0, BREAKER_VALUE[b.state]));
      }
      // Every configured target shows up, closed until it has failed.
      for (const alias of l.runtime.aliases.values()) for (const t of alias.targets) if (!states.has(t.label)) states.set(t.label, 0);
      for (const [target, v] of states) this.set({ target }, v);
    },
  });
  new Gauge({
    name: 'switchyard_key_circuit_breaker_state',
    help: 'Circuit breaker per provider key (by key id, never the key): 0 closed, 1 half-open, 2 open.',
    labelNames: ['provider', 'key_id'] as const,
    registers,
    collect() {
      this.reset();
      if (!source) return;
      const l = currentLabels();
      for (const b of source.breakers.snapshot()) {
        if (!b.id.startsWith('key:')) continue;
        const rest = b.id.slice(4);
        const colon = rest.indexOf(':');
        const provider = l.provider(rest.slice(0, colon));
        if (colon <= 0 || provider === 'unknown') continue;
        this.set({ provider, key_id: rest.slice(colon + 1) }, BREAKER_VALUE[b.state]);
      }
    },
  });
  const logCounter = (name: string, help: string, pick: (c: RequestLogCounters) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        if (!readLog) return;
        this.reset();
        this.inc(pick(readLog()));
      },
    });
  logCounter('switchyard_request_log_written_total', 'Request-log rows written to the database.', (c) => c.written);
  logCounter('switchyard_request_log_dropped_total', 'Request-log rows dropped because the queue was full or the database kept failing.', (c) => c.dropped);
  logCounter('switchyard_request_log_write_errors_total', 'Failed request-log batch writes (retried until they succeed or are dropped).', (c) => c.failed);
  new Gauge({
    name: 'switchyard_request_log_queue_length',
    help: 'Request-log rows waiting to be written.',
    registers,
    collect() {
      if (readLog) this.set(readLog().queued);
    },
  });

  new Gauge({
    name: 'switchyard_config_store_up',
    help: 'Whether the config store (SQLite or Postgres) answered the last time this replica asked: 1 up, 0 unreachable (the replica then serves its last good config).',
    registers,
    collect() {
      if (readConfigStore) this.set(readConfigStore().up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'switchyard_governance_store_up',
    help: 'Whether governance\'s counter store (Redis) is reachable: 1 up, 0 unreachable (then on_counter_store_error applies). Always 1 with the memory store or with governance off.',
    registers,
    collect() {
      const s = readGovernanceStore?.();
      this.set(!s || s.up ? 1 : 0);
    },
  });
  const cacheRequests = new HotCounter({
    name: 'switchyard_cache_requests_total',
    help: 'Requests the response cache looked at, by alias and result: hit, semantic_hit, miss, bypass (x-switchyard-cache: no-cache or refresh).',
    labelNames: ['alias', 'result'] as const,
    registers,
  });
  const cacheSaved = new HotCounter({
    name: 'switchyard_cache_saved_usd_total',
    help: 'What the answers served from the cache would have cost upstream, in USD (hits themselves cost 0).',
    labelNames: ['alias'] as const,
    registers,
  });
  new Gauge({
    name: 'switchyard_cache_store_up',
    help: "Whether the response cache's backend is reachable: 1 up, 0 unreachable (requests then go upstream uncached). backend: exact (memory or redis) or semantic (embedded or postgres). Absent with the cache off.",
    labelNames: ['backend', 'type'] as const,
    registers,
    collect() {
      this.reset();
      for (const s of readCache?.status() ?? []) this.set({ backend: s.backend, type: s.type }, s.up ? 1 : 0);
    },
  });
  new Counter({
    name: 'switchyard_cache_errors_total',
    help: 'Cache failures, each served as a miss: store (exact store read or write), index (semantic index), embedding (the embedding call failed or was slow).',
    labelNames: ['stage'] as const,
    registers,
    collect() {
      if (!readCache) return;
      this.reset();
      for (const [stage, n] of Object.entries(readCache.errors())) this.inc({ stage }, n);
    },
  });
  new Gauge({
    name: 'switchyard_cache_second_sight',
    help: 'cache.admission adaptive: 1 while answers are stored only the second time their request is seen (no hit in the last `window` lookups), else 0.',
    registers,
    collect() {
      this.set(readCache?.admission().secondSight ? 1 : 0);
    },
  });
  new Counter({
    name: 'switchyard_cache_not_admitted_total',
    help: 'Misses whose answer the cache did not store because their request was seen for the first time while storing on second sight (cache.admission).',
    registers,
    collect() {
      if (!readCache) return;
      this.reset();
      this.inc(readCache.admission().notAdmitted);
    },
  });
  const mcpCalls = new Counter({
    name: 'switchyard_mcp_tool_calls_total',
    help: 'MCP tool calls the gateway ran (auto_execute, POST /v1/mcp/tools/call, /mcp), by server, tool and outcome: ok, error (the tool failed), timeout, unavailable (server down), aborted.',
    labelNames: ['server', 'tool', 'outcome'] as const,
    registers,
  });
  const mcpDuration = new Histogram({
    name: 'switchyard_mcp_tool_call_duration_seconds',
    help: 'Duration of MCP tool calls the gateway ran, by server and tool.',
    labelNames: ['server', 'tool'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  new Gauge({
    name: 'switchyard_config_revision',
    help: 'The config-store revision this replica serves (0: none yet); replicas that agree show the same value.',
    registers,
    collect() {
      if (readConfigStore) this.set(readConfigStore().revision);
    },
  });

  /** Fallback series exist at 0 from the start, so rate() sees the first fallback. */
  function initFallbacks(): void {
    for (const alias of labels.runtime.aliases.values()) {
      const first = alias.targets[0];
      if (!first) continue;
      for (const t of alias.targets.slice(1)) fallbacks.labels(alias.name, first.label, t.label).inc(0);
    }
  }
  initFallbacks();

  return {
    name: 'metrics',
    registry,
    attach(s) {
      source = s;
    },
    observeRequestLog(read) {
      readLog = read;
    },
    observeConfigStore(read) {
      readConfigStore = read;
    },
    observeGovernanceStore(read) {
      readGovernanceStore = read;
    },
    observeCache(read) {
      readCache = read;
    },
    mcpToolCall(c) {
      const servers = currentLabels().runtime.config.mcp.servers;
      const server = Object.hasOwn(servers, c.server) ? c.server : 'other';
      const tool = c.known && server !== 'other' ? c.tool : 'other';
      mcpCalls.labels(server, tool, c.outcome).inc();
      mcpDuration.labels(server, tool).observe(c.durationMs / 1000);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    onRequestStart(start: RequestStart) {
      inFlightByDialect.set(start.dialect, (inFlightByDialect.get(start.dialect) ?? 0) + 1);
    },
    onRequestEnd(r: RequestRecord) {
      const l = currentLabels();
      inFlightByDialect.set(r.dialect, (inFlightByDialect.get(r.dialect) ?? 0) - 1);
      const provider = l.provider(r.provider);
      const model = l.model(r.provider, r.upstreamModel);
      const alias = l.alias(r.alias);
      const team = l.team(r.team);
      requests.labels(r.dialect, alias, provider, model, String(r.status), team).inc();
      duration.labels(r.dialect, alias, provider, model).observe(r.latencyMs / 1000);
      overhead.labels(r.dialect).observe(Math.max(0, r.latencyMs - r.upstreamMs) / 1000);
      if (r.ttftMs !== undefined && r.fallbackIndex !== undefined) ttft.labels(r.dialect, alias, provider, model, r.stream ? 'true' : 'false').observe(r.ttftMs / 1000);
      if (r.errorCode) errors.labels(r.dialect, r.errorCode).inc();
      if (r.cache) {
        cacheRequests.labels(alias, r.cache === 'semantic-hit' ? 'semantic_hit' : r.cache).inc();
        if (r.cacheSavedUsd) cacheSaved.labels(alias).inc(r.cacheSavedUsd);
      }

      const perTarget = new Map<string, number>();
      let attemptMs = 0;
      for (const a of r.attempts) attemptMs += a.durationMs;
      for (const a of r.attempts) {
        const t = l.splitTarget(a.target);
        attempts.labels(t.provider, t.model, a.outcome, a.code ?? '').inc();
        if (a.outcome === 'skipped') continue;
        const extra = a.outcome === 'ok' && r.stream ? Math.max(0, r.upstreamMs - attemptMs) : 0;
        upstream.labels(t.provider, t.model, a.outcome).observe((a.durationMs + extra) / 1000);
        if (a.outcome !== 'cancelled') perTarget.set(a.target, (perTarget.get(a.target) ?? 0) + 1);
      }
      for (const [target, n] of perTarget) {
        if (n < 2) continue;
        const t = l.splitTarget(target);
        retries.labels(t.provider, t.model).inc(n - 1);
      }
      if (r.fallbackIndex !== undefined && r.fallbackIndex > 0 && r.provider && r.upstreamModel) {
        // From the first target of the route (the alias's first, or the model the client named).
        const first = (r.alias && l.runtime.aliases.get(r.alias)?.targets[0]?.label) || r.requestedModel || '';
        fallbacks.labels(alias, l.target(first), l.target(`${r.provider}/${r.upstreamModel}`)).inc();
      }

      const u = r.usage;
      if (u && provider) {
        if (u.inputTokens) tokens.labels(provider, model, 'input', team).inc(u.inputTokens);
        if (u.outputTokens) tokens.labels(provider, model, 'output', team).inc(u.outputTokens);
        if (u.cachedInputTokens) tokens.labels(provider, model, 'cached_input', team).inc(u.cachedInputTokens);
        const s = spend.of(r);
        if (s.costUsd > 0) cost.labels(provider, model, team).inc(s.costUsd);
        if (!s.priced) unpriced.labels(provider, model).inc();
      }
    },
  };
}
