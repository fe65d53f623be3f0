/**
 * The in-process cache store, with its entries off the JavaScript heap.
 *
 * Why not a map of strings (as before, on `lru-cache`): on Node 20's V8 every young-generation
 * collection costs more as the old generation grows, whatever it holds and even if nothing in it
 * is written again (bench/store-heap.ts). A full 256 MiB store of answers kept as strings made
 * every request through the server a few microseconds slower, which was most of what the cache
 * cost at 0 % hits. Here an entry is a run of bytes in a ring of large buffers, and the index
 * from key to entry is two typed arrays: whatever the number of entries, the heap holds a handful
 * of objects, and the bytes are outside it. No maintained npm package does this (the LRU packages
 * keep values as objects on the heap), so it is written here, tested in memory-store.test.ts.
 *
 * The ring is a log: a new entry goes at the head, and room is made by taking the oldest bytes at
 * the tail. Eviction is CLOCK, the usual close approximation of least-recently-used: a read only
 * marks its entry, and a marked entry reaching the tail is written again at the head, unmarked,
 * instead of going; an unmarked one goes. So what is read stays, what nobody read since it was
 * written goes, oldest first, and a read copies nothing. Bytes of entries overwritten, expired on
 * read or cleared are dead until the tail passes them, so live bytes can be fewer than max_bytes.
 *
 * An entry: [u32 total length][i32 key hash][f64 expiresAt][u16 namespace bytes][u16 key bytes]
 * [u8 flags: READ, ASCII] then namespace, key and the answer's JSON, all UTF-8. Entries never
 * span two buffers; the end of a buffer too short for the next entry is padding. max_bytes bounds
 * the ring; the index adds 32 to 64 bytes an entry (16 a slot, at most half the slots in use).
 */
import type { Clock } from '../routing/clock.js';
import { decodeAnswer } from './cache-store.js';
import type { CachedAnswer, CacheStore, CacheStoreStats } from './cache-store.js';

const HEADER = 21;
/** Flags: the entry was read since it was written; its JSON is ASCII (read back as latin1, 7× faster). */
const READ = 1;
const ASCII = 2;
/** Ids (namespaces, keys) up to this long and all ASCII are written and compared in JavaScript. */
const SHORT_ID = 128;
/** Namespace and key lengths that mark padding to the end of a buffer. */
const PAD = 0xffff;
/** Longest namespace or key kept, in characters (three UTF-8 bytes each at most, under PAD). */
const MAX_ID_CHARS = 8192;
/** The ring's buffers: allocated only as the head reaches them, so an idle cache costs no memory. */
const CHUNK_BYTES = 16 * 1024 * 1024;
const FIRST_SLOTS = 1024;
/** Never-written ring bytes faulted in at once, ahead of the head (`touchAhead`). */
const TOUCH_AHEAD = 256 * 1024;

/** Whether `s` is short and all ASCII: then its UTF-8 bytes are its char codes. */
function shortAscii(s: string): boolean {
  if (s.length > SHORT_ID) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** FNV-1a over the UTF-16 code units: keys are SHA-256 in base64url, already well spread. */
function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h | 0;
}

export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory';
  private readonly capacity: number;
  private readonly chunkBytes: number;
  private readonly chunks: Buffer[] = [];
  /** Where the next entry goes and where the oldest bytes are, as offsets in [0, capacity). */
  private head = 0;
  private tail = 0;
  /** Bytes from tail to head, live, dead and padding. */
  private used = 0;
  private liveEntries = 0;
  /** Ring bytes of the entries the index points at (what stats() reports, kept as they change). */
  private liveBytes = 0;
  /** Every ring byte below this offset has been written at least once (the fill's frontier). */
  private written = 0;
  private closed = false;
  /**
   * Open addressing with linear probing: entry offset + 1 (0: empty slot), the key's hash, and
   * its namespace's number (`nsNumbers`), so a namespace's entries are found without reading the
   * ring.
   */
  private offsets = new Float64Array(FIRST_SLOTS);
  private hashes = new Int32Array(FIRST_SLOTS);
  private spaces = new Int32Array(FIRST_SLOTS);
  /** A number for each namespace seen since the last full clear (1, 2, …). */
  private readonly nsNumbers = new Map<string, number>();
  /** By namespace number: the entries the index points at, and their ring bytes. */
  private spaceEntries: number[] = [0];
  private spaceBytes: number[] = [0];
  /** Entries being moved from the tail to the head (`makeRoom`), with their namespaces' numbers. */
  private readonly moving: Buffer[] = [];
  private readonly movingSpaces: number[] = [];
  /** The key and namespace being looked for, encoded once per call. */
  private readonly scratch = Buffer.allocUnsafe(8 * MAX_ID_CHARS);

  /** `chunkBytes`: the size of the ring's buffers (tests make it small to cross their ends). */
  constructor(private readonly o: { maxBytes: number; clock: Clock; chunkBytes?: number }) {
    this.capacity = o.maxBytes;
    this.chunkBytes = Math.min(o.chunkBytes ?? CHUNK_BYTES, o.maxBytes);
  }

  async get(namespace: string, key: string): Promise<CachedAnswer | undefined> {
    return this.getNow(namespace, key);
  }

  async set(namespace: string, key: string, json: string, ttlMs: number): Promise<void> {
    this.setNow(namespace, key, json, ttlMs);
  }

  getNow(namespace: string, key: string): CachedAnswer | undefined {
    if (this.closed || key.length > MAX_ID_CHARS || namespace.length > MAX_ID_CHARS) return undefined;
    const h = hashOf(key);
    const slot = this.find(h, key);
    if (slot < 0) return undefined;
    const at = this.offsets[slot]! - 1;
    const buf = this.chunkAt(at);
    const p = at % this.chunkBytes;
    const nsLen = buf.readUInt16LE(p + 16);
    if (!this.idAt(buf, p + HEADER, nsLen, namespace)) return undefined;
    if (buf.readDoubleLE(p + 8) <= this.o.clock.now()) {
      this.drop(slot);
      return undefined;
    }
    const flags = buf[p + 20]!;
    buf[p + 20] = flags | READ;
    const from = p + HEADER + nsLen + buf.readUInt16LE(p + 18);
    return decodeAnswer(buf.toString(flags & ASCII ? 'latin1' : 'utf8', from, p + buf.readUInt32LE(p)));
  }

  setNow(namespace: string, key: string, json: string, ttlMs: number): void {
    if (this.closed || key.length > MAX_ID_CHARS || namespace.length > MAX_ID_CHARS) return;
    const h = hashOf(key);
    const slot = this.find(h, key);
    if (slot >= 0) this.drop(slot);
    this.insert(h, namespace, key, json, this.o.clock.now() + ttlMs);
  }

  async clear(namespace?: string): Promise<number> {
    if (namespace === undefined) {
      const n = this.liveEntries;
      this.reset();
      return n;
    }
    return this.clearNamespace(namespace);
  }

  /**
   * One namespace's entries out of the index, in one pass over it, without reading the ring: each
   * slot carries its namespace's number, and each namespace's entries and bytes are counted as
   * they come and go. The ring walk it replaces read a header per entry across the whole ring,
   * about 200 ms on a full 256 MiB store with every request waiting (bench/memory-store-clear.ts).
   */
  private clearNamespace(namespace: string): number {
    const space = this.nsNumbers.get(namespace);
    const n = space === undefined ? 0 : this.spaceEntries[space]!;
    if (n === 0) return 0;
    // A removal moves later entries of its run back into the hole: the same slot is looked at again.
    for (let i = 0; i < this.spaces.length; ) {
      if (this.spaces[i] === space && this.offsets[i] !== 0) this.unlink(i);
      else i++;
    }
    this.liveEntries -= n;
    this.liveBytes -= this.spaceBytes[space!]!;
    this.spaceEntries[space!] = 0;
    this.spaceBytes[space!] = 0;
    return n;
  }

  /**
   * The entries held and their ring bytes, from counters kept as entries come and go: a walk over
   * a full store (about 200,000 answers in 256 MiB) held the event loop for 20-40 ms, every time
   * the console's Cache page refreshed. An expired answer is never served, but it counts here
   * until a read finds it or the tail of the ring reaches it.
   */
  async stats(): Promise<CacheStoreStats> {
    return { entries: this.liveEntries, bytes: this.liveBytes };
  }

  /**
   * Frees the ring. A request that started on the config this store belonged to may still finish
   * after it: its lookup misses and its answer is not kept (no ring is allocated again).
   */
  async close(): Promise<void> {
    this.closed = true;
    this.reset();
  }

  private reset(): void {
    this.chunks.length = 0;
    this.head = this.tail = this.used = this.liveEntries = this.liveBytes = this.written = 0;
    this.offsets = new Float64Array(FIRST_SLOTS);
    this.hashes = new Int32Array(FIRST_SLOTS);
    this.spaces = new Int32Array(FIRST_SLOTS);
    this.nsNumbers.clear();
    this.spaceEntries = [0];
    this.spaceBytes = [0];
  }

  private chunkAt(offset: number): Buffer {
    return this.chunks[Math.floor(offset / this.chunkBytes)]!;
  }

  /** Where the buffer holding `offset` ends. */
  private chunkEnd(offset: number): number {
    return Math.min(this.capacity, (Math.floor(offset / this.chunkBytes) + 1) * this.chunkBytes);
  }

  private insert(h: number, namespace: string, key: string, json: string, expiresAt: number): void {
    const nsAscii = shortAscii(namespace);
    const keyAscii = shortAscii(key);
    const nsLen = nsAscii ? namespace.length : Buffer.byteLength(namespace);
    const keyLen = keyAscii ? key.length : Buffer.byteLength(key);
    const jsonLen = Buffer.byteLength(json);
    const size = HEADER + nsLen + keyLen + jsonLen;
    if (size > this.chunkBytes) return;
    const at = this.place(size);
    const buf = this.chunkFor(at);
    const p = at % this.chunkBytes;
    this.touchAhead(buf, at, at + size);
    buf.writeUInt32LE(size, p);
    buf.writeInt32LE(h, p + 4);
    buf.writeDoubleLE(expiresAt, p + 8);
    buf.writeUInt16LE(nsLen, p + 16);
    buf.writeUInt16LE(keyLen, p + 18);
    // UTF-8 as long as UTF-16 is ASCII: no code unit above 0x7f.
    const ascii = jsonLen === json.length;
    buf[p + 20] = ascii ? ASCII : 0;
    let w = p + HEADER;
    w += MemoryCacheStore.writeId(buf, w, namespace, nsAscii);
    w += MemoryCacheStore.writeId(buf, w, key, keyAscii);
    buf.write(json, w, ascii ? 'latin1' : 'utf8');
    let space = this.nsNumbers.get(namespace);
    if (space === undefined) {
      this.nsNumbers.set(namespace, (space = this.nsNumbers.size + 1));
      this.spaceEntries.push(0);
      this.spaceBytes.push(0);
    }
    this.commit(h, at, size, space);
    // Entries read since they were written, met at the tail while making room: written again.
    for (let i = 0; i < this.moving.length; i++) {
      const e = this.moving[i]!;
      const to = this.place(e.length);
      const dest = this.chunkFor(to);
      this.touchAhead(dest, to, to + e.length);
      e.copy(dest, to % this.chunkBytes);
      dest[(to % this.chunkBytes) + 20] &= ~READ;
      this.commit(e.readInt32LE(4), to, e.length, this.movingSpaces[i]!);
    }
    this.moving.length = 0;
    this.movingSpaces.length = 0;
  }

  private commit(h: number, at: number, size: number, space: number): void {
    this.used += size;
    this.head = (at + size) % this.capacity;
    this.liveEntries++;
    this.liveBytes += size;
    this.spaceEntries[space]!++;
    this.spaceBytes[space]! += size;
    this.index(h, at, space);
  }

  /** Where an entry of `size` bytes goes: room is made at the head, within one buffer. */
  private place(size: number): number {
    if (this.head + size > this.chunkEnd(this.head)) {
      // Not enough left in this buffer: the rest of it becomes padding and the entry starts the next.
      const rest = this.chunkEnd(this.head) - this.head;
      this.makeRoom(rest);
      if (rest >= HEADER) {
        const buf = this.chunkFor(this.head);
        const p = this.head % this.chunkBytes;
        buf.writeUInt32LE(rest, p);
        buf.writeUInt16LE(PAD, p + 16);
        buf.writeUInt16LE(PAD, p + 18);
      }
      this.used += rest;
      this.head = (this.head + rest) % this.capacity;
    }
    this.makeRoom(size);
    return this.head;
  }

  /**
   * Writes zeros over the never-written ring bytes from `at` to TOUCH_AHEAD past `end` (within its
   * buffer), before an entry goes there. The first write to a page costs a page fault. Taken one at
   * a time in the middle of requests, those faults cost the server about 13 µs of system time a
   * stored answer while the ring fills (docs/performance.md); taken in one run they cost a fraction
   * of that. Once the ring has been written through, this does nothing.
   */
  private touchAhead(buf: Buffer, at: number, end: number): void {
    if (end <= this.written) return;
    const start = at - (at % this.chunkBytes);
    const to = Math.min(this.chunkEnd(at), end + TOUCH_AHEAD);
    buf.fill(0, Math.max(this.written, start) - start, to - start);
    this.written = to;
  }

  /** The buffer holding `offset`, allocated on first use. */
  private chunkFor(offset: number): Buffer {
    const i = Math.floor(offset / this.chunkBytes);
    let buf = this.chunks[i];
    if (!buf) {
      buf = Buffer.allocUnsafeSlow(this.chunkEnd(offset) - i * this.chunkBytes);
      this.chunks[i] = buf;
    }
    return buf;
  }

  /**
   * Drops the oldest bytes until `size` bytes are free after the head. A live entry there that was
   * read since it was written (and has not expired) is kept: copied out, to be written again at
   * the head once the entry being placed is in.
   */
  private makeRoom(size: number): void {
    while (this.capacity - this.used < size) {
      const t = this.tail;
      const len = this.lengthAt(t);
      const slot = this.liveAt(t);
      if (slot >= 0) {
        const buf = this.chunkAt(t);
        const p = t % this.chunkBytes;
        if (buf[p + 20]! & READ && buf.readDoubleLE(p + 8) > this.o.clock.now()) {
          this.moving.push(Buffer.from(buf.subarray(p, p + len)));
          this.movingSpaces.push(this.spaces[slot]!);
        }
        this.drop(slot);
      }
      this.used -= len;
      this.tail = (t + len) % this.capacity;
    }
  }

  /** Bytes from ring offset `t` (an entry's or padding's start) to the next entry. */
  private lengthAt(t: number): number {
    const end = this.chunkEnd(t);
    // Too short for a header: padding without one.
    return end - t < HEADER ? end - t : this.chunkAt(t).readUInt32LE(t % this.chunkBytes);
  }

  /** The index slot of the entry at ring offset `t`, or -1: padding or dead bytes. */
  private liveAt(t: number): number {
    if (this.chunkEnd(t) - t < HEADER) return -1;
    const buf = this.chunkAt(t);
    const p = t % this.chunkBytes;
    return buf.readUInt16LE(p + 16) === PAD ? -1 : this.slotOf(buf.readInt32LE(p + 4), t);
  }

  /** The index slot of `key`, or -1. */
  private find(h: number, key: string): number {
    const mask = this.offsets.length - 1;
    for (let i = h & mask; this.offsets[i] !== 0; i = (i + 1) & mask) {
      if (this.hashes[i] !== h) continue;
      const at = this.offsets[i]! - 1;
      const buf = this.chunkAt(at);
      const p = at % this.chunkBytes;
      if (this.idAt(buf, p + HEADER + buf.readUInt16LE(p + 16), buf.readUInt16LE(p + 18), key)) return i;
    }
    return -1;
  }

  /** Whether the `len` bytes at `at` are `id` in UTF-8. */
  private idAt(buf: Buffer, at: number, len: number, id: string): boolean {
    if (shortAscii(id)) {
      if (len !== id.length) return false;
      for (let i = 0; i < len; i++) if (buf[at + i] !== id.charCodeAt(i)) return false;
      return true;
    }
    const n = this.scratch.write(id, 0);
    return n === len && buf.compare(this.scratch, 0, n, at, at + len) === 0;
  }

  /** Writes `id` in UTF-8 at `at`; returns its length. */
  private static writeId(buf: Buffer, at: number, id: string, ascii: boolean): number {
    if (!ascii) return buf.write(id, at);
    for (let i = 0; i < id.length; i++) buf[at + i] = id.charCodeAt(i);
    return id.length;
  }

  /** The index slot pointing at the entry at `offset` (whose key hashes to `h`), or -1: dead bytes. */
  private slotOf(h: number, offset: number): number {
    const mask = this.offsets.length - 1;
    for (let i = h & mask; this.offsets[i] !== 0; i = (i + 1) & mask) if (this.offsets[i] === offset + 1) return i;
    return -1;
  }

  private index(h: number, offset: number, space: number): void {
    if (this.liveEntries * 2 > this.offsets.length) this.rehash(this.offsets.length * 2);
    const mask = this.offsets.length - 1;
    let i = h & mask;
    while (this.offsets[i] !== 0) i = (i + 1) & mask;
    this.offsets[i] = offset + 1;
    this.hashes[i] = h;
    this.spaces[i] = space;
  }

  /** The index again with `slots` slots, from its slots holding a positive offset. */
  private rehash(slots: number): void {
    const { offsets, hashes, spaces } = this;
    this.offsets = new Float64Array(slots);
    this.hashes = new Int32Array(slots);
    this.spaces = new Int32Array(slots);
    const mask = slots - 1;
    for (let j = 0; j < offsets.length; j++) {
      if (!(offsets[j]! > 0)) continue;
      let i = hashes[j]! & mask;
      while (this.offsets[i] !== 0) i = (i + 1) & mask;
      this.offsets[i] = offsets[j]!;
      this.hashes[i] = hashes[j]!;
      this.spaces[i] = spaces[j]!;
    }
  }

  /** Removes an entry from the index and the counts (its bytes stay until the tail passes). */
  private drop(slot: number): void {
    this.liveEntries--;
    const at = this.offsets[slot]! - 1;
    const size = this.chunkAt(at).readUInt32LE(at % this.chunkBytes);
    this.liveBytes -= size;
    const space = this.spaces[slot]!;
    this.spaceEntries[space]!--;
    this.spaceBytes[space]! -= size;
    this.unlink(slot);
  }

  /**
   * Takes a slot out of the index (no counting). Linear probing without tombstones: the entries
   * after the hole that could live in it move back into it.
   */
  private unlink(slot: number): void {
    const mask = this.offsets.length - 1;
    let hole = slot;
    for (let j = (hole + 1) & mask; this.offsets[j] !== 0; j = (j + 1) & mask) {
      const home = this.hashes[j]! & mask;
      // The entry at j stays when its home slot lies cyclically in (hole, j].
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      this.offsets[hole] = this.offsets[j]!;
      this.hashes[hole] = this.hashes[j]!;
      this.spaces[hole] = this.spaces[j]!;
      hole = j;
    }
    this.offsets[hole] = 0;
  }
}
