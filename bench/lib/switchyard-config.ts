/**
 * The gateway configuration the benchmark runs: two providers on the one mock, an alias per
 * provider, logging at the production default, and observability as a production deployment runs
 * it — metrics on, the request log written to an SQLite file in the run's temp directory (never
 * the project's ./data). Observability keys are added only when the config schema of the tree
 * under test knows them, so the same bench runs against older commits and scratch copies; to change or add one
 * (e.g. tracing), edit `observabilityConfig` — one line each — or pass
 * `--config-extra '{"metrics":{"enabled":false}}'` (top level) or
 * `--provider-extra '{"stream_upstream":false}'` (every provider) for a one-off.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const BENCH_OPENAI_KEY = 'sk-bench-openai';
export const BENCH_ANTHROPIC_KEY = 'sk-ant-bench';
/** The virtual key the `switchyard-governed` scenario sends (see governedConfigExtra). */
export const BENCH_VIRTUAL_KEY = 'sk-sy-bench-virtual-key-000000000';
/** Aliases the scenarios send as `model`. */
export const ALIAS_OPENAI = 'bench-openai';
export const ALIAS_ANTHROPIC = 'bench-anthropic';
/** The alias with the response cache on (memory store, exact): the cache scenarios. */
export const ALIAS_CACHED = 'bench-cached';

/**
 * What the `switchyard-governed` server adds to the bench config: governance on, counters in the
 * Redis at `redisUrl`, one virtual key with a request limit, a token limit and a budget, all far
 * from reached (so every request makes the whole reservation and settlement, none is refused).
 */
export function governedConfigExtra(redisUrl: string): Record<string, unknown> {
  return {
    governance: { enabled: true, counters: { type: 'redis', url: redisUrl } },
    virtual_keys: {
      bench: {
        key: BENCH_VIRTUAL_KEY,
        rate_limits: [
          { requests: 1_000_000_000, per: '1m' },
          { tokens: 1_000_000_000_000, per: '1m' },
        ],
        budgets: [{ max_usd: 1_000_000, period: '1M' }],
      },
    },
  };
}

/** Top-level config keys for metrics and the request log, limited to the ones the tree's schema has. */
export function observabilityConfig(workDir: string, knownKeys: ReadonlySet<string>): Record<string, unknown> {
  const wanted: Record<string, unknown> = {
    metrics: { enabled: true },
    storage: { sqlite_path: join(workDir, 'request-log.db') },
  };
  return Object.fromEntries(Object.entries(wanted).filter(([k]) => knownKeys.has(k)));
}

/** The top-level keys of the config schema in a module (built schema.js, or schema.ts under tsx). */
export async function configKeysOf(schemaModule: string): Promise<Set<string>> {
  type Shaped = { shape?: Record<string, unknown>; unwrap?: () => Shaped };
  const mod = (await import(pathToFileURL(schemaModule).href)) as { configSchema?: Shaped };
  const shape = mod.configSchema?.shape ?? {};
  const keys = new Set(Object.keys(shape));
  // Nested keys the bench sets, when the tree's schema has them.
  let server = shape['server'] as Shaped | undefined;
  while (server && !server.shape && server.unwrap) server = server.unwrap();
  if (server?.shape && 'drain' in server.shape) keys.add('server.drain');
  return keys;
}

export function switchyardBenchConfig(args: {
  mockUrl: string;
  workDir: string;
  knownKeys: ReadonlySet<string>;
  /** Merged over the top level (e.g. {"metrics":{"enabled":false}}). */
  extra?: Record<string, unknown>;
  /** Merged into every provider (e.g. {"stream_upstream":false}). */
  providerExtra?: Record<string, unknown>;
  /**
   * Add the alias with the response cache on (only for the cache scenarios: with it, the cache
   * middleware is in every request's chain, and the plain scenarios would not be "default observers only").
   */
  cachedAlias?: boolean;
}): Record<string, unknown> {
  const { mockUrl } = args;
  const p = args.providerExtra ?? {};
  return {
    // Stop at once on SIGTERM (the default keeps accepting for seconds, made for load balancers;
    // the bench would then kill the process before a CPU profile is written).
    server: { host: '127.0.0.1', port: 0, ...(args.knownKeys.has('server.drain') ? { drain: { accept_ms: 0, timeout_ms: 2000 } } : {}) },
    providers: {
      openai: { type: 'openai', base_url: `${mockUrl}/v1`, keys: [{ value: BENCH_OPENAI_KEY }], models: ['gpt-4o-mini'], ...p },
      anthropic: { type: 'anthropic', base_url: mockUrl, keys: [{ value: BENCH_ANTHROPIC_KEY }], models: ['claude-sonnet-4-5'], ...p },
    },
    models: {
      [ALIAS_OPENAI]: { targets: ['openai/gpt-4o-mini'] },
      [ALIAS_ANTHROPIC]: { targets: ['anthropic/claude-sonnet-4-5'] },
      // Trees whose schema has no cache refuse the key: the alias is then plain.
      ...(args.cachedAlias ? { [ALIAS_CACHED]: { targets: ['openai/gpt-4o-mini'], ...(args.knownKeys.has('cache') ? { cache: { ttl_s: 86400 } } : {}) } } : {}),
    },
    logging: { level: 'info' },
    ...observabilityConfig(args.workDir, args.knownKeys),
    ...args.extra,
  };
}
