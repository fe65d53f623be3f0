/**
 * Which misses' answers the exact cache stores (`cache.admission`, docs/cache.md "Admission").
 *
 * `always`: every miss's answer is stored, so the first repeat of a request is a hit.
 *
 * `adaptive` (the default): the same, as long as the cache hits at all. Once `window` lookups in a
 * row have missed (a workload where nothing repeats: code review, unique prompts), an answer is
 * stored only when its request is seen a second time; the first sight only leaves the key's
 * fingerprint in a small table (a "doorkeeper", as CDNs' cache-on-second-hit and TinyLFU do it).
 * Storing is most of what a miss costs (encoding, the store's write, a stream's assembly), so a
 * cache that never hits stops paying for answers nobody asks for again, and stops evicting the few
 * that are. The first hit turns it back to storing on first sight.
 *
 * The state is this process's: with several replicas, each counts its own lookups and keeps its
 * own doorkeeper.
 */
import type { Logger } from '../observability/logger.js';

export type AdmissionMode = 'always' | 'adaptive';

/** Slots of the doorkeeper: 2^17 fingerprints of 4 bytes (512 KiB, allocated on first use). */
const SLOT_BITS = 17;

/** The 6-bit value of each base64url character, by its code. */
const SEXTET = new Uint8Array(128);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].entries()) SEXTET[c.charCodeAt(0)] = i;

/**
 * `n` (≤ 5) characters of a base64url key from `from`, as a number of 6n bits. The key is a
 * SHA-256, so its characters are uniform and these bits need no further mixing.
 */
function bits(key: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) v = (v << 6) | (SEXTET[key.charCodeAt(i) & 127] ?? 0);
  return v >>> 0;
}

export class Admission {
  /** Lookups that missed since the last hit (counted up to the window). */
  private missesInARow = 0;
  /** The window of the last adaptive miss (a reload may change it). */
  private window = Infinity;
  /** The doorkeeper: one key fingerprint a slot, by the key's hash. */
  private seen: Uint32Array | undefined;
  /** Misses whose answer was not stored because their request was seen for the first time. */
  notAdmitted = 0;

  constructor(private readonly logger?: Logger) {}

  /** Whether answers are stored only on second sight now (adaptive mode, no hit in `window` lookups). */
  get secondSight(): boolean {
    return this.missesInARow >= this.window;
  }

  /** A lookup hit: answers are stored on first sight again. */
  hit(): void {
    if (this.secondSight) this.logger?.info('cache: a lookup hit; answers are stored the first time their request is seen again');
    this.missesInARow = 0;
  }

  /**
   * A lookup of `key` missed. Returns whether its answer may be stored: always in `always` mode;
   * in `adaptive` mode unless `window` lookups in a row missed before this one and `key` was not
   * seen before.
   */
  miss(key: string, mode: AdmissionMode, window: number): boolean {
    if (mode === 'always') {
      this.window = Infinity;
      return true;
    }
    this.window = window;
    if (this.missesInARow < window) {
      if (++this.missesInARow === window) this.logger?.info({ window }, 'cache: no hit in the last lookups; an answer is now stored the second time its request is seen');
      return true;
    }
    const seen = (this.seen ??= new Uint32Array(1 << SLOT_BITS));
    const slot = bits(key, 0, 3) >>> (18 - SLOT_BITS);
    const fp = bits(key, 3, 5) | 1; // 30 bits, never 0 (the empty slot)
    if (seen[slot] === fp) return true;
    seen[slot] = fp;
    this.notAdmitted++;
    return false;
  }
}
