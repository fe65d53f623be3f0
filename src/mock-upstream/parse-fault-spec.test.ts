import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFaultSpec } from './parse-fault-spec.js';

test('parses every fault kind of the CLI', () => {
  assert.deepEqual(parseFaultSpec('none'), { fault: { kind: 'none' } });
  assert.deepEqual(parseFaultSpec('blackhole'), { fault: { kind: 'blackhole' } });
  assert.deepEqual(parseFaultSpec('reset'), { fault: { kind: 'reset' } });
  assert.deepEqual(parseFaultSpec('error-first-event'), { fault: { kind: 'error-first-event' } });
  assert.deepEqual(parseFaultSpec('status:500'), { fault: { kind: 'status', status: 500 } });
  assert.deepEqual(parseFaultSpec('status:429:retry-after=2'), { fault: { kind: 'status', status: 429, retryAfterSeconds: 2 } });
  assert.deepEqual(parseFaultSpec('status:429:retry-after-ms=250'), { fault: { kind: 'status', status: 429, retryAfterMs: 250 } });
  assert.deepEqual(parseFaultSpec('latency:500'), { fault: { kind: 'latency', ms: 500 } });
  assert.deepEqual(parseFaultSpec('latency:500:jitter=100'), { fault: { kind: 'latency', ms: 500, jitterMs: 100 } });
  assert.deepEqual(parseFaultSpec('cut-mid-stream'), { fault: { kind: 'cut-mid-stream' } });
  assert.deepEqual(parseFaultSpec('cut-mid-stream:3'), { fault: { kind: 'cut-mid-stream', afterEvents: 3 } });
  assert.deepEqual(parseFaultSpec('cut-mid-stream:after=0'), { fault: { kind: 'cut-mid-stream', afterEvents: 0 } });
  assert.deepEqual(parseFaultSpec('slow-drip:200'), { fault: { kind: 'slow-drip', intervalMs: 200 } });
});

test('times and path apply to any kind', () => {
  assert.deepEqual(parseFaultSpec('reset:times=1:path=/v1/messages'), {
    fault: { kind: 'reset' },
    times: 1,
    path: '/v1/messages',
  });
  assert.deepEqual(parseFaultSpec('status:503:times=2'), { fault: { kind: 'status', status: 503 }, times: 2 });
});

test('rejects malformed specs with a message naming the spec', () => {
  for (const bad of [
    '',
    'explode',
    'status',
    'status:abc',
    'status:99',
    'status:700',
    'latency',
    'latency:-5',
    'slow-drip',
    'cut-mid-stream:1.5',
    'reset:extra',
    'blackhole:jitter=5',
    'status:500:times=-1',
    'status:500:path=v1',
  ]) {
    assert.throws(() => parseFaultSpec(bad), (err: unknown) => err instanceof Error && err.message.includes(`"${bad}"`), bad);
  }
});
