/**
 * Virtual keys and teams through the admin API: the secret is generated and returned once (only
 * its SHA-256 is stored), usage is live, a disabled or deleted key is refused at once; secrets never
 * appear in any admin response or revision. With Postgres, a key revoked through replica A is
 * refused on B and C within the control plane's propagation bound.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import type { MockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startGateway } from '../../src/start-gateway.js';
import type { RunningGateway } from '../../src/start-gateway.js';
import { buildConfig, defaultConfig } from '../helpers/stack.js';
import { startPostgres } from '../helpers/postgres.js';
import type { TestPostgres } from '../helpers/postgres.js';

const ADMIN = 'admin-token-governance-admin';
const FILE_KEY = 'sk-sy-file-defined-key-0000000001';
let mock: MockUpstream;
let pgServer: TestPostgres | undefined;
let pgSkip: string | undefined;
const running: RunningGateway[] = [];

before(async () => {
  mock = await startMockUpstream();
  const started = await startPostgres();
  if (started.ok) pgServer = started.pg;
  else if (process.env.CI === 'true') throw new Error(`Postgres is required in CI: ${started.reason}`);
  else pgSkip = started.reason;
});
after(async () => {
  await Promise.all(running.map((g) => g.close()));
  await mock?.close();
  await pgServer?.close();
});

async function gateway(storage?: Record<string, unknown>): Promise<RunningGateway> {
  const config = buildConfig({
    ...defaultConfig(mock.url),
    server: { host: '127.0.0.1', port: 0, admin_token: ADMIN },
    governance: { enabled: true },
    logging: { level: 'silent', flush_interval_ms: 20 },
    virtual_keys: { 'file-bot': { key: FILE_KEY, rate_limits: [{ requests: 50, per: '1m' }] } },
    ...(storage ? { storage } : {}),
  });
  const gw = await startGateway({ config, port: 0, host: '127.0.0.1', logger: silentLogger(), configPollMs: 200 });
  running.push(gw);
  return gw;
}

async function admin(gw: RunningGateway, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(`${gw.url}/api/${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
}

async function ask(gw: RunningGateway, key: string): Promise<number> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 }),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('virtual keys and teams through the admin API', () => {
  it('generates the secret once, stores its hash, shows live usage, refuses disabled and deleted keys', async () => {
    const gw = await gateway();
    const team = await admin(gw, 'POST', 'teams', { name: 'platform', rate_limits: [{ requests: 100, per: '1m' }], budgets: [{ max_usd: 10, period: '1M' }] });
    assert.equal(team.status, 201, team.text);
    const created = await admin(gw, 'POST', 'virtual-keys', { name: 'review-bot', team: 'platform', models: ['openai/*'], rate_limits: [{ requests: 10, per: '1m' }] });
    assert.equal(created.status, 201, created.text);
    const secret: string = created.body.key;
    assert.match(secret, /^sk-sy-[0-9A-Za-z]{43}$/);
    assert.match(created.body.key_sha256, /^[0-9a-f]{64}$/);

    assert.equal(await ask(gw, secret), 200);
    const shown = await admin(gw, 'GET', 'virtual-keys/review-bot');
    assert.equal(shown.body.key, undefined);
    assert.deepEqual(shown.body.usage.rate_limits, [{ per: '1m', requests: 10, used: 1, resets_at: shown.body.usage.rate_limits[0].resets_at }]);
    assert.equal(shown.body.usage.in_flight, 0);
    const teamShown = await admin(gw, 'GET', 'teams/platform');
    assert.equal(teamShown.body.usage.rate_limits[0].used, 1);
    assert.equal(teamShown.body.usage.budgets[0].max_usd, 10);

    const list = await admin(gw, 'GET', 'virtual-keys');
    assert.deepEqual(list.body.data.map((k: { name: string; managed_by: string }) => `${k.name}:${k.managed_by}`), ['file-bot:file', 'review-bot:api']);
    assert.equal(list.body.data[0].key, '****0001', 'a file-defined secret is redacted');

    assert.equal((await admin(gw, 'POST', 'virtual-keys', { name: 'x', key: 'sk-sy-chosen-by-client-000000000' })).status, 400);
    assert.equal((await admin(gw, 'PUT', 'virtual-keys/file-bot', { disabled: true })).status, 409, 'file-managed');

    const disabled = await admin(gw, 'PUT', 'virtual-keys/review-bot', { team: 'platform', models: ['openai/*'], disabled: true });
    assert.equal(disabled.status, 200, disabled.text);
    assert.equal(await ask(gw, secret), 403);
    assert.equal((await admin(gw, 'DELETE', 'virtual-keys/review-bot')).status, 200);
    assert.equal(await ask(gw, secret), 401);

    // The secrets never appear in any admin answer or revision.
    const everything = [
      (await admin(gw, 'GET', 'config')).text,
      (await admin(gw, 'GET', 'config/revisions')).text,
      ...(await Promise.all([1, 2, 3, 4].map(async (n) => (await admin(gw, 'GET', `config/revisions/${n}`)).text))),
      (await admin(gw, 'GET', 'virtual-keys')).text,
    ].join('\n');
    assert.ok(!everything.includes(secret), 'generated secret leaked');
    assert.ok(!everything.includes(FILE_KEY), 'file secret leaked');
  });

  it('the request log, /api/logs and /api/stats carry the key and its team', async () => {
    const gw = await gateway();
    await admin(gw, 'POST', 'teams', { name: 'search' });
    const created = await admin(gw, 'POST', 'virtual-keys', { name: 'search-bot', team: 'search' });
    assert.equal(await ask(gw, created.body.key), 200);
    assert.equal(await ask(gw, created.body.key), 200);
    assert.equal(await ask(gw, FILE_KEY), 200);
    const deadline = Date.now() + 10_000;
    let logs: any;
    for (;;) {
      logs = (await admin(gw, 'GET', 'logs?key=search-bot')).body;
      if (logs.data.length === 2) break;
      assert.ok(Date.now() < deadline, 'rows did not reach the request log');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(logs.data.map((r: { client_key_id: string; team: string }) => [r.client_key_id, r.team]), [['search-bot', 'search'], ['search-bot', 'search']]);
    assert.equal((await admin(gw, 'GET', 'logs?team=search')).body.data.length, 2);
    let stats: any;
    for (;;) {
      stats = (await admin(gw, 'GET', 'stats')).body;
      if (stats.requests === 3) break;
      assert.ok(Date.now() < deadline, 'rows did not reach the request log');
      await new Promise((r) => setTimeout(r, 20));
    }
    const byKey = Object.fromEntries(stats.by_key.map((g: { key: string; team: string | null; requests: number }) => [g.key, [g.team, g.requests]]));
    assert.deepEqual(byKey, { 'search-bot': ['search', 2], 'file-bot': [null, 1] });
    const byTeam = Object.fromEntries(stats.by_team.map((g: { team: string | null; requests: number }) => [String(g.team), g.requests]));
    assert.deepEqual(byTeam, { search: 2, null: 1 });
  });

  it('a key revoked through replica A is refused on B and C', async (t) => {
    if (!pgServer) return t.skip(`Postgres unavailable here: ${pgSkip}`);
    const url = await pgServer.createDatabase(`gov_revoke_${process.pid}`);
    const [a, b, c] = [await gateway({ postgres_url: url }), await gateway({ postgres_url: url }), await gateway({ postgres_url: url })];
    const created = await admin(a!, 'POST', 'virtual-keys', { name: 'temp-bot' });
    assert.equal(created.status, 201, created.text);
    const secret: string = created.body.key;
    const waitFor = async (gw: RunningGateway, status: number) => {
      const t0 = Date.now();
      for (;;) {
        if ((await ask(gw, secret)) === status) return Date.now() - t0;
        assert.ok(Date.now() - t0 < 5000, `replica did not answer ${status} within 5 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await waitFor(b!, 200);
    await waitFor(c!, 200);
    assert.equal((await admin(a!, 'DELETE', 'virtual-keys/temp-bot')).status, 200);
    const tb = await waitFor(b!, 401);
    const tc = await waitFor(c!, 401);
    assert.ok(tb < 2000 && tc < 2000, `propagation took ${tb} / ${tc} ms`);
  });
});
