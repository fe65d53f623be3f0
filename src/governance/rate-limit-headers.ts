/**
 * Rate-limit headers in the client's convention: OpenAI's x-ratelimit-{limit,remaining,reset}-
 * {requests,tokens} (reset as a duration such as "6m0s"), Anthropic's anthropic-ratelimit-
 * {requests,tokens}-{limit,remaining,reset} (reset as an RFC 3339 time). Of several limits of a
 * kind (key and team, several windows), the one with the least left is shown.
 */
import type { DialectId } from '../core/dialect.js';

export interface HeaderLimit {
  limit: number;
  remaining: number;
  /** Epoch ms. */
  resetAt: number;
}

/** "950ms", "12s", "6m0s", "1h2m3s" — OpenAI's duration style. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  let s = Math.ceil(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

export function rateLimitHeaders(dialect: DialectId | string, now: number, limits: { requests?: HeaderLimit | undefined; tokens?: HeaderLimit | undefined }, out: Record<string, string>): void {
  const anthropic = dialect === 'anthropic-messages';
  for (const kind of ['requests', 'tokens'] as const) {
    const l = limits[kind];
    if (!l) continue;
    const remaining = String(Math.max(0, l.remaining));
    if (anthropic) {
      out[`anthropic-ratelimit-${kind}-limit`] = String(l.limit);
      out[`anthropic-ratelimit-${kind}-remaining`] = remaining;
      out[`anthropic-ratelimit-${kind}-reset`] = new Date(l.resetAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
    } else {
      out[`x-ratelimit-limit-${kind}`] = String(l.limit);
      out[`x-ratelimit-remaining-${kind}`] = remaining;
      out[`x-ratelimit-reset-${kind}`] = formatDuration(l.resetAt - now);
    }
  }
}
