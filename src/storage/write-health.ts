/** Shared by the writers that retry a failed SQLite write later (semantic index, governance counters). */

/**
 * When failing writes are worth a report: once, after they kept failing for `afterMs`; and again
 * when they work after that.
 */
export class WriteHealth {
  private failingSince: number | undefined;
  private reported = false;

  constructor(private readonly afterMs: number) {}

  /** A write failed: true when this is the moment to report it. */
  failed(now: number): boolean {
    this.failingSince ??= now;
    if (this.reported || now - this.failingSince < this.afterMs) return false;
    this.reported = true;
    return true;
  }

  /** A write worked: true when its failing had been reported (so the recovery is worth one too). */
  worked(): boolean {
    this.failingSince = undefined;
    const was = this.reported;
    this.reported = false;
    return was;
  }
}
