import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/errors.js';
import { parseStreamJsonBody, parseStreamJsonObject } from './parse-stream-json-body.js';

const protocolError = (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_UPSTREAM_PROTOCOL' && e.message.startsWith('up1: ');

describe('parseStreamJsonBody', () => {
  it('returns any JSON value', () => {
    assert.deepEqual(parseStreamJsonBody('[{"a":1}]', 'up1'), [{ a: 1 }]);
    assert.equal(parseStreamJsonBody('3', 'up1'), 3);
  });
  it('refuses a body that is not JSON, quoting its start', () => {
    assert.throws(() => parseStreamJsonBody('<html>oops', 'up1'), (e) => protocolError(e) && (e as Error).message.includes('<html>oops'));
  });
});

describe('parseStreamJsonObject', () => {
  it('returns an object', () => {
    assert.deepEqual(parseStreamJsonObject('{"id":"x"}', 'up1'), { id: 'x' });
  });
  it('refuses arrays, scalars, null and non-JSON', () => {
    for (const text of ['[]', '"s"', 'null', '{']) assert.throws(() => parseStreamJsonObject(text, 'up1'), protocolError, text);
  });
});
