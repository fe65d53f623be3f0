/**
 * Calendar windows in UTC: a minute, hour, day, ISO week (from Monday 00:00), calendar month, or
 * `total` (one window forever). Counters are keyed by their window's start, so every replica
 * counts in the same window without agreeing on anything but the clock.
 */
import type { BudgetPeriod } from './governance-schema.js';

export interface Window {
  /** Epoch ms, inclusive. */
  start: number;
  /** Epoch ms, exclusive; Infinity for `total`. */
  end: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function windowOf(period: BudgetPeriod, now: number): Window {
  switch (period) {
    case '1m': {
      const start = now - (now % MINUTE);
      return { start, end: start + MINUTE };
    }
    case '1h': {
      const start = now - (now % HOUR);
      return { start, end: start + HOUR };
    }
    case '1d': {
      const start = now - (now % DAY);
      return { start, end: start + DAY };
    }
    case '1w': {
      const day = now - (now % DAY);
      // 1970-01-01 was a Thursday: days since the last Monday.
      const sinceMonday = (Math.floor(day / DAY) + 3) % 7;
      const start = day - sinceMonday * DAY;
      return { start, end: start + 7 * DAY };
    }
    case '1M': {
      const d = new Date(now);
      const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
      const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      return { start, end };
    }
    case 'total':
      return { start: 0, end: Number.POSITIVE_INFINITY };
  }
}
