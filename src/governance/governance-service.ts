/**
 * Owns governance's counter store for the life of the process (snapshots come and go; counters
 * and the Redis connection stay) and applies `on_counter_store_error`:
 *   - fail_open: while Redis cannot be reached, each replica counts locally against its share of
 *     what was left of each limit when it last saw it (approximate); when Redis answers again, the
 *     local counts are added to it and counting resumes there;
 *   - fail_closed: requests are refused with 503 until it answers.
 * Each change between reachable and not is logged once and shown by a gauge.
 * The memory store keeps budgets and rate-limit windows in the SQLite file of the request log
 * (counter-file.ts), so a restart resumes them; requests wait for that file to be read.
 */
import { GatewayError } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import type { CounterAdjust, CounterCheck, CounterStore, ReserveResult } from './counter-store.js';
import type { GovernanceConfig } from './governance-schema.js';
import { CounterFile } from './counter-file.js';
import { MemoryCounterStore } from './memory-counter-store.js';
import { RedisCounterStore } from './redis-counter-store.js';

/**
 * Where a reservation was made, so its settlement goes to the same place: the store it was made
 * in (also after a reload replaced that store; it stays open until the requests on it are done),
 * or the local fallback counters.
 */
export type Where = CounterStore | 'local';

/**
 * The limits a replica applies to its local counters while Redis cannot be reached: its share of
 * what was left of each windowed limit when it last saw the counter in Redis (a budget nearly spent
 * stays nearly spent through an outage), and its share of each concurrency limit. The local
 * counters start from zero; so does a window this replica never saw.
 */
export function localShares(checks: readonly CounterCheck[], replicas: number): CounterCheck[] {
  const n = Math.max(1, replicas);
  return checks.map((c) => {
    if (c.seen === undefined) return n === 1 ? c : { ...c, limit: Math.max(1, Math.floor(c.limit / n)) };
    return { ...c, limit: Math.floor(Math.max(0, c.limit - c.seen) / n) };
  });
}

function unavailable(): GatewayError {
  return new GatewayError('GW_ERR_GOVERNANCE_UNAVAILABLE', 'the gateway cannot check this key\'s limits: its counter store (Redis) cannot be reached (governance.on_counter_store_error: fail_closed); retry shortly');
}

export interface GovernanceStatus {
  /** Counter store type in use. */
  kind: 'memory' | 'redis';
  up: boolean;
  /** fail_open: replicas seen in Redis (the local limits divide by it). */
  replicasSeen: number;
}

export class GovernanceService {
  private store: CounterStore | undefined;
  private storeSpec = '';
  private readonly local = new MemoryCounterStore();
  private up = true;
  private mode: GovernanceConfig['on_counter_store_error'] = 'fail_open';
  private prefix = 'switchyard:gov:';
  /** Stores replaced by a config change, each with the snapshots that still use it (closed when none does). */
  private readonly retired = new Map<CounterStore, Set<object>>();
  /** The snapshots using the current store. */
  private users = new Set<object>();
  /** The counter file by path (opened once, shared by every memory store on it); undefined: it could not be opened. */
  private readonly files = new Map<string, Promise<CounterFile | undefined>>();
  /** The governance clock's time at the last reservation (the local counters' windows are in it). */
  private lastNow = 0;
  /** Until the current memory store has read its counter file: requests wait for it. */
  private loading: Promise<void> | undefined;
  /** Ids of the config warnings given (warnOnce). */
  private readonly warned = new Set<string>();

  constructor(private readonly logger: Logger) {}

  /**
   * Opens (or, when `counters` changed, replaces) the store for a snapshot's config; cheap when
   * unchanged. `owner` (the snapshot) uses it until `release(owner)`. `counterFile`: the SQLite file
   * a memory store keeps its counters in (undefined: none, they start from zero at each start).
   */
  configure(g: GovernanceConfig, owner: object, counterFile?: string): void {
    this.mode = g.on_counter_store_error;
    const spec = JSON.stringify(g.counters) + (g.counters.type === 'memory' ? ` ${counterFile ?? ''}` : '');
    if (spec === this.storeSpec && this.store) {
      this.users.add(owner);
      return;
    }
    this.retire();
    this.users = new Set([owner]);
    this.storeSpec = spec;
    if (g.counters.type === 'redis') {
      this.prefix = g.counters.key_prefix;
      this.up = false;
      this.store = new RedisCounterStore({ url: g.counters.url, timeoutMs: g.counters.timeout_ms, prefix: g.counters.key_prefix, onStatus: (up, err) => this.setUp(up, err) });
    } else {
      this.prefix = 'gov:';
      this.up = true;
      const store = new MemoryCounterStore();
      this.store = store;
      if (counterFile !== undefined) {
        const loading: Promise<void> = this.fileAt(counterFile)
          .then((file) => {
            if (!file) return;
            try {
              const n = store.attach({ file, onStatus: (ok, err) => this.fileStatus(counterFile, ok, err) });
              if (n > 0) this.logger.info({ counters: n }, 'governance: counters resumed from the last run');
            } catch (err) {
              this.logger.warn({ err: { message: (err as Error).message } }, `governance: the counters kept in ${counterFile} could not be read; counting starts from zero`);
            }
          })
          .finally(() => {
            if (this.loading === loading) this.loading = undefined;
          });
        this.loading = loading;
      }
    }
  }

  /**
   * Governance is off on a new snapshot: the store is closed once no snapshot that used it runs
   * any more (a Redis connection would otherwise stay open while governance is off).
   */
  disable(): void {
    this.retire();
    this.users = new Set();
    this.storeSpec = '';
  }

  private retire(): void {
    const s = this.store;
    if (!s) return;
    this.store = undefined;
    this.loading = undefined;
    if (this.users.size > 0) this.retired.set(s, this.users);
    else s.close().catch(() => {});
  }

  private fileAt(path: string): Promise<CounterFile | undefined> {
    let f = this.files.get(path);
    if (!f) {
      f = CounterFile.open(path).catch((err: unknown) => {
        this.logger.warn({ err: { message: (err as Error).message } }, `governance: cannot keep counters in ${path}; budgets and rate limits start from zero at each restart`);
        return undefined;
      });
      this.files.set(path, f);
    }
    return f;
  }

  /** A warning about the config, once per process. */
  warnOnce(id: string, message: string): void {
    if (this.warned.has(id)) return;
    this.warned.add(id);
    this.logger.warn(message);
  }

  private fileStatus(path: string, ok: boolean, err?: unknown): void {
    if (ok) this.logger.info(`governance: counters are written to ${path} again`);
    else this.logger.warn({ err: { message: String((err as Error | undefined)?.message ?? err) } }, `governance: counters cannot be written to ${path}; a restart now would lose what was counted since`);
  }

  get keyPrefix(): string {
    return this.prefix;
  }

  /** Waits (bounded) for Redis to connect, or the counter file to be read, so a fresh replica counts exactly from its first request. */
  async ready(ms = 2000): Promise<void> {
    if (this.loading) await this.loading;
    if (this.store instanceof RedisCounterStore) await this.store.waitReady(ms);
  }

  status(): GovernanceStatus | undefined {
    const s = this.store;
    if (!s) return undefined;
    return { kind: s.kind, up: s.kind === 'memory' ? true : this.up, replicasSeen: s instanceof RedisCounterStore ? s.replicasSeen : 1 };
  }

  private setUp(up: boolean, err?: unknown): void {
    if (up === this.up) return;
    this.up = up;
    if (up) {
      this.logger.info('governance: the counter store (Redis) is reachable again; counting resumes there');
      void this.carryOver();
    }
    else {
      const how = this.mode === 'fail_open' ? 'serving with local counters (each replica: its share of what was left of each limit) until it returns' : 'refusing requests with 503 until it returns (fail_closed)';
      this.logger.warn({ err: { message: String((err as Error | undefined)?.message ?? err ?? 'not connected') } }, `governance: the counter store (Redis) cannot be reached; ${how}`);
    }
  }

  /**
   * What the local counters counted while Redis was down is added to Redis once it answers again,
   * so the window's totals include the outage (else a budget could be spent again by that much).
   * Given back to the local counters if Redis fails again meanwhile, for the next recovery.
   */
  private async carryOver(): Promise<void> {
    const s = this.store;
    if (!(s instanceof RedisCounterStore)) return;
    const now = this.lastNow;
    const rows = this.local.takeKept(now);
    if (rows.length === 0) return;
    try {
      await s.reserve(rows.map((r) => ({ key: r.key, limit: Number.MAX_SAFE_INTEGER, amount: r.value, expireAt: r.expireAt, refreshExpiry: false })), now);
      this.logger.info({ counters: rows.length }, 'governance: what was counted locally during the outage was added to Redis');
    } catch {
      this.local.add(rows, now);
    }
  }

  /** One atomic check-and-reserve for every limit of a request. Throws 503 when fail_closed and Redis is down. */
  async reserve(checks: readonly CounterCheck[], now: number): Promise<{ result: ReserveResult; where: Where }> {
    if (this.loading) await this.loading;
    this.lastNow = now;
    const s = this.store;
    // Governance was turned off since this request's snapshot: nothing counts any more.
    if (!s) return { result: { ok: true, values: checks.map(() => 0) }, where: 'local' };
    if (s instanceof MemoryCounterStore) return { result: s.reserveNow(checks, now), where: s };
    const redis = s as RedisCounterStore;
    if (redis.ready) {
      try {
        const result = await redis.reserve(checks, now);
        this.setUp(true);
        return { result, where: redis };
      } catch (e) {
        this.setUp(false, e);
      }
    } else this.setUp(false);
    if (this.mode === 'fail_closed') {
      throw unavailable();
    }
    return { result: this.local.reserveNow(localShares(checks, redis.replicasSeen), now), where: 'local' };
  }

  /**
   * Adds to a request's reservation, in the place it was made (a further upstream call of the same
   * request). Undefined when the store failed and fail_open lets the call go uncounted; throws 503
   * when fail_closed.
   */
  async reserveMore(where: Where, checks: readonly CounterCheck[], now: number): Promise<ReserveResult | undefined> {
    if (where === 'local') {
      const s = this.store;
      return this.local.reserveNow(localShares(checks, s instanceof RedisCounterStore ? s.replicasSeen : 1), now);
    }
    if (where instanceof MemoryCounterStore) return where.reserveNow(checks, now);
    try {
      return await where.reserve(checks, now);
    } catch (e) {
      if (where === this.store) this.setUp(false, e);
      if (this.mode === 'fail_closed') throw unavailable();
      return undefined;
    }
  }

  /** Settles a request's reservations (off the request's path; a failure is logged by the status change). */
  settle(where: Where, adjusts: readonly CounterAdjust[]): void {
    if (adjusts.length === 0) return;
    if (where === 'local') return this.local.adjustNow(adjusts);
    if (where instanceof MemoryCounterStore) return where.adjustNow(adjusts);
    // A replaced store's failure says nothing about the current one.
    where.adjust(adjusts).catch((e: unknown) => {
      if (where === this.store) this.setUp(false, e);
    });
  }

  /** Current counter values, for the admin API's live usage (local ones while Redis is down). */
  async read(keys: readonly string[]): Promise<number[]> {
    if (this.loading) await this.loading;
    const s = this.store;
    if (!s) return keys.map(() => 0);
    if (s instanceof RedisCounterStore && !s.ready) return this.local.read(keys);
    try {
      return await s.read(keys);
    } catch {
      return this.local.read(keys);
    }
  }

  /**
   * A snapshot is retired (replaced, its last request ended): a replaced store no snapshot uses any
   * more is closed (a Redis connection per change of `governance.counters` was kept until exit).
   */
  release(owner: object): void {
    this.users.delete(owner);
    for (const [store, users] of this.retired) {
      users.delete(owner);
      if (users.size > 0) continue;
      this.retired.delete(store);
      store.close().catch(() => {});
    }
  }

  /** Replaced stores not closed yet (tests). */
  get retiredOpen(): number {
    return this.retired.size;
  }

  async close(): Promise<void> {
    if (this.loading) await this.loading;
    await Promise.all([this.store?.close(), this.local.close(), ...[...this.retired.keys()].map((s) => s.close())]);
    this.retired.clear();
    for (const f of this.files.values()) (await f)?.close();
    this.files.clear();
  }
}
