import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { windowOf } from './windows.js';

const at = (iso: string) => Date.parse(iso);

describe('windowOf', () => {
  it('aligns minutes, hours and days to UTC', () => {
    const now = at('2026-03-18T13:47:31.250Z');
    assert.deepEqual(windowOf('1m', now), { start: at('2026-03-18T13:47:00Z'), end: at('2026-03-18T13:48:00Z') });
    assert.deepEqual(windowOf('1h', now), { start: at('2026-03-18T13:00:00Z'), end: at('2026-03-18T14:00:00Z') });
    assert.deepEqual(windowOf('1d', now), { start: at('2026-03-18T00:00:00Z'), end: at('2026-03-19T00:00:00Z') });
  });
  it('starts weeks on Monday 00:00 UTC', () => {
    // 2026-03-18 is a Wednesday; 2026-03-16 a Monday.
    assert.deepEqual(windowOf('1w', at('2026-03-18T13:00:00Z')), { start: at('2026-03-16T00:00:00Z'), end: at('2026-03-23T00:00:00Z') });
    assert.deepEqual(windowOf('1w', at('2026-03-16T00:00:00Z')), { start: at('2026-03-16T00:00:00Z'), end: at('2026-03-23T00:00:00Z') });
    assert.deepEqual(windowOf('1w', at('2026-03-22T23:59:59Z')).start, at('2026-03-16T00:00:00Z'));
  });
  it('uses calendar months, December into January', () => {
    assert.deepEqual(windowOf('1M', at('2026-02-28T23:00:00Z')), { start: at('2026-02-01T00:00:00Z'), end: at('2026-03-01T00:00:00Z') });
    assert.deepEqual(windowOf('1M', at('2026-12-31T23:59:59Z')), { start: at('2026-12-01T00:00:00Z'), end: at('2027-01-01T00:00:00Z') });
  });
  it('has one window forever for total', () => {
    assert.deepEqual(windowOf('total', 123), { start: 0, end: Number.POSITIVE_INFINITY });
  });
});
