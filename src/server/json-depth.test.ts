import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exceedsJsonDepth } from './json-depth.js';

function nested(levels: number, open: string, close: string): unknown {
  return JSON.parse(open.repeat(levels) + close.repeat(levels));
}

describe('exceedsJsonDepth', () => {
  test('scalars and shallow values pass', () => {
    for (const v of [null, 1, 'x', true, {}, [], { a: [1, { b: 2 }] }]) assert.equal(exceedsJsonDepth(v, 3), false);
  });

  test('the limit itself passes, one level more fails', () => {
    assert.equal(exceedsJsonDepth(nested(5, '[', ']'), 5), false);
    assert.equal(exceedsJsonDepth(nested(6, '[', ']'), 5), true);
    assert.equal(exceedsJsonDepth({ a: { b: { c: {} } } }, 4), false);
    assert.equal(exceedsJsonDepth({ a: { b: { c: {} } } }, 3), true);
  });

  test('a deep branch among shallow siblings is found', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }], metadata: { deep: nested(200, '[', ']') } };
    assert.equal(exceedsJsonDepth(body, 128), true);
  });

  test('100,000 levels do not overflow the stack', () => {
    const text = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    assert.equal(exceedsJsonDepth(JSON.parse(text), 128), true);
  });
});
