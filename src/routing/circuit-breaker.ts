/**
 * Circuit breakers keyed by target (provider/model) or key. Closed → open after N consecutive
 * failures; open targets are skipped; after the cooldown one half-open probe is let through and
 * its outcome closes or re-opens the breaker.
 */
import type { Clock } from './clock.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

interface Entry {
  failures: number;
  state: BreakerState;
  openedAt: number;
  probeInFlight: boolean;
}

export interface BreakerSnapshot {
  id: string;
  state: BreakerState;
  consecutiveFailures: number;
  /** When open: ms until a probe may go through. */
  retryInMs?: number;
}

export class CircuitBreakers {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly failureThreshold: number,
    private readonly cooldownMs: number,
    private readonly clock: Pick<Clock, 'now'>,
  ) {}

  private entry(id: string): Entry {
    let e = this.entries.get(id);
    if (!e) {
      e = { failures: 0, state: 'closed', openedAt: 0, probeInFlight: false };
      this.entries.set(id, e);
    }
    return e;
  }

  /** May an attempt go to `id` now? Claims the half-open probe when it grants one. */
  tryAcquire(id: string): boolean {
    const e = this.entries.get(id);
    if (!e || e.state === 'closed') return true;
    if (e.state === 'open' && this.clock.now() - e.openedAt >= this.cooldownMs) {
      e.state = 'half-open';
      e.probeInFlight = false;
    }
    if (e.state === 'half-open' && !e.probeInFlight) {
      e.probeInFlight = true;
      return true;
    }
    return false;
  }

  /** Ms until `id` may be probed (0 when it may go now). */
  msUntilRetry(id: string): number {
    const e = this.entries.get(id);
    if (!e || e.state === 'closed') return 0;
    if (e.state === 'half-open') return e.probeInFlight ? this.cooldownMs : 0;
    return Math.max(0, this.cooldownMs - (this.clock.now() - e.openedAt));
  }

  /** Claims `id` regardless of state (used when every target is open). */
  force(id: string): void {
    const e = this.entry(id);
    if (e.state !== 'closed') {
      e.state = 'half-open';
      e.probeInFlight = true;
    }
  }

  success(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    e.failures = 0;
    e.state = 'closed';
    e.probeInFlight = false;
  }

  failure(id: string): void {
    const e = this.entry(id);
    e.failures++;
    if (e.state === 'half-open' || e.failures >= this.failureThreshold) {
      e.state = 'open';
      e.openedAt = this.clock.now();
      e.probeInFlight = false;
    }
  }

  state(id: string): BreakerState {
    const e = this.entries.get(id);
    if (!e) return 'closed';
    if (e.state === 'open' && this.clock.now() - e.openedAt >= this.cooldownMs) return 'half-open';
    return e.state;
  }

  snapshot(): BreakerSnapshot[] {
    return [...this.entries].map(([id, e]) => {
      const s: BreakerSnapshot = { id, state: this.state(id), consecutiveFailures: e.failures };
      if (e.state === 'open') s.retryInMs = this.msUntilRetry(id);
      return s;
    });
  }
}
