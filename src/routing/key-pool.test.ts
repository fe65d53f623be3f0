import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay } from './backoff.js';
import { KeyPool } from './key-pool.js';

const keys = [
  { id: 'a', value: 'va', weight: 3, models: ['*'] },
  { id: 'b', value: 'vb', weight: 1, models: ['gpt-*'] },
  { id: 'c', value: 'vc', weight: 1, models: ['claude-sonnet-4-6'] },
];

test('keys are chosen by weight among those allowed for the model', () => {
  const seq = [0.0, 0.74, 0.76, 0.99];
  let i = 0;
  const pool = new KeyPool(keys, () => seq[i++]!);
  assert.deepEqual([0, 1, 2, 3].map(() => pool.pick('gpt-4o')!.id), ['a', 'a', 'b', 'b']);
});

test('model patterns: "*", prefix* and exact', () => {
  const pool = new KeyPool(keys, () => 0.99);
  assert.deepEqual(pool.eligible('claude-sonnet-4-6').map((k) => k.id), ['a', 'c']);
  assert.deepEqual(pool.eligible('gemini').map((k) => k.id), ['a']);
});

test('avoided keys are skipped unless nothing else is left', () => {
  const pool = new KeyPool(keys, () => 0);
  assert.equal(pool.pick('gpt-4o', new Set(['a']))!.id, 'b');
  assert.equal(pool.pick('gemini', new Set(['a']))!.id, 'a');
  assert.equal(pool.hasOther('gemini', new Set(['a'])), false);
});

test('no key for a model', () => {
  const pool = new KeyPool([{ id: 'x', value: 'v', weight: 1, models: ['only-this'] }]);
  assert.equal(pool.pick('other'), undefined);
});

test('backoff: full jitter under an exponential ceiling capped at max', () => {
  assert.equal(backoffDelay(0, 200, 2000, () => 0.999), 199);
  assert.equal(backoffDelay(3, 200, 2000, () => 0.5), 800);
  assert.equal(backoffDelay(10, 200, 2000, () => 0.5), 1000);
  assert.equal(backoffDelay(2, 200, 2000, () => 0), 0);
});
