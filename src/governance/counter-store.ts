/**
 * Counters for governance: one atomic reserve per request (check every limit, and only when all
 * fit, add to all of them), one adjust when the request settles. Values are integers (requests,
 * tokens, nano-USD). A counter lives until its window ends (`expireAt`).
 */

export interface CounterCheck {
  key: string;
  /** The most the counter may hold after this reservation. */
  limit: number;
  /** Added when every check fits (0: only read). */
  amount: number;
  /** Epoch ms when the counter may be forgotten (its window's end, plus slack); Infinity: never. */
  expireAt: number;
  /**
   * false: `expireAt` is the same for every reservation of this counter (a window's end), so a
   * store may set it only when the reservation creates the counter. Default true (set every time).
   */
  refreshExpiry?: boolean;
  /**
   * The counter should outlive a restart (a budget or a rate limit's window; not a concurrency
   * count, whose requests die with the process). Redis keeps every counter anyway; the memory
   * store keeps these in a file when it has one (counter-file.ts).
   */
  keep?: boolean;
  /**
   * The counter's value in the shared store when this replica last saw it (a windowed limit). When
   * the shared store cannot be reached, the local fallback shares out only what was left of the
   * limit then, not the whole limit again.
   */
  seen?: number;
  /**
   * A count of requests in flight (max_concurrent), not a window: in Redis each replica holds its
   * own part, and the parts of a replica that stopped (a crash) stop counting within a few
   * heartbeats. The memory store treats it as any counter.
   */
  perReplica?: boolean;
}

export type ReserveResult =
  /** Values after the reservation, one per check. */
  | { ok: true; values: number[] }
  /** The first check that did not fit, and the values read up to it (nothing was added). */
  | { ok: false; index: number; values: number[] };

export interface CounterAdjust {
  key: string;
  /** Added to the counter if it still exists (a window that ended is not recreated); floors at 0. */
  delta: number;
  /**
   * Whether the counter expires (false: a `total` budget, kept forever). A store may then tell a
   * counter that is gone from one it just made: an expiring counter always has its expiry.
   */
  expires: boolean;
  /** As CounterCheck.perReplica: settles this replica's part of a count of requests in flight. */
  perReplica?: boolean;
}

export interface CounterStore {
  readonly kind: 'memory' | 'redis';
  reserve(checks: readonly CounterCheck[], now: number): Promise<ReserveResult>;
  adjust(adjusts: readonly CounterAdjust[]): Promise<void>;
  /** Current values (0 for counters that do not exist). */
  read(keys: readonly string[]): Promise<number[]>;
  close(): Promise<void>;
}
