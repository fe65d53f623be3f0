/**
 * Exact cache entries in Redis, shared by replicas. Its own connection (never the one governance
 * counts on): no offline queue and no retries per command, so a Redis that is down or slow makes
 * a command fail within `timeout_ms` — a miss — instead of holding requests.
 * Keys: `<prefix>e:<namespace length>:<namespace>:<sha256>` (the length keeps namespaces that
 * prefix each other apart for a namespace's DELETE), values with PX expiry.
 */
import type { Redis } from 'ioredis';
import { openFailFastRedis, waitRedisReady } from '../storage/fail-fast-redis.js';
import { decodeAnswer } from './cache-store.js';
import type { CachedAnswer, CacheStore, CacheStoreStats } from './cache-store.js';
import { PacedCount } from './paced-count.js';

export interface RedisCacheStoreOptions {
  url: string;
  prefix: string;
  timeoutMs: number;
  /** Called on every change between reachable and not. */
  onStatus?: (up: boolean, err?: Error) => void;
}

function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis';
  private readonly redis: Redis;
  private closed = false;
  /**
   * The entries, counted with a SCAN through the whole Redis (governance's counters included):
   * at most every 10 s, and for at most 2 % of the time, however many consoles poll.
   */
  private readonly entries = new PacedCount({ take: () => this.countEntries(), now: Date.now });

  constructor(private readonly o: RedisCacheStoreOptions) {
    this.redis = openFailFastRedis({ url: o.url, timeoutMs: o.timeoutMs, onStatus: o.onStatus, isClosed: () => this.closed });
  }

  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  /** Resolves when connected, or after `ms` (whichever first). */
  waitReady(ms: number): Promise<boolean> {
    return waitRedisReady(this.redis, ms);
  }

  private nsPrefix(namespace: string): string {
    return `${this.o.prefix}e:${namespace.length}:${namespace}:`;
  }

  // After close (its config was replaced), a request that was still running misses and stores
  // nothing, without an error that would read as the current store being down.
  async get(namespace: string, key: string): Promise<CachedAnswer | undefined> {
    if (this.closed) return undefined;
    const v = await this.redis.get(this.nsPrefix(namespace) + key);
    return v === null ? undefined : decodeAnswer(v);
  }

  async set(namespace: string, key: string, json: string, ttlMs: number): Promise<void> {
    if (this.closed) return;
    await this.redis.set(this.nsPrefix(namespace) + key, json, 'PX', Math.max(1, Math.round(ttlMs)));
  }

  private async scan(match: string, each: (keys: string[]) => Promise<void>): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await each(keys);
    } while (cursor !== '0');
  }

  async clear(namespace?: string): Promise<number> {
    const match = namespace === undefined ? `${globEscape(this.o.prefix)}e:*` : `${globEscape(this.nsPrefix(namespace))}*`;
    let n = 0;
    try {
      await this.scan(match, async (keys) => {
        n += await this.redis.unlink(...keys);
      });
    } finally {
      this.entries.invalidate();
    }
    return n;
  }

  async stats(): Promise<CacheStoreStats> {
    const c = await this.entries.get();
    return c ? { entries: c.value, countedAt: c.at } : { entries: undefined };
  }

  private async countEntries(): Promise<number> {
    let entries = 0;
    await this.scan(`${globEscape(this.o.prefix)}e:*`, async (keys) => {
      entries += keys.length;
    });
    return entries;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.redis.disconnect();
  }
}
