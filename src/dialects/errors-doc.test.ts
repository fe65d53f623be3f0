import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERRORS_TABLE_BEGIN, ERRORS_TABLE_END, renderErrorsTable } from './errors-doc.js';
import { ERROR_CODES, GatewayError, toGatewayError } from '../core/errors.js';

test('docs/errors.md lists every code exactly as the registry defines it (run `npm run docs:errors` to refresh)', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const table = doc.slice(doc.indexOf(ERRORS_TABLE_BEGIN), doc.indexOf(ERRORS_TABLE_END) + ERRORS_TABLE_END.length);
  assert.equal(table, renderErrorsTable());
  for (const code of Object.keys(ERROR_CODES)) assert.ok(doc.includes(code), code);
});

test('GatewayError takes status, kind and retryable from the registry, with overrides', () => {
  const e = new GatewayError('GW_ERR_UPSTREAM_RATE_LIMITED', 'slow down', { retryAfterMs: 1500 });
  assert.equal(e.status, 429);
  assert.equal(e.kind, 'rate_limit');
  assert.equal(e.retryable, true);
  assert.equal(e.retryAfterMs, 1500);
  const o = new GatewayError('GW_ERR_UPSTREAM_BAD_REQUEST', 'bad', { status: 422 });
  assert.equal(o.status, 422);
  assert.equal(o.retryable, false);
});

test('anything thrown becomes an internal GatewayError; GatewayErrors pass through', () => {
  const g = new GatewayError('GW_ERR_INVALID_JSON', 'x');
  assert.equal(toGatewayError(g), g);
  const w = toGatewayError(new TypeError('boom'));
  assert.equal(w.code, 'GW_ERR_INTERNAL');
  assert.equal(w.status, 500);
});
