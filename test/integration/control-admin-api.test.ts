/**
 * The admin API on one gateway with the embedded store (SQLite file): providers and aliases
 * created, read, replaced and deleted through HTTP and used by the next request; file-managed
 * entities refused; stale revisions and invalid edits refused with nothing changed; the read-only
 * token; literal keys sealed at rest (and refused without SWITCHYARD_SECRET_KEY); revisions and
 * restore.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import type { MockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startGateway } from '../../src/start-gateway.js';
import type { RunningGateway } from '../../src/start-gateway.js';
import { buildConfig, defaultConfig } from '../helpers/stack.js';

const ADMIN = 'adm-control-0123456789';
const READ = 'read-control-0123456789';
const LITERAL_KEY = 'sk-literal-upstream-key-9Z8Y7X';
const SECRET_KEY = randomBytes(32).toString('base64');

let mock: MockUpstream;
let gw: RunningGateway;
let tmp: string;

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, token = ADMIN) {
  const res = await fetch(`${gw.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: (text ? JSON.parse(text) : undefined) as any };
}

async function chat(model: string) {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.text();
  return { status: res.status, provider: res.headers.get('x-switchyard-provider'), model: res.headers.get('x-switchyard-model') };
}

before(async () => {
  mock = await startMockUpstream();
  tmp = mkdtempSync(join(tmpdir(), 'switchyard-control-'));
  const config = buildConfig({
    ...defaultConfig(mock.url),
    server: { host: '127.0.0.1', port: 0, admin_token: ADMIN, admin_read_token: READ },
    storage: { sqlite_path: join(tmp, 'db', 'switchyard.db') },
  });
  gw = await startGateway({ config, port: 0, host: '127.0.0.1', logger: silentLogger(), env: { SWITCHYARD_SECRET_KEY: SECRET_KEY, MOCK_KEY: 'sk-from-env-for-mock' } });
});

after(async () => {
  await gw?.close();
  await mock?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('admin API: providers and models', () => {
  it('lists the file entities as file-managed', async () => {
    const r = await api('GET', '/api/providers');
    assert.equal(r.status, 200);
    const names = r.json.data.map((p: any) => [p.name, p.managed_by]);
    assert.deepEqual(names, [['openai', 'file'], ['anthropic', 'file']]);
    assert.match(r.json.data[0].keys[0].value, /^\*{4}/);
  });

  it('creates a provider and an alias that requests then use', async () => {
    const p = await api('POST', '/api/providers', { name: 'mock2', type: 'openai', base_url: `${mock.url}/v1`, keys: [{ id: 'k1', value: LITERAL_KEY }], models: ['m-1'] }, { 'x-switchyard-actor': 'alice' });
    assert.equal(p.status, 201, p.text);
    assert.equal(p.json.name, 'mock2');
    assert.equal(p.json.managed_by, 'api');
    assert.equal(p.json.keys[0].value, '****7X'.replace('7X', LITERAL_KEY.slice(-4)));
    assert.ok(!p.text.includes(LITERAL_KEY));
    const m = await api('POST', '/api/models', { name: 'fast', targets: ['mock2/m-1'] });
    assert.equal(m.status, 201, m.text);
    assert.equal(m.json.revision, p.json.revision + 1);
    const served = await chat('fast');
    assert.deepEqual(served, { status: 200, provider: 'mock2', model: 'm-1' });
  });

  it('refuses to edit what the file defines (409, says to edit the file)', async () => {
    const put = await api('PUT', '/api/providers/openai', { type: 'openai', keys: [] });
    assert.equal(put.status, 409);
    assert.match(put.json.error.message, /edit the file and reload/);
    const del = await api('DELETE', '/api/models/review-model');
    assert.equal(del.status, 409);
    const post = await api('POST', '/api/models', { name: 'review-model', targets: ['openai/x'] });
    assert.equal(post.status, 409);
  });

  it('a stale revision gets 409 and changes nothing', async () => {
    const cur = await api('GET', '/api/models/fast');
    const ok = await api('PUT', '/api/models/fast', { targets: ['openai/gpt-4o-mini'], revision: cur.json.revision });
    assert.equal(ok.status, 200, ok.text);
    const stale = await api('PUT', '/api/models/fast', { targets: ['anthropic/claude-sonnet-4-6'] }, { 'if-match': `"${cur.json.revision}"` });
    assert.equal(stale.status, 409);
    assert.match(stale.json.error.message, /revision/);
    assert.deepEqual((await api('GET', '/api/models/fast')).json.targets, ['openai/gpt-4o-mini']);
    assert.equal((await chat('fast')).provider, 'openai');
  });

  it('an invalid edit gets 400 naming the path, and nothing changes', async () => {
    const before = await api('GET', '/api/config/revisions?limit=1');
    const bad = await api('PUT', '/api/models/fast', { targets: ['openai/gpt-4o-mini', 'nope/x'] });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /^targets\[1\]: provider "nope" is not configured/);
    const typo = await api('POST', '/api/providers', { name: 'typo', type: 'openai', base_ur: 'http://x' });
    assert.equal(typo.status, 400);
    assert.match(typo.json.error.message, /base_ur/);
    const after = await api('GET', '/api/config/revisions?limit=1');
    assert.equal(after.json.data[0].revision, before.json.data[0].revision);
    assert.deepEqual((await api('GET', '/api/models/fast')).json.targets, ['openai/gpt-4o-mini']);
  });

  it('deleting a provider an alias uses is refused naming the alias', async () => {
    const m = await api('PUT', '/api/models/fast', { targets: ['mock2/m-1'] });
    assert.equal(m.status, 200);
    const del = await api('DELETE', '/api/providers/mock2');
    assert.equal(del.status, 400);
    assert.match(del.json.error.message, /models\.fast\.targets\[0\]/);
  });

  it('a redacted key sent back keeps the stored key', async () => {
    const cur = await api('GET', '/api/providers/mock2');
    const put = await api('PUT', '/api/providers/mock2', { ...cur.json, models: ['m-1', 'm-2'] });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual((await chat('mock2/m-2')).status, 200);
    const wrong = await api('PUT', '/api/providers/mock2', { ...cur.json, revision: undefined, keys: [{ id: 'k1', value: '****zzzz' }] });
    assert.equal(wrong.status, 400);
    assert.match(wrong.json.error.message, /keys\[0\]\.value/);
  });

  it('the read-only token reads but cannot write', async () => {
    assert.equal((await api('GET', '/api/models', undefined, {}, READ)).status, 200);
    assert.equal((await api('GET', '/api/config', undefined, {}, READ)).status, 200);
    assert.equal((await api('GET', '/api/logs', undefined, {}, READ)).status, 200);
    const w = await api('POST', '/api/models', { name: 'ro', targets: ['openai/x'] }, {}, READ);
    assert.equal(w.status, 403);
    assert.match(w.json.error.message, /admin_read_token allows reading only/);
    assert.equal((await api('GET', '/api/models/ro')).status, 404);
    assert.equal((await api('GET', '/api/models', undefined, {}, 'wrong')).status, 401);
  });

  it('POST /api/config/validate is a dry run', async () => {
    const head = (await api('GET', '/api/config')).json.revision;
    const ok = await api('POST', '/api/config/validate', { models: { trial: { targets: ['openai/gpt-4o-mini'] } } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.valid, true);
    const bad = await api('POST', '/api/config/validate', { models: { trial: { targets: ['zzz/x'] } } });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /models\.trial\.targets\[0\]/);
    assert.equal((await api('GET', '/api/models/trial')).status, 404);
    assert.equal((await api('GET', '/api/config')).json.revision, head);
  });

  it('revisions say who, when and what; restore brings an earlier state back', async () => {
    const list = await api('GET', '/api/config/revisions');
    assert.equal(list.status, 200);
    const first = list.json.data[list.json.data.length - 1];
    assert.equal(first.revision, 1);
    assert.deepEqual(first.actor, { token: 'admin', name: 'alice' });
    assert.equal(first.changes[0].action, 'create');
    assert.match(first.changes[0].after.keys[0].value, /^\*{4}/);
    const one = await api('GET', `/api/config/revisions/${first.revision}`);
    assert.equal(one.json.entities.length, 1);
    // Revision 2 had mock2 + fast → mock2/m-1.
    const restored = await api('POST', '/api/config/revisions/2/restore');
    assert.equal(restored.status, 200, restored.text);
    assert.equal(restored.json.restored_from, 2);
    assert.deepEqual((await api('GET', '/api/models/fast')).json.targets, ['mock2/m-1']);
    assert.deepEqual((await api('GET', '/api/providers/mock2')).json.models, ['m-1'], 'the provider as it was at revision 2');
    assert.deepEqual(await chat('fast'), { status: 200, provider: 'mock2', model: 'm-1' });
  });

  it('deletes store entities; the next request is refused', async () => {
    assert.equal((await api('DELETE', '/api/models/fast')).status, 200);
    assert.equal((await api('DELETE', '/api/providers/mock2')).status, 200);
    assert.equal((await chat('fast')).status, 404);
    assert.equal((await chat('mock2/m-1')).status, 404);
    assert.equal((await api('GET', '/api/providers/mock2')).status, 404);
  });

  it('env references are stored as written and resolved when compiling', async () => {
    const p = await api('POST', '/api/providers', { name: 'envp', type: 'openai', base_url: `${mock.url}/v1`, keys: [{ value: 'env.MOCK_KEY' }] });
    assert.equal(p.status, 201, p.text);
    assert.equal(p.json.keys[0].value, 'env.MOCK_KEY');
    assert.equal((await chat('envp/gpt-4o-mini')).status, 200);
    const unset = await api('POST', '/api/providers', { name: 'envq', type: 'openai', keys: [{ value: 'env.NOT_SET_ANYWHERE' }] });
    assert.equal(unset.status, 400);
    assert.match(unset.json.error.message, /keys\[0\]\.value: environment variable NOT_SET_ANYWHERE is not set/);
  });

  it('the literal key is nowhere in the database files', () => {
    const dir = join(tmp, 'db');
    for (const f of readdirSync(dir)) assert.ok(!readFileSync(join(dir, f)).toString('latin1').includes(LITERAL_KEY), f);
  });

  it('GET /api/config shows the effective config, secrets redacted', async () => {
    const r = await api('GET', '/api/config');
    assert.equal(r.status, 200);
    assert.equal(r.json.managed_by.providers.envp, 'api');
    assert.equal(r.json.managed_by.providers.openai, 'file');
    assert.equal(r.json.config.server.admin_token, '****');
    assert.ok(!r.text.includes(ADMIN) && !r.text.includes('sk-upstream-openai-secret'));
  });

  it('unknown admin paths and methods', async () => {
    assert.equal((await api('GET', '/api/nothing')).status, 404);
    assert.equal((await api('PATCH', '/api/models/x', {})).status, 405);
    assert.equal((await api('GET', '/api/providers/health')).status, 200, 'the fixed route still answers');
  });
});

describe('without SWITCHYARD_SECRET_KEY', () => {
  it('a literal key is refused with the reason and the fix; env references are fine', async () => {
    const config = buildConfig({ ...defaultConfig(mock.url), server: { host: '127.0.0.1', port: 0, admin_token: ADMIN } });
    const g2 = await startGateway({ config, port: 0, host: '127.0.0.1', logger: silentLogger(), env: {} });
    try {
      const res = await fetch(`${g2.url}/api/providers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'lit', type: 'openai', keys: [{ value: LITERAL_KEY }] }),
      });
      const body = (await res.json()) as any;
      assert.equal(res.status, 400);
      assert.match(body.error.message, /keys\[0\]\.value: a literal secret is stored only encrypted.*SWITCHYARD_SECRET_KEY.*env\./);
      assert.ok(!JSON.stringify(body).includes(LITERAL_KEY));
    } finally {
      await g2.close();
    }
  });
});
