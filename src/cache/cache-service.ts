/**
 * Owns the cache's stores and indexes: snapshots come and go, and a store or index is opened once
 * per configuration (keyed by its config), shared by every snapshot with that configuration, and
 * closed once the last of them is retired (no request runs on it any more), or when the gateway
 * closes. So a reload that changes `cache.store` (a new size, Redis instead of memory) or turns
 * the cache off gives the old store's memory and connections back. Also keeps the counters
 * behind GET /api/cache/stats and the metrics, and the reachable/unreachable state of each
 * backend, logged once per change.
 */
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../routing/clock.js';
import { openSqlite } from '../storage/sqlite-driver.js';
import { Admission } from './admission.js';
import type { CacheConfig } from './cache-schema.js';
import type { CacheStore } from './cache-store.js';
import { MemoryCacheStore } from './memory-store.js';
import { EmbeddedSemanticIndex } from './embedded-semantic-index.js';
import { PostgresSemanticIndex } from './postgres-semantic-index.js';
import { RedisCacheStore } from './redis-cache-store.js';
import type { SemanticIndex } from './semantic-index.js';

/** Where a lookup or store failed (each a miss, counted). */
export type CacheErrorStage = 'store' | 'index' | 'embedding';
export type CacheBackend = 'exact' | 'semantic';

export interface CacheCounters {
  hits: number;
  semanticHits: number;
  misses: number;
  bypasses: number;
  stored: number;
  savedUsd: number;
  errors: Record<CacheErrorStage, number>;
}

export interface CacheBackendStatus {
  backend: CacheBackend;
  type: string;
  up: boolean;
}

/** A semantic index being opened (embedded: SQLite is read first); lookups miss until it is. */
export interface IndexHandle {
  readonly type: 'embedded' | 'postgres';
  current(): SemanticIndex | undefined;
}

const SWEEP_MS = 60_000;

export class CacheService {
  private readonly stores = new Map<string, CacheStore>();
  private readonly indexes = new Map<string, { handle: IndexHandle; opening?: Promise<void>; index?: SemanticIndex }>();
  private readonly up = new Map<string, boolean>();
  /** The snapshots (owners) using each store and index, by `store:<spec>` / `index:<spec>`. */
  private readonly owners = new Map<string, Set<object>>();
  /** `id`: the key of `up` (built once: report() runs on every lookup and store). */
  private activeStore: { spec: string; type: string; id: string; ref: CacheStore } | undefined;
  private activeIndex: { spec: string; type: string; id: string; ref: IndexHandle } | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private clock: Clock | undefined;
  readonly counters: CacheCounters = { hits: 0, semanticHits: 0, misses: 0, bypasses: 0, stored: 0, savedUsd: 0, errors: { store: 0, index: 0, embedding: 0 } };

  /** Which misses' answers are stored (cache.admission), across reloads. */
  readonly admission: Admission;

  constructor(private readonly logger: Logger) {
    this.admission = new Admission(logger);
  }

  /**
   * The exact store for a snapshot's `cache.store` (opened on first use), held for `owner` (the
   * snapshot) until `release(owner)`.
   */
  storeFor(cfg: CacheConfig['store'], clock: Clock, owner: object): CacheStore {
    this.clock = clock;
    const spec = JSON.stringify(cfg);
    this.own(`store:${spec}`, owner);
    let s = this.stores.get(spec);
    if (!s) {
      const id = `exact:${spec}`;
      if (cfg.type === 'redis') {
        s = new RedisCacheStore({ url: cfg.url, prefix: cfg.key_prefix, timeoutMs: cfg.timeout_ms, onStatus: (up, err) => this.setUp(id, 'exact', up, err) });
      } else {
        this.up.set(id, true);
        s = new MemoryCacheStore({ maxBytes: cfg.max_bytes, clock });
      }
      this.stores.set(spec, s);
    }
    this.activeStore = { spec, type: cfg.type, id: `exact:${spec}`, ref: s };
    return s;
  }

  /** The semantic index for a snapshot's config (opened once, in the background), held for `owner` as above. */
  indexFor(cfg: CacheConfig['semantic']['index'], storage: { sqlite_path: string; postgres_url?: string | undefined }, clock: Clock, timeoutMs: number, owner: object): IndexHandle {
    this.clock = clock;
    const spec = cfg.type === 'postgres' ? `postgres:${storage.postgres_url ?? ''}` : `embedded:${storage.sqlite_path}`;
    this.own(`index:${spec}`, owner);
    let entry = this.indexes.get(spec);
    if (!entry) {
      const id = `semantic:${spec}`;
      const e: { handle: IndexHandle; opening?: Promise<void>; index?: SemanticIndex } = { handle: { type: cfg.type, current: () => e.index } };
      entry = e;
      this.indexes.set(spec, e);
      if (cfg.type === 'postgres') {
        if (!storage.postgres_url) {
          this.setUp(id, 'semantic', false, new Error('cache.semantic.index is postgres but storage.postgres_url is not set'));
        } else {
          this.up.set(id, true);
          e.index = new PostgresSemanticIndex({ url: storage.postgres_url, timeoutMs });
        }
      } else {
        this.up.set(id, true);
        e.opening = (async () => {
          try {
            const db = await openSqlite(storage.sqlite_path);
            db.exec('PRAGMA busy_timeout = 200');
            if (storage.sqlite_path !== ':memory:') db.exec('PRAGMA journal_mode = WAL');
            const started = performance.now();
            e.index = EmbeddedSemanticIndex.open(db, clock.now(), {
              maxEntries: cfg.max_entries,
              writerPath: storage.sqlite_path,
              onLoaded: (entries, err) => {
                const ms = Math.round(performance.now() - started);
                if (err) this.logger.warn({ entries, ms, err: { message: String((err as Error).message ?? err) } }, 'cache: loading the saved semantic entries stopped; the rest load at the next start');
                else if (entries > 0) this.logger.info({ entries, ms }, 'cache: saved semantic entries loaded from SQLite');
              },
              // Lookups and adds go on in memory meanwhile: only a restart would lose entries.
              onPersist: (ok, err) => {
                if (ok) this.logger.info('cache: semantic entries are written to SQLite again');
                else {
                  this.counters.errors.index++;
                  this.logger.warn({ err: { message: String((err as Error | undefined)?.message ?? err) } }, 'cache: semantic entries cannot be written to SQLite; they stay in memory and are written once it works again');
                }
              },
            });
          } catch (err) {
            this.setUp(id, 'semantic', false, err);
            e.index = new EmbeddedSemanticIndex(undefined, { maxEntries: cfg.max_entries });
          }
        })();
      }
      this.startSweeper();
    }
    this.activeIndex = { spec, type: cfg.type, id: `semantic:${spec}`, ref: entry.handle };
    // A reload may change the bound of an index already open (one opening yet takes it from cfg).
    if (cfg.type === 'embedded' && entry.index instanceof EmbeddedSemanticIndex) entry.index.setMaxEntries(cfg.max_entries);
    return entry.handle;
  }

  private own(key: string, owner: object): void {
    let set = this.owners.get(key);
    if (!set) this.owners.set(key, (set = new Set()));
    set.add(owner);
  }

  /**
   * A snapshot is retired: the stores and indexes no other snapshot uses are closed (a later
   * config naming the same one opens it afresh: a memory store empty, the others with what their
   * backend holds).
   */
  release(owner: object): void {
    for (const [key, set] of this.owners) {
      if (!set.delete(owner) || set.size > 0) continue;
      this.owners.delete(key);
      const spec = key.slice(key.indexOf(':') + 1);
      if (key.startsWith('store:')) {
        const s = this.stores.get(spec);
        this.stores.delete(spec);
        this.up.delete(`exact:${spec}`);
        if (this.activeStore?.spec === spec) this.activeStore = undefined;
        s?.close().catch((err: unknown) => this.logger.warn({ err: { message: String((err as Error).message ?? err) } }, 'cache: closing a store no longer in use failed'));
      } else {
        const e = this.indexes.get(spec);
        this.indexes.delete(spec);
        this.up.delete(`semantic:${spec}`);
        if (this.activeIndex?.spec === spec) this.activeIndex = undefined;
        void (async () => {
          await e?.opening;
          await e?.index?.close();
        })().catch((err: unknown) => this.logger.warn({ err: { message: String((err as Error).message ?? err) } }, 'cache: closing a semantic index no longer in use failed'));
      }
    }
  }

  /** Stores and indexes open now (tests: a retired configuration's are closed). */
  get open(): { stores: number; indexes: number } {
    return { stores: this.stores.size, indexes: this.indexes.size };
  }

  private startSweeper(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => {
      const now = (this.clock ?? { now: Date.now }).now();
      for (const e of this.indexes.values()) {
        const idx = e.index;
        if (idx instanceof EmbeddedSemanticIndex) {
          try {
            idx.sweep(now);
          } catch {
            // SQLite busy: the next sweep tries again
          }
        } else if (idx instanceof PostgresSemanticIndex) idx.sweep(now).catch(() => {});
      }
    }, SWEEP_MS);
    this.sweeper.unref();
  }

  /** Waits (bounded) for indexes being opened and Redis stores connecting. */
  async ready(ms = 2000): Promise<void> {
    const waits: Array<Promise<unknown>> = [];
    for (const e of this.indexes.values()) if (e.opening) waits.push(e.opening);
    for (const s of this.stores.values()) if (s instanceof RedisCacheStore) waits.push(s.waitReady(ms));
    let t: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(waits), new Promise((r) => (t = setTimeout(r, ms)))]);
    clearTimeout(t);
  }

  /**
   * Records the outcome of an operation on a backend (a failure marks it down, a success up).
   * `from`: the store or index handle the request used; one of a config a reload replaced (a
   * request still running on it) is counted but says nothing about the current one.
   */
  report(backend: CacheBackend, from: CacheStore | IndexHandle | undefined, ok: boolean, err?: unknown): void {
    if (!ok) this.counters.errors[backend === 'exact' ? 'store' : 'index']++;
    const active = backend === 'exact' ? this.activeStore : this.activeIndex;
    if (active && from === active.ref) this.setUp(active.id, backend, ok, err);
  }

  private setUp(id: string, backend: CacheBackend, up: boolean, err?: unknown): void {
    if (this.up.get(id) === up) return;
    const first = !this.up.has(id);
    this.up.set(id, up);
    const what = backend === 'exact' ? 'the exact cache store' : 'the semantic cache index';
    if (up) {
      if (!first) this.logger.info(`cache: ${what} is reachable again; lookups resume`);
    } else this.logger.warn({ err: { message: String((err as Error | undefined)?.message ?? err ?? 'unreachable') } }, `cache: ${what} cannot be reached; requests go upstream uncached until it returns`);
  }

  /** State of the backends the current config uses (for the gauge and the stats). */
  status(): CacheBackendStatus[] {
    const out: CacheBackendStatus[] = [];
    if (this.activeStore) out.push({ backend: 'exact', type: this.activeStore.type, up: this.up.get(this.activeStore.id) ?? false });
    if (this.activeIndex) out.push({ backend: 'semantic', type: this.activeIndex.type, up: this.up.get(this.activeIndex.id) ?? false });
    return out;
  }

  /** The store and index the current config uses (admin API). */
  current(): { store?: CacheStore; index?: SemanticIndex } {
    const out: { store?: CacheStore; index?: SemanticIndex } = {};
    if (this.activeStore) {
      const s = this.stores.get(this.activeStore.spec);
      if (s) out.store = s;
    }
    if (this.activeIndex) {
      const i = this.indexes.get(this.activeIndex.spec)?.index;
      if (i) out.index = i;
    }
    return out;
  }

  /** Deletes every entry (or a namespace's) from the current store and index. */
  async clear(namespace?: string): Promise<{ exact: number; semantic: number }> {
    const { store, index } = this.current();
    const exact = store ? await store.clear(namespace) : 0;
    const semantic = index ? await index.clear(namespace) : 0;
    return { exact, semantic };
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    const all: Array<Promise<unknown>> = [];
    for (const s of this.stores.values()) all.push(s.close().catch(() => {}));
    for (const e of this.indexes.values()) {
      all.push(
        (async () => {
          await e.opening;
          await e.index?.close();
        })().catch(() => {}),
      );
    }
    await Promise.all(all);
    this.stores.clear();
    this.indexes.clear();
  }
}
