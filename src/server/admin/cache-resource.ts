/**
 * /api/cache: GET /api/cache/stats (entries, backends and their state, hits, misses, cost saved
 * since this replica started) and DELETE /api/cache (every entry, or one namespace's with
 * ?namespace=key:<id> | team:<name> | global).
 */
import type { CacheService } from '../../cache/cache-service.js';
import type { CacheConfig } from '../../cache/cache-schema.js';
import { GatewayError } from '../../core/errors.js';
import type { AdminRoute } from './admin-http.js';

const NAMESPACE = /^(global|key:[^\s]{1,200}|team:[^\s]{1,200})$/;

/** Stores that count seldom (Redis, Postgres: paced-count.ts) say when they counted. */
function countedAt(at: number | undefined): { counted_at?: string } {
  return at === undefined ? {} : { counted_at: new Date(at).toISOString() };
}

export function cacheResource(o: { service: CacheService; config: () => CacheConfig }): AdminRoute[] {
  const { service } = o;
  return [
    {
      method: 'GET',
      pattern: 'cache/stats',
      async handle() {
        const cfg = o.config();
        const { store, index } = service.current();
        const status = service.status();
        const exact = store ? await store.stats().catch(() => undefined) : undefined;
        const semantic = index ? await index.stats().catch(() => undefined) : undefined;
        const c = service.counters;
        const lookups = c.hits + c.semanticHits + c.misses;
        return {
          body: {
            enabled: cfg.enabled,
            namespace: cfg.namespace,
            ttl_s: cfg.ttl_s,
            admission: { mode: cfg.admission.mode, window: cfg.admission.window, storing_on: service.admission.secondSight ? 'second-sight' : 'first-sight' },
            store: {
              type: cfg.store.type,
              up: status.find((s) => s.backend === 'exact')?.up ?? false,
              entries: exact?.entries ?? null,
              ...(exact?.bytes !== undefined ? { bytes: exact.bytes } : {}),
              ...countedAt(exact?.countedAt),
            },
            semantic: {
              enabled: cfg.semantic.enabled,
              index: cfg.semantic.index.type,
              up: status.find((s) => s.backend === 'semantic')?.up ?? null,
              entries: semantic?.entries ?? null,
              ...countedAt(semantic?.countedAt),
              threshold: cfg.semantic.threshold,
            },
            since_start: {
              hits: c.hits,
              semantic_hits: c.semanticHits,
              misses: c.misses,
              bypasses: c.bypasses,
              stored: c.stored,
              not_admitted: service.admission.notAdmitted,
              hit_ratio: lookups ? (c.hits + c.semanticHits) / lookups : 0,
              saved_usd: c.savedUsd,
              errors: { ...c.errors },
            },
          },
        };
      },
    },
    {
      method: 'DELETE',
      pattern: 'cache',
      async handle(call) {
        const ns = call.url.searchParams.get('namespace') ?? undefined;
        if (ns !== undefined && !NAMESPACE.test(ns)) {
          throw new GatewayError('GW_ERR_INVALID_REQUEST', `namespace: expected global, key:<key id> or team:<team name>, got "${ns.slice(0, 64)}"`, { param: 'namespace' });
        }
        try {
          const deleted = await service.clear(ns);
          return { body: { deleted: deleted.exact + deleted.semantic, exact: deleted.exact, semantic: deleted.semantic, ...(ns !== undefined ? { namespace: ns } : {}) } };
        } catch (e) {
          throw new GatewayError('GW_ERR_CACHE_UNAVAILABLE', `the cache store could not be emptied: ${(e as Error).message}`);
        }
      },
    },
  ];
}
