import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, rateLimitHeaders } from './rate-limit-headers.js';

describe('rateLimitHeaders', () => {
  const now = Date.parse('2026-11-30T10:00:00.000Z');
  const limits = { requests: { limit: 300, remaining: 12, resetAt: now + 45_500 }, tokens: { limit: 90_000, remaining: -5, resetAt: now + 3_600_000 } };

  it("writes OpenAI's names, with the reset as a duration", () => {
    const out: Record<string, string> = {};
    rateLimitHeaders('openai-chat', now, limits, out);
    assert.deepEqual(out, {
      'x-ratelimit-limit-requests': '300',
      'x-ratelimit-remaining-requests': '12',
      'x-ratelimit-reset-requests': '46s',
      'x-ratelimit-limit-tokens': '90000',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '1h0m0s',
    });
  });

  it("writes Anthropic's names, with the reset as an RFC 3339 time, and only the kinds it has", () => {
    const out: Record<string, string> = {};
    rateLimitHeaders('anthropic-messages', now, { tokens: limits.tokens }, out);
    assert.deepEqual(out, {
      'anthropic-ratelimit-tokens-limit': '90000',
      'anthropic-ratelimit-tokens-remaining': '0',
      'anthropic-ratelimit-tokens-reset': '2026-11-30T11:00:00Z',
    });
  });

  it('formats durations the way OpenAI does', () => {
    assert.deepEqual([formatDuration(950), formatDuration(12_000), formatDuration(360_000), formatDuration(3_723_000)], ['950ms', '12s', '6m0s', '1h2m3s']);
  });
});
