import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestRecord } from '../plugin.js';
import { BUCKET_MS, OverviewRing, RING_BUCKETS } from './overview-ring.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function rec(at: number, extra: Partial<RequestRecord> = {}): RequestRecord {
  return { requestId: 'r', startedAt: at, dialect: 'openai-chat', stream: false, status: 200, attempts: [], latencyMs: 0, upstreamMs: 0, provider: 'a', ...extra };
}

test('buckets count requests, errors and fallbacks per minute, with per-provider p50/p99', () => {
  let now = T0 + 30_000;
  const ring = new OverviewRing(() => now);
  for (let i = 1; i <= 100; i++) ring.onRequestEnd(rec(T0 + 1000, { latencyMs: i }));
  ring.onRequestEnd(rec(T0 + 2000, { provider: 'b', errorCode: 'GW_ERR_UPSTREAM_ERROR', status: 502, latencyMs: 5 }));
  ring.onRequestEnd(rec(T0 + 2000, { provider: 'b', fallbackIndex: 1, latencyMs: 7 }));
  const s = ring.series();
  assert.equal(s.points.length, RING_BUCKETS);
  const last = s.points.at(-1)!;
  assert.equal(last.t, T0);
  assert.equal(last.requests, 102);
  assert.equal(last.errors, 1);
  assert.equal(last.fallbacks, 1);
  assert.equal(last.rps, 102 / 30);
  assert.equal(s.by_provider['a']!.at(-1)!.p50_ms, 50);
  assert.equal(s.by_provider['a']!.at(-1)!.p99_ms, 99);
  assert.equal(s.by_provider['b']!.at(-1)!.error_rate, 0.5);
  assert.equal(s.totals.requests, 102);
  // An hour later the bucket has left the window, and its slot is reused.
  now = T0 + RING_BUCKETS * BUCKET_MS + 1000;
  ring.onRequestEnd(rec(now));
  const later = ring.series();
  assert.equal(later.totals.requests, 1);
  assert.equal(later.points.at(-1)!.requests, 1);
});

test('requests the gateway sends itself, and records older than the window, are left out', () => {
  const ring = new OverviewRing(() => T0);
  ring.onRequestEnd(rec(T0 - 1000, { purpose: 'semantic-cache' }));
  ring.onRequestEnd(rec(T0 - RING_BUCKETS * BUCKET_MS - 1));
  assert.equal(ring.series().totals.requests, 0);
});
