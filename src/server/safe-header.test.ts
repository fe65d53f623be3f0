import assert from 'node:assert/strict';
import { validateHeaderValue } from 'node:http';
import { describe, test } from 'node:test';
import { MAX_HEADER_VALUE_LENGTH, safeHeaders, safeHeaderValue } from './safe-header.js';

describe('safeHeaderValue', () => {
  test('printable ASCII is kept as it is', () => {
    assert.equal(safeHeaderValue('messages[0].content[1].type=foo, tools[0]'), 'messages[0].content[1].type=foo, tools[0]');
  });

  test('non-Latin-1, Latin-1 and control characters are percent-encoded as UTF-8', () => {
    assert.equal(safeHeaderValue('画像'), '%E7%94%BB%E5%83%8F');
    assert.equal(safeHeaderValue('ключ'), '%D0%BA%D0%BB%D1%8E%D1%87');
    assert.equal(safeHeaderValue('café'), 'caf%C3%A9');
    assert.equal(safeHeaderValue('a\r\nb\tc\x00'), 'a%0D%0Ab%09c%00');
    assert.equal(decodeURIComponent(safeHeaderValue('type=画像,ключ')), 'type=画像,ключ');
  });

  test('a lone surrogate does not throw', () => {
    assert.equal(safeHeaderValue('x\ud800y'), 'x%EF%BF%BDy');
  });

  test('overlong values are cut with a marker, never inside an escape', () => {
    const long = safeHeaderValue('m'.repeat(64 * 1024));
    assert.equal(long.length, MAX_HEADER_VALUE_LENGTH);
    assert.doesNotThrow(() => decodeURIComponent(safeHeaderValue('é'.repeat(2000)).slice(0, -3)));
    assert.ok(long.endsWith('...'));
    for (let pad = 0; pad < 3; pad++) {
      const v = safeHeaderValue('a'.repeat(pad) + 'é'.repeat(2000));
      assert.ok(v.length <= MAX_HEADER_VALUE_LENGTH);
      assert.match(v, /^a*(%C3%A9)*\.\.\.$/);
    }
  });

  test('every result passes Node\'s own header check', () => {
    for (const s of ['画像', '\u0000\u001f\u007f\u0080\u00ff', 'x'.repeat(70_000), '\ud83d\ude00 emoji']) {
      assert.doesNotThrow(() => validateHeaderValue('x-test', safeHeaderValue(s)));
    }
  });
});

describe('safeHeaders', () => {
  test('returns the same object when nothing needs fixing', () => {
    const h = { 'content-type': 'application/json', 'x-request-id': 'abc' };
    assert.equal(safeHeaders(h), h);
  });

  test('fixes only the values that need it, without changing the input', () => {
    const h = { 'x-switchyard-unmapped': 'ключ', 'x-request-id': 'abc' };
    const out = safeHeaders(h);
    assert.deepEqual(out, { 'x-switchyard-unmapped': '%D0%BA%D0%BB%D1%8E%D1%87', 'x-request-id': 'abc' });
    assert.equal(h['x-switchyard-unmapped'], 'ключ');
  });
});
