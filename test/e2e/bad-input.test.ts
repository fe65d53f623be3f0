/**
 * Bad input gets a clear 4xx in the client's own dialect — status, type, and a message naming the
 * field — and the server keeps serving.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { defaultConfig, startStack } from '../helpers/stack.js';
import type { Stack } from '../helpers/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack({
    config: (url) => ({ ...defaultConfig(url), server: { host: '127.0.0.1', port: 0, body_limit_bytes: 4096 } }),
  });
});
after(() => stack.close());

async function post(path: string, body: string | object, headers: Record<string, string> = {}) {
  const res = await request(`${stack.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: JSON.parse(text) as any, headers: res.headers };
}

const OAI = '/v1/chat/completions';
const ANT = '/anthropic/v1/messages';
const okOpenAI = { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
const okAnthropic = { model: 'anthropic/claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };

function assertOpenAIError(r: { status: number; body: any }, status: number, param: RegExp | null, message: RegExp) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(typeof r.body.error.type, 'string');
  assert.match(r.body.error.message, message);
  if (param) assert.match(String(r.body.error.param), param);
  assert.match(r.body.error.code, /^GW_ERR_/);
}

function assertAnthropicError(r: { status: number; body: any }, status: number, type: string, message: RegExp) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.type, 'error');
  assert.equal(r.body.error.type, type);
  assert.match(r.body.error.message, message);
}

test('malformed JSON', async () => {
  assertOpenAIError(await post(OAI, '{"model": "x", '), 400, null, /not valid JSON/);
  assertAnthropicError(await post(ANT, '{nope'), 400, 'invalid_request_error', /not valid JSON/);
});

test('body that is not an object', async () => {
  assertOpenAIError(await post(OAI, '[1,2]'), 400, /body/, /expected an object/);
  assertAnthropicError(await post(ANT, '"str"'), 400, 'invalid_request_error', /expected an object/);
});

test('missing required fields', async () => {
  assertOpenAIError(await post(OAI, { messages: [{ role: 'user', content: 'x' }] }), 400, /^model$/, /model/);
  assertOpenAIError(await post(OAI, { model: 'openai/gpt-4o-mini' }), 400, /^messages$/, /messages: required/);
  assertAnthropicError(await post(ANT, { model: 'anthropic/x', messages: [{ role: 'user', content: 'x' }] }), 400, 'invalid_request_error', /max_tokens/);
});

test('empty messages', async () => {
  assertOpenAIError(await post(OAI, { ...okOpenAI, messages: [] }), 400, /^messages$/, /at least one/);
  assertAnthropicError(await post(ANT, { ...okAnthropic, messages: [] }), 400, 'invalid_request_error', /messages/);
});

test('wrong types name the field', async () => {
  assertOpenAIError(await post(OAI, { ...okOpenAI, temperature: 'hot' }), 400, /^temperature$/, /temperature: expected a number/);
  assertOpenAIError(await post(OAI, { ...okOpenAI, messages: [{ role: 'user', content: 42 }] }), 400, /messages\[0\]\.content/, /messages\[0\]\.content/);
  assertOpenAIError(await post(OAI, { ...okOpenAI, messages: [{ role: 'wizard', content: 'x' }] }), 400, /messages\[0\]\.role/, /wizard/);
  assertOpenAIError(await post(OAI, { ...okOpenAI, stream: 'yes' }), 400, /^stream$/, /boolean/);
  assertAnthropicError(await post(ANT, { ...okAnthropic, max_tokens: -1 }), 400, 'invalid_request_error', /max_tokens/);
  assertAnthropicError(
    await post(ANT, { ...okAnthropic, messages: [{ role: 'user', content: [{ type: 'text', text: 5 }] }] }),
    400,
    'invalid_request_error',
    /messages\[0\]\.content\[0\]\.text/,
  );
});

test('a body over the configured limit is a 413 in the dialect shape', async () => {
  const big = { ...okOpenAI, messages: [{ role: 'user', content: 'x'.repeat(10_000) }] };
  const r = await post(OAI, big);
  assertOpenAIError(r, 413, null, /body_limit_bytes/);
  const a = await post(ANT, { ...okAnthropic, messages: [{ role: 'user', content: 'x'.repeat(10_000) }] });
  assertAnthropicError(a, 413, 'request_too_large', /body_limit_bytes/);
});

test('unknown routes and wrong methods', async () => {
  const r = await request(`${stack.url}/v1/nothing-here`, { method: 'POST', body: '{}' });
  assert.equal(r.statusCode, 404);
  const body = (await r.body.json()) as any;
  assert.match(body.error.message, /no route/);
  const m = await request(`${stack.url}/v1/chat/completions`, { method: 'GET' });
  assert.equal(m.statusCode, 405);
  assert.equal(m.headers.allow, 'POST');
  await m.body.dump();
  const a = await request(`${stack.url}/anthropic/v1/unknown`, { method: 'GET' });
  assert.equal(a.statusCode, 404);
  assert.equal(((await a.body.json()) as any).error.type, 'not_found_error');
});

test('an invalid deadline header is a 400 naming the header', async () => {
  assertOpenAIError(await post(OAI, okOpenAI, { 'x-switchyard-deadline-ms': 'soon' }), 400, /x-switchyard-deadline-ms/, /positive number/);
});

test('the server keeps serving after all of the above', async () => {
  const r = await post(OAI, okOpenAI);
  assert.equal(r.status, 200);
  assert.equal(r.body.choices[0].message.content, 'mock reply to: hi');
  const a = await post(ANT, okAnthropic);
  assert.equal(a.status, 200);
});

test('client authentication when server.api_keys is set', async () => {
  const s = await startStack({ config: (url) => ({ ...defaultConfig(url), server: { host: '127.0.0.1', port: 0, api_keys: ['team-key'] } }) });
  try {
    const r = await request(`${s.url}${OAI}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(okOpenAI) });
    assert.equal(r.statusCode, 401);
    await r.body.dump();
    const bearer = await request(`${s.url}${OAI}`, { method: 'POST', headers: { authorization: 'Bearer team-key' }, body: JSON.stringify(okOpenAI) });
    assert.equal(bearer.statusCode, 200);
    await bearer.body.dump();
    const xKey = await request(`${s.url}${ANT}`, { method: 'POST', headers: { 'x-api-key': 'team-key' }, body: JSON.stringify(okAnthropic) });
    assert.equal(xKey.statusCode, 200);
    await xKey.body.dump();
  } finally {
    await s.close();
  }
});

