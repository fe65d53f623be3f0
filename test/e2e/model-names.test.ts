/**
 * Model names clients send (issue 16, finding 3): a name over the limit gets a 400 naming `model`
 * in the client's own dialect, and many distinct provider/model names are all served.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { MAX_MODEL_NAME_LENGTH } from '../../src/core/model-name.js';
import { defaultConfig, startStack } from '../helpers/stack.js';
import type { Stack } from '../helpers/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack({ config: defaultConfig });
});
after(() => stack.close());

async function post(path: string, body: object) {
  const res = await request(`${stack.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.body.text();
  return { status: res.statusCode, body: JSON.parse(text) as any, headers: res.headers };
}

const longName = `openai/${'m'.repeat(64 * 1024)}`;

test('a 64 KB model name: 400 GW_ERR_INVALID_REQUEST with param model, OpenAI dialect', async () => {
  const r = await post('/v1/chat/completions', { model: longName, messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(r.status, 400, JSON.stringify(r.body).slice(0, 300));
  assert.equal(r.body.error.code, 'GW_ERR_INVALID_REQUEST');
  assert.equal(r.body.error.param, 'model');
  assert.match(r.body.error.message, new RegExp(`longest accepted is ${MAX_MODEL_NAME_LENGTH}`));
  assert.ok(JSON.stringify(r.body).length < 1000, 'the name is not echoed back');
});

test('a 64 KB model name: 400 invalid_request_error, Anthropic dialect', async () => {
  const r = await post('/anthropic/v1/messages', { model: longName, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(r.status, 400, JSON.stringify(r.body).slice(0, 300));
  assert.equal(r.body.type, 'error');
  assert.equal(r.body.error.type, 'invalid_request_error');
  assert.match(r.body.error.message, /model/);
});

test('the longest accepted name is served; distinct names keep being served past the cache bound', async () => {
  const longest = `openai/${'m'.repeat(MAX_MODEL_NAME_LENGTH - 'openai/'.length)}`;
  const ok = await post('/v1/chat/completions', { model: longest, messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(ok.status, 200, JSON.stringify(ok.body).slice(0, 300));
  for (let i = 0; i < 50; i++) {
    const r = await post('/v1/chat/completions', { model: `openai/name-${i}`, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(r.status, 200);
  }
});
