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

/** Header names per kind, as constants: names built per request are new strings every time. */
const NAMES = {
  requests: {
    anthropic: ['anthropic-ratelimit-requests-limit', 'anthropic-ratelimit-requests-remaining', 'anthropic-ratelimit-requests-reset'],
    openai: ['x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests'],
  },
  tokens: {
    anthropic: ['anthropic-ratelimit-tokens-limit', 'anthropic-ratelimit-tokens-remaining', 'anthropic-ratelimit-tokens-reset'],
    openai: ['x-ratelimit-limit-tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens'],
  },
} as const;

export function rateLimitHeaders(dialect: DialectId | string, now: number, limits: { requests?: HeaderLimit | undefined; tokens?: HeaderLimit | undefined }, out: Record<string, string>): void {
  const anthropic = dialect === 'anthropic-messages';
  for (const kind of ['requests', 'tokens'] as const) {
    const l = limits[kind];
    if (!l) continue;
    const [limit, remaining, reset] = anthropic ? NAMES[kind].anthropic : NAMES[kind].openai;
    out[limit] = String(l.limit);
    out[remaining] = String(Math.max(0, l.remaining));
    out[reset] = anthropic ? new Date(l.resetAt).toISOString().replace(/\.\d{3}Z$/, 'Z') : formatDuration(l.resetAt - now);
  }
}
