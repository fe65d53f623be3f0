/**
 * A count that is expensive to take, taken seldom enough to stay cheap: the Redis store's entries
 * (a SCAN through the whole shared Redis, the one governance counts on) and the Postgres index's
 * rows (a count over the table). The console asks every 5 s, once per open tab, on every replica;
 * counting each time would put a full walk of a million-key Redis behind every poll.
 *
 * So a count is reused until it is `minAgeMs` old, or `costFactor` times as old as it took to
 * take, whichever is longer: counting then takes at most 1/costFactor of the time, however large
 * the store grows. Callers asking at once share one count. An outdated count is answered at once,
 * while a new one is taken behind it; the first one is waited for, up to `waitMs`. A clear drops
 * the count, and a count that was under way when it happened is not used.
 */
export interface PacedCountOptions {
  take: () => Promise<number>;
  now: () => number;
  /** Reused for at least this long (ms). */
  minAgeMs?: number;
  /** Reused for at least this many times the time it took. */
  costFactor?: number;
  /** How long a caller with no count yet waits for one (ms); after that, undefined. */
  waitMs?: number;
}

export interface Counted {
  value: number;
  /** When it was taken (ms since the epoch, by `now`). */
  at: number;
}

export class PacedCount {
  private last: Counted | undefined;
  /** Reuse `last` until this time. */
  private freshUntil = 0;
  private running: Promise<void> | undefined;
  private lastError: unknown;
  /** Bumped by a clear: a count started before it is not kept. */
  private generation = 0;
  private readonly minAgeMs: number;
  private readonly costFactor: number;
  private readonly waitMs: number;

  constructor(private readonly o: PacedCountOptions) {
    this.minAgeMs = o.minAgeMs ?? 10_000;
    this.costFactor = o.costFactor ?? 50;
    this.waitMs = o.waitMs ?? 1_000;
  }

  /**
   * The latest count, taking a new one when it is due. Undefined while the first count is still
   * being taken after `waitMs`; rejects when it failed and there is no earlier count to give.
   */
  async get(): Promise<Counted | undefined> {
    if (this.o.now() >= this.freshUntil || !this.last) this.start();
    if (this.last) return this.last;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.waitMs)));
    await Promise.race([this.running, waited]).finally(() => clearTimeout(timer));
    if (this.last) return this.last;
    if (this.lastError !== undefined) throw this.lastError;
    return undefined;
  }

  /** After a clear: the next get() counts afresh. */
  invalidate(): void {
    this.generation++;
    this.last = undefined;
    this.freshUntil = 0;
    this.running = undefined;
  }

  private start(): void {
    if (this.running) return;
    const generation = this.generation;
    const started = this.o.now();
    const run = this.o.take().then(
      (value) => {
        if (generation !== this.generation) return;
        const at = this.o.now();
        this.last = { value, at };
        this.lastError = undefined;
        this.freshUntil = at + Math.max(this.minAgeMs, this.costFactor * (at - started));
      },
      (err: unknown) => {
        if (generation !== this.generation) return;
        // Kept for callers with nothing else to give; an earlier count is still served until
        // the next one is due, and then it is tried again.
        this.lastError = err;
        this.freshUntil = this.o.now() + this.minAgeMs;
      },
    );
    const tracked: Promise<void> = run.finally(() => {
      if (this.running === tracked) this.running = undefined;
    });
    this.running = tracked;
  }
}
