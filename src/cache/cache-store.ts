/**
 * Where exact cache entries live: cached answers under a namespace and a key; a store never
 * decides what to cache. Any method may reject (store down): the caller treats that as a miss.
 * Every store keeps an answer as its JSON (`encodeAnswer`), the memory store too: one flat string
 * per entry is what the garbage collector copies once and then marks without looking inside, where
 * the answer's object graph (a dozen objects and strings) would be traced by every full GC for as
 * long as it is cached — with a cache of unique prompts that grows towards max_bytes, that tracing
 * was most of what a miss cost. Each hit parses its own copy, so no reader can change another's.
 */
import type { CoreResponse } from '../core/response.js';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../routing/clock.js';

/** A cached answer as stored. */
export interface CachedAnswer {
  v: 1;
  response: CoreResponse;
  /** The target that produced it, for the cost saved by later hits. */
  provider?: string;
  providerType?: string;
  model?: string;
  storedAt: number;
}

export function encodeAnswer(a: CachedAnswer): string {
  return flat(JSON.stringify(a));
}

/**
 * `s` as one sequential string. The V8 of Node 20 returns JSON.stringify's result as a rope (a
 * tree of the chunks it wrote into), and a rope kept for hours in a cache is several objects for
 * every GC to copy and trace instead of one (586 heap bytes an answer instead of 443); converting
 * it to a number flattens it in place (the number itself is thrown away: JSON text is never
 * numeric here), and the next scavenge drops the chunks. Node 26's V8 already returns a flat
 * string, and this leaves it as it is.
 */
function flat(s: string): string {
  void Number(s);
  return s;
}

/** A stored answer's JSON back, or undefined when it is not one (another version, damaged). */
export function decodeAnswer(value: string): CachedAnswer | undefined {
  try {
    const a = JSON.parse(value) as CachedAnswer;
    return a && a.v === 1 && a.response && Array.isArray(a.response.content) ? a : undefined;
  } catch {
    return undefined;
  }
}

export interface CacheStoreStats {
  entries: number;
  /** Bytes of cached values, where the store knows it cheaply (memory). */
  bytes?: number;
}

/**
 * Keys are unique across namespaces (the middleware's key hashes the namespace in): a store keeps
 * the namespace beside an entry, to clear a namespace and to refuse a read from another one.
 */
export interface CacheStore {
  readonly kind: 'memory' | 'redis';
  get(namespace: string, key: string): Promise<CachedAnswer | undefined>;
  /**
   * A store in this process answers without a promise (the memory store): the request's lookup
   * and store then cost no promise, no microtask and no suspended frame. Same meaning as get/set.
   */
  getNow?(namespace: string, key: string): CachedAnswer | undefined;
  setNow?(namespace: string, key: string, json: string, ttlMs: number): void;
  /** Stores an answer's JSON (`encodeAnswer`: the caller encodes once for every store and index). */
  set(namespace: string, key: string, json: string, ttlMs: number): Promise<void>;
  /** Deletes every entry, or a namespace's; returns how many went. */
  clear(namespace?: string): Promise<number>;
  stats(): Promise<CacheStoreStats>;
  close(): Promise<void>;
}

interface MemoryEntry {
  namespace: string;
  /** The answer's JSON. */
  value: string;
  expiresAt: number;
  bytes: number;
}

/** What an entry costs besides its JSON and its id's characters: the entry object and the cache's slot. */
const ENTRY_OVERHEAD = 96;

/** Inserts between two walks over the least recently used entries for expired ones. */
const SWEEP_EVERY = 64;

/**
 * An in-process store bounded by bytes, least recently used out, on `lru-cache` (its own linked
 * list over arrays: finding the oldest entry is O(1)). Not a Map in insertion order with evictions
 * from the front, as before: V8 leaves a hole for each deleted Map entry until the table is rebuilt,
 * and every new iterator walks the holes at the front again — once a large store was full, each
 * insert stepped over tens of thousands of them (20–100 µs per request at 170,000 entries).
 * Expiry is checked on read with the gateway's clock, and expired entries are swept now and then
 * from the least recently used end.
 */
export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory';
  private readonly entries: LRUCache<string, MemoryEntry>;
  private insertsSinceSweep = 0;

  constructor(private readonly o: { maxBytes: number; clock: Clock }) {
    this.entries = new LRUCache<string, MemoryEntry>({ maxSize: o.maxBytes, sizeCalculation: (e) => e.bytes });
  }

  async get(namespace: string, key: string): Promise<CachedAnswer | undefined> {
    return this.getNow(namespace, key);
  }

  async set(namespace: string, key: string, json: string, ttlMs: number): Promise<void> {
    this.setNow(namespace, key, json, ttlMs);
  }

  getNow(namespace: string, key: string): CachedAnswer | undefined {
    // get() makes the entry the most recently used.
    const e = this.entries.get(key);
    if (!e || e.namespace !== namespace) return undefined;
    if (e.expiresAt <= this.o.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return decodeAnswer(e.value);
  }

  setNow(namespace: string, key: string, json: string, ttlMs: number): void {
    // Two bytes a character: V8 keeps ASCII text in one, anything else in two.
    const bytes = (json.length + key.length + namespace.length) * 2 + ENTRY_OVERHEAD;
    if (bytes > this.o.maxBytes) return;
    const now = this.o.clock.now();
    if (++this.insertsSinceSweep >= SWEEP_EVERY) {
      this.insertsSinceSweep = 0;
      this.sweep(now);
    }
    // Over max_bytes, lru-cache evicts from the least recently used end.
    this.entries.set(key, { namespace, value: json, expiresAt: now + ttlMs, bytes });
  }

  /** Drops expired entries from the least recently used end, up to the first one still valid. */
  private sweep(now: number): void {
    const expired: string[] = [];
    for (const id of this.entries.rkeys()) {
      const e = this.entries.peek(id);
      if (e && e.expiresAt > now) break;
      expired.push(id);
    }
    for (const id of expired) this.entries.delete(id);
  }

  async clear(namespace?: string): Promise<number> {
    if (namespace === undefined) {
      const n = this.entries.size;
      this.entries.clear();
      return n;
    }
    const ids: string[] = [];
    for (const id of this.entries.keys()) if (this.entries.peek(id)?.namespace === namespace) ids.push(id);
    for (const id of ids) this.entries.delete(id);
    return ids.length;
  }

  async stats(): Promise<CacheStoreStats> {
    const now = this.o.clock.now();
    let entries = 0;
    for (const e of this.entries.values()) if (e.expiresAt > now) entries++;
    return { entries, bytes: this.entries.calculatedSize };
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}
