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
  return JSON.stringify(a);
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

/** What an entry costs besides its JSON and its id's characters: the entry object and the Map's slot. */
const ENTRY_OVERHEAD = 96;

/** Inserts between two walks over the oldest entries for expired ones, when the store is not full. */
const SWEEP_EVERY = 64;

/**
 * An in-process store bounded by bytes: a Map in least-recently-used order (a read moves the entry
 * to the end; inserts past max_bytes evict from the front). Expiry is checked on read with the
 * gateway's clock, and expired entries are swept as inserts walk past them.
 */
export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory';
  private readonly entries = new Map<string, MemoryEntry>();
  private bytes = 0;
  private insertsSinceSweep = 0;

  constructor(private readonly o: { maxBytes: number; clock: Clock }) {}

  private drop(id: string, e: MemoryEntry): void {
    this.entries.delete(id);
    this.bytes -= e.bytes;
  }

  async get(namespace: string, key: string): Promise<CachedAnswer | undefined> {
    return this.getNow(namespace, key);
  }

  async set(namespace: string, key: string, json: string, ttlMs: number): Promise<void> {
    this.setNow(namespace, key, json, ttlMs);
  }

  getNow(namespace: string, key: string): CachedAnswer | undefined {
    const e = this.entries.get(key);
    if (!e || e.namespace !== namespace) return undefined;
    if (e.expiresAt <= this.o.clock.now()) {
      this.drop(key, e);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, e);
    return decodeAnswer(e.value);
  }

  setNow(namespace: string, key: string, json: string, ttlMs: number): void {
    // Two bytes a character: V8 keeps ASCII text in one, anything else in two.
    const bytes = (json.length + key.length + namespace.length) * 2 + ENTRY_OVERHEAD;
    if (bytes > this.o.maxBytes) return;
    const old = this.entries.get(key);
    if (old) this.drop(key, old);
    const now = this.o.clock.now();
    // Evict from the least recently used end while over budget; when there is room, sweep expired
    // entries off that end only now and then (reads drop the expired entries they find).
    if (this.bytes + bytes > this.o.maxBytes || ++this.insertsSinceSweep >= SWEEP_EVERY) {
      this.insertsSinceSweep = 0;
      for (const [oid, e] of this.entries) {
        if (this.bytes + bytes <= this.o.maxBytes && e.expiresAt > now) break;
        this.drop(oid, e);
      }
    }
    this.entries.set(key, { namespace, value: json, expiresAt: now + ttlMs, bytes });
    this.bytes += bytes;
  }

  async clear(namespace?: string): Promise<number> {
    let n = 0;
    for (const [id, e] of this.entries) {
      if (namespace !== undefined && e.namespace !== namespace) continue;
      this.drop(id, e);
      n++;
    }
    return n;
  }

  async stats(): Promise<CacheStoreStats> {
    const now = this.o.clock.now();
    let entries = 0;
    for (const e of this.entries.values()) if (e.expiresAt > now) entries++;
    return { entries, bytes: this.bytes };
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.bytes = 0;
  }
}
