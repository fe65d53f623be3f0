/**
 * Where exact cache entries live: cached answers under a namespace and a key; a store never
 * decides what to cache. Any method may reject (store down): the caller treats that as a miss.
 * The memory store keeps the answer object itself (frozen before the first hit hands it out: every
 * hit shares it), so neither a store nor a hit pays for JSON; a store on the network keeps its
 * JSON (`encodeAnswer`).
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

/** Freezes a value and everything in it (the memory store shares one answer between all hits). */
function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

/** Memory an answer holds, roughly: its strings (two bytes a character) plus a fixed cost per object. */
export function answerBytes(a: CachedAnswer): number {
  let bytes = 256 + (a.response.id.length + a.response.model.length) * 2;
  for (const p of a.response.content) {
    bytes += 96;
    for (const k in p) {
      const v = (p as unknown as Record<string, unknown>)[k];
      if (typeof v === 'string') bytes += v.length * 2;
      else if (v !== null && typeof v === 'object') bytes += JSON.stringify(v).length * 2;
    }
  }
  return bytes;
}

export interface CacheStoreStats {
  entries: number;
  /** Bytes of cached values, where the store knows it cheaply (memory). */
  bytes?: number;
}

export interface CacheStore {
  readonly kind: 'memory' | 'redis';
  get(namespace: string, key: string): Promise<CachedAnswer | undefined>;
  set(namespace: string, key: string, value: CachedAnswer, ttlMs: number): Promise<void>;
  /** Deletes every entry, or a namespace's; returns how many went. */
  clear(namespace?: string): Promise<number>;
  stats(): Promise<CacheStoreStats>;
  close(): Promise<void>;
}

interface MemoryEntry {
  namespace: string;
  value: CachedAnswer;
  expiresAt: number;
  bytes: number;
  /** Deep-frozen yet: done by the first hit, so an answer never read again (most, at low hit rates) costs no freezing. */
  frozen: boolean;
}

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

  private id(namespace: string, key: string): string {
    return `${namespace}\u0000${key}`;
  }

  private drop(id: string, e: MemoryEntry): void {
    this.entries.delete(id);
    this.bytes -= e.bytes;
  }

  async get(namespace: string, key: string): Promise<CachedAnswer | undefined> {
    const id = this.id(namespace, key);
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (e.expiresAt <= this.o.clock.now()) {
      this.drop(id, e);
      return undefined;
    }
    this.entries.delete(id);
    this.entries.set(id, e);
    if (!e.frozen) {
      deepFreeze(e.value);
      e.frozen = true;
    }
    return e.value;
  }

  async set(namespace: string, key: string, value: CachedAnswer, ttlMs: number): Promise<void> {
    const id = this.id(namespace, key);
    const bytes = answerBytes(value) + id.length * 2 + 64;
    if (bytes > this.o.maxBytes) return;
    const old = this.entries.get(id);
    if (old) this.drop(id, old);
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
    this.entries.set(id, { namespace, value, expiresAt: now + ttlMs, bytes, frozen: false });
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
