/**
 * Counters in this process: the embedded default for one replica, and the local fallback of a
 * Redis store that cannot be reached (fail_open). Same semantics as the Redis script: all checks
 * fit or nothing is added. Expired windows are swept as they are touched and once a minute.
 */
import type { CounterAdjust, CounterCheck, CounterStore, ReserveResult } from './counter-store.js';

interface Cell {
  value: number;
  expireAt: number;
}

export class MemoryCounterStore implements CounterStore {
  readonly kind = 'memory';
  private readonly cells = new Map<string, Cell>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly clock: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(this.clock()), 60_000);
    this.sweeper.unref();
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
        cell = { value: 0, expireAt: c.expireAt };
        this.cells.set(c.key, cell);
      } else cell.expireAt = c.expireAt;
      cell.value += c.amount;
      values[i] = cell.value;
    }
    return { ok: true, values };
  }

  adjustNow(adjusts: readonly CounterAdjust[]): void {
    const now = this.clock();
    for (const a of adjusts) {
      const cell = this.get(a.key, now);
      if (cell) cell.value = Math.max(0, cell.value + a.delta);
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

  close(): Promise<void> {
    clearInterval(this.sweeper);
    return Promise.resolve();
  }
}
