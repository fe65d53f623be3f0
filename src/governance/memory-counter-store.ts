/**
 * Counters in this process: the embedded default for one replica, and the local fallback of a
 * Redis store that cannot be reached (fail_open). Same semantics as the Redis script: all checks
 * fit or nothing is added. Expired windows are swept as they are touched and once a minute.
 *
 * With a counter file (`attach`), the counters reserved with `keep` (budgets, rate-limit windows)
 * are written to it about once a second when they changed, and on close; a new store on the same
 * file starts from them, so a restart does not reset a budget.
 */
import type { CounterAdjust, CounterCheck, CounterStore, ReserveResult } from './counter-store.js';
import type { CounterFile, CounterRow } from './counter-file.js';
import { WriteHealth } from '../storage/write-health.js';

interface Cell {
  value: number;
  expireAt: number;
  /** Written to the counter file. */
  keep: boolean;
}

/** How often changed counters are written to the file. */
export const COUNTER_FLUSH_MS = 1_000;
/** How often the file forgets counters whose window ended. */
const FILE_EXPIRE_EVERY_MS = 60_000;
/** How long writes may keep failing before it is reported (the request log's writer holds the lock for moments). */
const FILE_FAILING_REPORTED_AFTER_MS = 10_000;
/** A failed write is tried again after this long plus up to RETRY_SPREAD_MS. */
const RETRY_MIN_MS = 20;
const RETRY_SPREAD_MS = 180;

export interface CounterFileLink {
  file: CounterFile;
  /** A write to the file kept failing (ok false, once), or works again after that (ok true). */
  onStatus?: (ok: boolean, err?: unknown) => void;
  /** Default COUNTER_FLUSH_MS. */
  flushMs?: number;
}

export class MemoryCounterStore implements CounterStore {
  readonly kind = 'memory';
  private readonly cells = new Map<string, Cell>();
  private readonly sweeper: NodeJS.Timeout;
  private link: CounterFileLink | undefined;
  private flusher: NodeJS.Timeout | undefined;
  /** Keys of kept counters changed since the last write to the file. */
  private readonly dirty = new Set<string>();
  private readonly health = new WriteHealth(FILE_FAILING_REPORTED_AFTER_MS);
  private nextFileExpiry = 0;
  private closed = false;
  /** A failed write's next try, when one is due. */
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly clock: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(this.clock()), 60_000);
    this.sweeper.unref();
  }

  /**
   * Keeps the `keep` counters in a file from now on, starting from the ones it holds (added to any
   * counted here already). Returns how many counters were read.
   */
  attach(link: CounterFileLink): number {
    if (this.closed || this.link) return 0;
    const now = this.clock();
    const rows = link.file.load(now);
    this.add(rows, now);
    this.link = link;
    this.flusher = setInterval(() => this.flush(false), link.flushMs ?? COUNTER_FLUSH_MS);
    this.flusher.unref();
    return rows.length;
  }

  /** Adds counted values (from a file, or given back): to a counter that exists, or as a new kept one. */
  add(rows: readonly CounterRow[], now: number): void {
    for (const r of rows) {
      const cell = this.get(r.key, now);
      if (cell) {
        cell.value += r.value;
        cell.keep = true;
        if (this.link) this.dirty.add(r.key);
      } else if (r.expireAt > now) {
        this.cells.set(r.key, { value: r.value, expireAt: r.expireAt, keep: true });
        if (this.link) this.dirty.add(r.key);
      }
    }
  }

  /**
   * Removes and returns the kept counters above zero whose window has not ended at `now`: what a
   * Redis store's local fallback counted during an outage, to be added to Redis once it answers.
   */
  takeKept(now: number): CounterRow[] {
    const out: CounterRow[] = [];
    for (const [key, c] of this.cells) {
      if (!c.keep) continue;
      this.cells.delete(key);
      if (c.value > 0 && c.expireAt > now) out.push({ key, value: c.value, expireAt: c.expireAt });
    }
    return out;
  }

  /**
   * Writes the kept counters that changed since the last write; on failure they stay queued for the
   * next one (`wait`: wait for the file's lock, at close). Public for tests.
   */
  flush(wait: boolean): void {
    const link = this.link;
    if (!link) return;
    const now = this.clock();
    const expire = now >= this.nextFileExpiry;
    if (this.dirty.size === 0 && !expire) return;
    const rows: CounterRow[] = [];
    for (const key of this.dirty) {
      const c = this.cells.get(key);
      // A counter whose window ended is not written: the file forgets it by its expiry.
      if (c && c.expireAt > now) rows.push({ key, value: c.value, expireAt: c.expireAt });
    }
    try {
      link.file.write(rows, expire ? now : undefined, wait);
    } catch (err) {
      if (this.health.failed(now)) link.onStatus?.(false, err);
      // Tried again soon, at a random moment: a writer whose own timer ticks in step with this one
      // (the request log's, also once a second) would otherwise hold the lock at every try.
      if (!wait && !this.retry && !this.closed) {
        this.retry = setTimeout(() => {
          this.retry = undefined;
          this.flush(false);
        }, RETRY_MIN_MS + Math.random() * RETRY_SPREAD_MS);
        this.retry.unref();
      }
      return;
    }
    this.dirty.clear();
    if (expire) this.nextFileExpiry = now + FILE_EXPIRE_EVERY_MS;
    if (this.health.worked()) link.onStatus?.(true);
  }

  private get(key: string, now: number): Cell | undefined {
    const c = this.cells.get(key);
    if (c && c.expireAt <= now) {
      this.cells.delete(key);
      return undefined;
    }
    return c;
  }

  reserveNow(checks: readonly CounterCheck[], now: number): ReserveResult {
    const values: number[] = [];
    for (let i = 0; i < checks.length; i++) {
      const c = checks[i]!;
      const v = this.get(c.key, now)?.value ?? 0;
      values.push(v);
      if (c.amount > 0 && v + c.amount > c.limit) return { ok: false, index: i, values };
    }
    for (let i = 0; i < checks.length; i++) {
      const c = checks[i]!;
      let cell = this.get(c.key, now);
      if (!cell) {
        cell = { value: 0, expireAt: c.expireAt, keep: c.keep === true };
        this.cells.set(c.key, cell);
      } else cell.expireAt = c.expireAt;
      cell.value += c.amount;
      values[i] = cell.value;
      if (cell.keep && c.amount !== 0 && this.link) this.dirty.add(c.key);
    }
    return { ok: true, values };
  }

  adjustNow(adjusts: readonly CounterAdjust[]): void {
    const now = this.clock();
    for (const a of adjusts) {
      const cell = this.get(a.key, now);
      if (!cell) continue;
      cell.value = Math.max(0, cell.value + a.delta);
      if (cell.keep && this.link) this.dirty.add(a.key);
    }
  }

  reserve(checks: readonly CounterCheck[], now: number): Promise<ReserveResult> {
    return Promise.resolve(this.reserveNow(checks, now));
  }

  adjust(adjusts: readonly CounterAdjust[]): Promise<void> {
    this.adjustNow(adjusts);
    return Promise.resolve();
  }

  read(keys: readonly string[]): Promise<number[]> {
    const now = this.clock();
    return Promise.resolve(keys.map((k) => this.get(k, now)?.value ?? 0));
  }

  private sweep(now: number): void {
    for (const [k, c] of this.cells) if (c.expireAt <= now) this.cells.delete(k);
  }

  /** Writes what changed to the file (waiting for its lock); the file itself is its owner's to close. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    clearInterval(this.sweeper);
    clearInterval(this.flusher);
    clearTimeout(this.retry);
    this.flush(true);
    this.link = undefined;
    return Promise.resolve();
  }
}
