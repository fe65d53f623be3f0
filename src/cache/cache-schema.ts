/**
 * Config of the response cache (`cache`, docs/cache.md) and the per-alias override
 * (`models.<alias>.cache`).
 */
import { z } from 'zod';

const positiveInt = () => z.number().int().positive();

export const CACHE_NAMESPACES = ['key', 'team', 'global'] as const;
export type CacheNamespaceMode = (typeof CACHE_NAMESPACES)[number];

export const cacheStoreSchema = z
  .discriminatedUnion('type', [
    z
      .object({
        type: z.literal('memory'),
        max_bytes: positiveInt().default(268435456).describe('Most bytes of cached answers kept in this process, off the JavaScript heap; the least recently used go first.'),
      })
      .strict(),
    z
      .object({
        type: z.literal('redis'),
        url: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL').describe('Redis URL shared by every replica, usually env.REDIS_URL.'),
        key_prefix: z.string().min(1).default('switchyard:cache:').describe('Prefix of every cache key in Redis.'),
        timeout_ms: positiveInt().default(100).describe('Longest wait for Redis on a lookup; slower counts as a miss.'),
      })
      .strict(),
  ])
  .describe('Where exact entries live: memory (this process) or redis (shared by replicas).');

/** The default index, written once for the three defaults below; frozen, since zod hands a default out as it is, to every config. */
const DEFAULT_INDEX = Object.freeze({ type: 'embedded', max_entries: 100_000 } as const);

export const semanticIndexSchema = z
  .discriminatedUnion('type', [
    z
      .object({
        type: z.literal('embedded'),
        max_entries: positiveInt()
          .default(DEFAULT_INDEX.max_entries)
          .describe('Most entries kept in this process (and in the SQLite store); the oldest go first. An entry takes its answer plus about 2 KB for a 384-dimension vector (6 KB at 1,536).'),
      })
      .strict(),
    z.object({ type: z.literal('postgres') }).strict(),
  ])
  .describe('The vector index: embedded (in-process HNSW, entries kept in the SQLite store) or postgres (pgvector in storage.postgres_url, shared by replicas).');

export const semanticSchema = z
  .object({
    enabled: z.boolean().default(false).describe('Also answer questions close in meaning to a cached one (same context only; docs/cache.md).'),
    embedding_model: z.string().min(1).default('embed').describe("An alias or provider/model served by this gateway's own providers, used to embed the last user message."),
    threshold: z.number().gt(0).max(1).default(0.95).describe('Least cosine similarity for a semantic hit.'),
    max_messages: positiveInt().default(4).describe('Requests with more messages than this use the exact cache only.'),
    timeout_ms: positiveInt().default(500).describe('Longest wait for the embedding and the index lookup; slower counts as a miss.'),
    index: semanticIndexSchema.default(DEFAULT_INDEX),
  })
  .strict();

export const ADMISSION_MODES = ['adaptive', 'always'] as const;

const DEFAULT_ADMISSION = Object.freeze({ mode: 'adaptive', window: 10_000 } as const);

export const admissionSchema = z
  .object({
    mode: z
      .enum(ADMISSION_MODES)
      .default(DEFAULT_ADMISSION.mode)
      .describe('always: store every miss\'s answer. adaptive: the same while the cache hits; after `window` lookups in a row without a hit, store an answer the second time its request is seen.'),
    window: positiveInt().default(DEFAULT_ADMISSION.window).describe('adaptive: lookups in a row without a hit after which answers are stored on second sight.'),
  })
  .strict();

export const cacheSchema = z
  .object({
    enabled: z.boolean().default(false).describe('Answer repeated requests from the cache (docs/cache.md).'),
    store: cacheStoreSchema.default({ type: 'memory', max_bytes: 268435456 }),
    ttl_s: positiveInt().default(3600).describe('How long an entry is served, in seconds (x-switchyard-cache-ttl may lower it per request).'),
    namespace: z.enum(CACHE_NAMESPACES).default('key').describe('Who may share entries: key (each virtual key or client key its own), team (a key\'s team), global (everyone).'),
    admission: admissionSchema.default(DEFAULT_ADMISSION).describe('Which misses\' answers the exact cache stores (docs/cache.md, "Admission").'),
    semantic: semanticSchema
      .default({ enabled: false, embedding_model: 'embed', threshold: 0.95, max_messages: 4, timeout_ms: 500, index: DEFAULT_INDEX })
      .describe('The semantic cache: nearest last-user-message embedding within the same context.'),
  })
  .strict();

/** `models.<alias>.cache`: false turns the cache off for the alias; an object overrides. */
export const aliasCacheSchema = z.union([
  z.boolean(),
  z
    .object({
      enabled: z.boolean().optional().describe('Cache this alias (default: cache.enabled).'),
      ttl_s: positiveInt().optional().describe('TTL of this alias\'s entries, in seconds.'),
      semantic: z.boolean().optional().describe('Semantic lookups for this alias (default: cache.semantic.enabled).'),
      threshold: z.number().gt(0).max(1).optional().describe('Least cosine similarity for this alias.'),
    })
    .strict(),
]);

export type CacheConfig = z.infer<typeof cacheSchema>;
export type AliasCacheConfig = z.infer<typeof aliasCacheSchema>;

export const CACHE_DEFAULTS: CacheConfig = {
  enabled: false,
  store: { type: 'memory', max_bytes: 268435456 },
  ttl_s: 3600,
  namespace: 'key',
  admission: DEFAULT_ADMISSION,
  semantic: { enabled: false, embedding_model: 'embed', threshold: 0.95, max_messages: 4, timeout_ms: 500, index: DEFAULT_INDEX },
};
