/**
 * Where exact cache entries live: cached answers under a namespace and a key; a store never
 * decides what to cache. Any method may reject (store down): the caller treats that as a miss.
 * Every store keeps an answer as its JSON (`encodeAnswer`): the memory store as UTF-8 bytes off
 * the heap (memory-store.ts), Redis as a string value. Each hit parses its own copy, so no reader
 * can change another's.
 */
import type { CoreResponse } from '../core/response.js';

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

/**
 * `s` as one sequential string, for a string kept on the heap for long (the embedded semantic
 * index keeps its answers' JSON). The V8 of Node 20 returns JSON.stringify's result as a rope (a
 * tree of the chunks it wrote into), and a rope kept for hours is several objects for every GC to
 * copy and trace instead of one (586 heap bytes an answer instead of 443); converting it to a
 * number flattens it in place (the number itself is thrown away: JSON text is never numeric here),
 * and the next scavenge drops the chunks. Node 26's V8 already returns a flat string, and this
 * leaves it as it is.
 */
export function flat(s: string): string {
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
  /** Undefined while a store that counts seldom (Redis: paced-count.ts) has not counted yet. */
  entries: number | undefined;
  /** Bytes of cached values, where the store knows it cheaply (memory). */
  bytes?: number;
  /** When `entries` was counted (ms since the epoch), for a store that counts seldom. */
  countedAt?: number;
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
