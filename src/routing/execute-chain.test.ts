import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../core/errors.js';
import { silentLogger } from '../observability/logger.js';
import { CircuitBreakers } from './circuit-breaker.js';
import { executeChain } from './execute-chain.js';
import type { ChainInput, ChainSuccess } from './execute-chain.js';
import { chatAttempt } from './chat-attempt.js';
import type { ChatAnswer } from './chat-attempt.js';
import { FakeAdapter, FakeClock, fakeRequest, fakeTarget, settle } from './test-fakes.js';
import type { Target } from './runtime.js';

const upstream500 = () => new GatewayError('GW_ERR_UPSTREAM_ERROR', 'boom', { upstreamStatus: 500 });
const rateLimited = (retryAfterMs?: number) =>
  new GatewayError('GW_ERR_UPSTREAM_RATE_LIMITED', 'slow down', retryAfterMs === undefined ? {} : { retryAfterMs });

function input(clock: FakeClock, targets: Target[], extra: Partial<ChainInput<ChatAnswer>> = {}): ChainInput<ChatAnswer> {
  return {
    targets,
    attempt: chatAttempt(fakeRequest()),
    deadlineAt: clock.now() + 25_000,
    signal: new AbortController().signal,
    logger: silentLogger(),
    clock,
    random: () => 0.5,
    ...extra,
  };
}

function text(s: ChainSuccess<ChatAnswer>): string {
  assert.equal(s.answer.result.kind, 'response');
  const part = s.answer.result.kind === 'response' ? s.answer.result.response.content[0] : undefined;
  return part?.type === 'text' ? part.text : '';
}

describe('executeChain', () => {
  test('retries a retryable error with backoff, then falls back to the next target', async () => {
    const clock = new FakeClock();
    const a = new FakeAdapter('a', [{ fail: upstream500() }]);
    const b = new FakeAdapter('b', [{ ok: 'from b' }]);
    const run = executeChain(input(clock, [fakeTarget(a, { retries: 2 }), fakeTarget(b)]));
    await clock.advance(10_000);
    const s = await run;
    assert.equal(text(s), 'from b');
    assert.equal(a.calls.length, 3);
    assert.equal(s.fallbackIndex, 1);
    assert.deepEqual(
      s.attempts.map((x) => `${x.target}:${x.outcome}`),
      ['a/m:error', 'a/m:error', 'a/m:error', 'b/m:ok'],
    );
    // Full jitter with random 0.5: 0.5 × min(max, 100·2^n).
    assert.deepEqual(clock.sleeps, [50, 100]);
  });

  test('a request the upstream rejects as invalid ends the chain: no retry, no fallback', async () => {
    const clock = new FakeClock();
    const a = new FakeAdapter('a', [{ fail: new GatewayError('GW_ERR_UPSTREAM_BAD_REQUEST', 'bad field', { status: 400 }) }]);
    const b = new FakeAdapter('b', [{ ok: 'b' }]);
    await assert.rejects(executeChain(input(clock, [fakeTarget(a), fakeTarget(b)])), { code: 'GW_ERR_UPSTREAM_BAD_REQUEST' });
    assert.equal(a.calls.length, 1);
    assert.equal(b.calls.length, 0);
  });

  test('429 and 401 rotate to another key of the same provider first, without waiting', async () => {
    const clock = new FakeClock();
    const a = new FakeAdapter('a', [{ fail: rateLimited() }, { ok: 'second key' }]);
    const s = await executeChain(input(clock, [fakeTarget(a, { keys: ['k1', 'k2'], retries: 1 })]));
    assert.equal(text(s), 'second key');
    assert.deepEqual(a.calls.map((c) => c.keyId), ['k1', 'k2']);
    assert.deepEqual(clock.sleeps, []);
  });

  test('Retry-After is honoured when it fits the deadline', async () => {
    const clock = new FakeClock();
    const a = new FakeAdapter('a', [{ fail: rateLimited(3000) }, { ok: 'after wait' }]);
    const run = executeChain(input(clock, [fakeTarget(a)]));
    await clock.advance(3000);
    assert.equal(text(await run), 'after wait');
    assert.deepEqual(clock.sleeps, [3000]);
  });

  test('a Retry-After beyond the deadline moves on to the next target at once', async () => {
    const clock = new FakeClock();
    const a = new FakeAdapter('a', [{ fail: rateLimited(60_000) }]);
    const b = new FakeAdapter('b', [{ ok: 'b' }]);
    const s = await executeChain(input(clock, [fakeTarget(a), fakeTarget(b)]));
    assert.equal(text(s), 'b');
    assert.deepEqual(clock.sleeps, []);
  });

  test('first_byte_ms aborts a silent attempt, which is retried and then falls back', async () => {
    const clock = new FakeClock();
    const a = new FakeAdapter('a', [{ hang: true }]);
    const b = new FakeAdapter('b', [{ ok: 'b' }]);
    const run = executeChain(input(clock, [fakeTarget(a, { firstByteMs: 2000, retries: 1 }), fakeTarget(b)]));
    await clock.advance(2000 + 50 + 2000);
    const s = await run;
    assert.equal(text(s), 'b');
    assert.equal(a.calls.length, 2);
    assert.ok(a.calls.every((c) => c.signal.aborted), 'each silent attempt was aborted');
    assert.deepEqual(s.attempts.slice(0, 2).map((x) => x.code), ['GW_ERR_UPSTREAM_TIMEOUT', 'GW_ERR_UPSTREAM_TIMEOUT']);
  });

  test('the deadline bounds the whole chain and the error says what was tried', async () => {
    const clock = new FakeClock();
    const a = new FakeAdapter('a', [{ hang: true }]);
    const b = new FakeAdapter('b', [{ hang: true }]);
    const run = executeChain(input(clock, [fakeTarget(a, { firstByteMs: 60_000 }), fakeTarget(b, { firstByteMs: 60_000 })], { deadlineAt: clock.now() + 3000 }));
    const check = assert.rejects(run, (e: GatewayError) => {
      assert.equal(e.code, 'GW_ERR_DEADLINE_EXCEEDED');
      assert.match(e.message, /a\/m/);
      return true;
    });
    await clock.advance(3000);
    await check;
    assert.equal(b.calls.length, 0, 'no attempt starts once the deadline is spent');
  });

  test('attempt timeouts are capped by what is left of the deadline', async () => {
    const clock = new FakeClock();
    const a = new FakeAdapter('a', [{ ok: 'a' }]);
    await executeChain(input(clock, [fakeTarget(a, { firstByteMs: 10_000 })], { deadlineAt: clock.now() + 1500 }));
    assert.equal(a.calls[0]!.timeouts.firstByteMs, 1500);
  });

  test('client abort stops the chain and aborts the attempt in flight', async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const a = new FakeAdapter('a', [{ hang: true }]);
    const run = executeChain(input(clock, [fakeTarget(a), fakeTarget(new FakeAdapter('b', [{ ok: 'b' }]))], { signal: ac.signal }));
    await settle();
    ac.abort();
    await assert.rejects(run, { code: 'GW_ERR_CLIENT_CLOSED' });
    assert.ok(a.calls[0]!.signal.aborted);
  });

  test('hedging starts the next target after hedge_after_ms; the first answer wins and the loser is cancelled', async () => {
    const clock = new FakeClock();
    const a = new FakeAdapter('a', [{ hang: true }]);
    const b = new FakeAdapter('b', [{ ok: 'hedge' }]);
    const run = executeChain(input(clock, [fakeTarget(a, { firstByteMs: 60_000 }), fakeTarget(b)], { hedgeAfterMs: 300 }));
    await clock.advance(299);
    assert.equal(b.calls.length, 0);
    await clock.advance(1);
    const s = await run;
    assert.equal(text(s), 'hedge');
    assert.ok(a.calls[0]!.signal.aborted, 'the slower attempt was cancelled');
    assert.ok(s.attempts.some((x) => x.hedge && x.outcome === 'ok'));
  });
});

describe('circuit breakers in the chain', () => {
  test('after N failures a target is skipped; after the cooldown one probe decides', async () => {
    const clock = new FakeClock();
    const breakers = new CircuitBreakers(2, 10_000, clock);
    const a = new FakeAdapter('a', [{ fail: upstream500() }]);
    const b = new FakeAdapter('b', [{ ok: 'b' }]);
    const targets = [fakeTarget(a, { retries: 0 }), fakeTarget(b)];
    for (let i = 0; i < 2; i++) await executeChain(input(clock, targets, { breakers }));
    assert.equal(a.calls.length, 2);
    assert.equal(breakers.state('a/m'), 'open');
    const skipped = await executeChain(input(clock, targets, { breakers }));
    assert.equal(a.calls.length, 2, 'open: not tried');
    assert.equal(skipped.attempts[0]!.outcome, 'skipped');
    await clock.advance(10_000);
    assert.equal(breakers.state('a/m'), 'half-open');
    await executeChain(input(clock, targets, { breakers }));
    assert.equal(a.calls.length, 3, 'one probe after the cooldown');
    assert.equal(breakers.state('a/m'), 'open', 'a failed probe re-opens');
  });

  test('when every target is open, the one closest to recovery is tried instead of failing at once', async () => {
    const clock = new FakeClock();
    const breakers = new CircuitBreakers(1, 10_000, clock);
    breakers.failure('a/m');
    await clock.advance(5000);
    breakers.failure('b/m');
    const a = new FakeAdapter('a', [{ ok: 'a recovered' }]);
    const b = new FakeAdapter('b', [{ ok: 'b' }]);
    const s = await executeChain(input(clock, [fakeTarget(a), fakeTarget(b)], { breakers }));
    assert.equal(text(s), 'a recovered');
    assert.equal(breakers.state('a/m'), 'closed');
  });
});

describe('executeChain: targets out of rotation (breaker_overrides)', () => {
  test('a target out of rotation is skipped and recorded; the next one answers as a fallback', async () => {
    const clock = new FakeClock();
    const a = new FakeAdapter('a', [{ ok: 'a' }]);
    const b = new FakeAdapter('b', [{ ok: 'from b' }]);
    const s = await executeChain(input(clock, [fakeTarget(a), fakeTarget(b)], { breakers: new CircuitBreakers(5, 30_000, clock), outOfRotation: (t) => t.label === 'a/m' }));
    assert.equal(text(s), 'from b');
    assert.equal(a.calls.length, 0);
    assert.equal(s.fallbackIndex, 1);
    assert.deepEqual(s.attempts.map((x) => `${x.target}:${x.outcome}:${x.message ?? ''}`), ['a/m:skipped:out of rotation (manual breaker override)', 'b/m:ok:']);
  });

  test('every target out of rotation: 503 naming them, nothing sent', async () => {
    const clock = new FakeClock();
    const a = new FakeAdapter('a', [{ ok: 'a' }]);
    await assert.rejects(executeChain(input(clock, [fakeTarget(a)], { outOfRotation: () => true })), (e: GatewayError) => e.code === 'GW_ERR_ALL_TARGETS_FAILED' && e.status === 503 && /out of rotation/.test(e.message));
    assert.equal(a.calls.length, 0);
  });
});
