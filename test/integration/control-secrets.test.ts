/**
 * No secret written through the admin API shows up anywhere: every admin response (creates,
 * updates, reads, the effective config, revisions, restore, refusals), every log line at level
 * trace, and the database itself (the SQLite files; the Postgres tables) — for both stores.
 * Virtual keys too, with governance on: a file-defined key's secret (from env.NAME) and one the
 * API generated (shown once, in the POST's answer) are searched for in the same places, the
 * request log (rows of their requests, /api/logs with content: full) included.
 * A sibling of observability-secrets.test.ts, which covers the data plane.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import type { MockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import { createLogger } from '../../src/observability/logger.js';
import { startGateway } from '../../src/start-gateway.js';
import { startPostgres } from '../helpers/postgres.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { parseConfig } from '../../src/config/load-config.js';
import { KNOWN_PROVIDER_TYPES } from '../../src/providers/registry.js';
import { defaultConfig } from '../helpers/stack.js';
import { lineCollector, secretAssertion } from '../helpers/log-lines.js';

const ADMIN = 'adm-secrets-control-5566';
const READ = 'read-secrets-control-7788';
const SECRET_KEY = randomBytes(32).toString('base64');
const KEY_1 = 'sk-api-literal-key-AAAA1111';
const KEY_2 = 'sk-api-literal-key-BBBB2222';
const AWS_SECRET = 'aws-secret-access-literal-CCCC3333';
const AWS_ID = 'AKIDLITERALDDDD4444';
/** A file-defined virtual key's secret, named in the file as env.VK_FILE_SECRET. */
const VK_FILE = 'sk-sy-file-env-secret-EEEE5555ffff';
const SECRETS = [KEY_1, KEY_2, AWS_SECRET, AWS_ID, ADMIN, READ, SECRET_KEY, VK_FILE];
/** Secrets of virtual keys the API generated (one per store). */
const generated: string[] = [];

let mock: MockUpstream;
let tmp: string;
let pgServer: TestPostgres | undefined;
let pgUrl: string | undefined;
const surfaces: Array<{ name: string; text: string }> = [];
const logLines: string[] = [];

async function exercise(storage: Record<string, unknown>, label: string): Promise<void> {
  const raw = {
    ...defaultConfig(mock.url),
    server: { host: '127.0.0.1', port: 0, admin_token: ADMIN, admin_read_token: READ },
    storage,
    logging: { level: 'trace', content: 'full' },
    governance: { enabled: true },
    teams: { ops: { rate_limits: [{ requests: 1000, per: '1m' }] } },
    virtual_keys: { 'file-bot': { key: 'env.VK_FILE_SECRET', team: 'ops', budgets: [{ max_usd: 10, period: '1d' }] } },
  };
  const config = parseConfig(JSON.stringify(raw), { format: 'json', knownProviderTypes: KNOWN_PROVIDER_TYPES, env: { VK_FILE_SECRET: VK_FILE } });
  const gw = await startGateway({ config, port: 0, host: '127.0.0.1', logger: createLogger({ level: 'trace', destination: lineCollector(logLines) }), env: { SWITCHYARD_SECRET_KEY: SECRET_KEY } });
  const call = async (method: string, path: string, body?: unknown, token = ADMIN) => {
    const res = await fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    surfaces.push({ name: `${label} ${method} ${path} (${res.status})`, text: `${JSON.stringify([...res.headers])}\n${text}` });
    return { status: res.status, json: (text ? JSON.parse(text) : undefined) as any };
  };
  try {
    assert.equal((await call('POST', '/api/providers', { name: 'lit', type: 'openai', base_url: `${mock.url}/v1`, keys: [{ id: 'one', value: KEY_1 }] })).status, 201);
    assert.equal((await call('POST', '/api/providers', { name: 'aws', type: 'bedrock', region: 'us-east-1', base_url: mock.url, credentials: { access_key_id: AWS_ID, secret_access_key: AWS_SECRET } })).status, 201);
    assert.equal((await call('POST', '/api/models', { name: 'lit-alias', targets: ['lit/gpt-4o-mini'] })).status, 201);
    const chat = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${VK_FILE}` }, body: JSON.stringify({ model: 'lit-alias', messages: [{ role: 'user', content: 'hi' }] }) });
    surfaces.push({ name: `${label} chat`, text: `${JSON.stringify([...chat.headers])}\n${await chat.text()}` });
    assert.equal(chat.status, 200);
    const cur = await call('GET', '/api/providers/lit');
    assert.equal((await call('PUT', '/api/providers/lit', { ...cur.json, revision: undefined, keys: [...cur.json.keys, { id: 'two', value: KEY_2 }] })).status, 200);
    // Refusals that carry a secret in the body must not echo it.
    assert.equal((await call('PUT', '/api/providers/lit', { type: 'openai', keys: [{ value: KEY_1, wieght: 2 }] })).status, 400);
    assert.equal((await call('POST', '/api/providers', { name: 'bad', type: 'openai', base_url: KEY_2, keys: [{ value: KEY_2 }] })).status, 400);
    assert.equal((await call('POST', '/api/providers', { name: 'ro', type: 'openai', keys: [{ value: KEY_1 }] }, READ)).status, 403);
    assert.equal((await call('POST', '/api/config/validate', { providers: { v: { type: 'openai', keys: [{ value: KEY_2 }], nope: 1 } } })).status, 400);
    for (const path of ['/api/providers', '/api/providers/lit', '/api/providers/aws', '/api/models', '/api/config', '/api/config/revisions', '/api/config/revisions/1', '/api/config/revisions/4']) {
      const r = await call('GET', path);
      assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.json)}`);
    }
    assert.equal((await call('GET', '/api/config', undefined, READ)).status, 200);
    assert.equal((await call('POST', '/api/config/revisions/2/restore')).status, 200);
    assert.equal((await call('DELETE', '/api/providers/aws')).status, 200);
    await call('GET', '/api/config/revisions');

    // Virtual keys: one generated by the API, used, refused, edited; then every surface read again.
    const created = await call('POST', '/api/virtual-keys', { name: 'api-bot', team: 'ops', rate_limits: [{ requests: 100, per: '1m' }] });
    assert.equal(created.status, 201);
    const secret: string = created.json.key;
    assert.match(secret, /^sk-sy-[0-9A-Za-z]{43}$/);
    generated.push(secret);
    created.json.key = '(the generated secret, shown once)';
    surfaces[surfaces.length - 1]!.text = JSON.stringify(created.json);
    const ask = async (key: string, stream: boolean) => {
      const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ model: 'openai/gpt-4o-mini', stream, messages: [{ role: 'user', content: 'hello' }] }) });
      surfaces.push({ name: `${label} chat as a virtual key (${res.status})`, text: `${JSON.stringify([...res.headers])}\n${await res.text()}` });
      return res.status;
    };
    assert.equal(await ask(secret, false), 200);
    assert.equal(await ask(secret, true), 200);
    assert.equal(await ask(VK_FILE, true), 200);
    assert.equal(await ask(`${secret}x`, false), 401);
    // Refusals that carry a virtual key's secret must not echo it.
    assert.equal((await call('PUT', '/api/virtual-keys/api-bot', { team: 'ops', key: secret })).status, 400);
    assert.equal((await call('POST', '/api/virtual-keys', { name: 'chosen', key: VK_FILE })).status, 400);
    assert.equal((await call('PUT', '/api/virtual-keys/file-bot', { key: VK_FILE })).status, 400);
    assert.equal((await call('PUT', '/api/virtual-keys/api-bot', { team: 'ops', disabled: true })).status, 200);
    assert.equal(await ask(secret, false), 403);
    // The request log: rows of every request above, bodies included (content: full).
    const deadline = Date.now() + 10_000;
    for (;;) {
      const logs = await call('GET', '/api/logs?limit=1000');
      const rows = (logs.json.data as Array<{ client_key_id?: string }>).filter((r) => r.client_key_id === 'api-bot' || r.client_key_id === 'file-bot');
      if (rows.length >= 4) break;
      assert.ok(Date.now() < deadline, `the virtual keys' requests did not reach the request log (${rows.length} rows)`);
      surfaces.pop();
      await new Promise((r) => setTimeout(r, 25));
    }
    const revisions = await call('GET', '/api/config/revisions?limit=100');
    for (const r of revisions.json.data as Array<{ revision: number }>) await call('GET', `/api/config/revisions/${r.revision}`);
    for (const path of ['/api/virtual-keys', '/api/virtual-keys/api-bot', '/api/virtual-keys/file-bot', '/api/teams', '/api/teams/ops', '/api/config', '/api/stats?window=1h']) {
      assert.equal((await call('GET', path)).status, 200, path);
    }
    assert.equal((await call('DELETE', '/api/virtual-keys/api-bot')).status, 200);
    assert.equal(await ask(secret, false), 401);
    const m = await fetch(`${gw.url}/metrics`);
    surfaces.push({ name: `${label} /metrics`, text: await m.text() });
  } finally {
    await gw.close();
  }
}

before(async () => {
  mock = await startMockUpstream();
  tmp = mkdtempSync(join(tmpdir(), 'switchyard-control-secrets-'));
  await exercise({ sqlite_path: join(tmp, 'db', 'sy.db') }, 'sqlite');
  const started = await startPostgres();
  if (started.ok) {
    pgServer = started.pg;
    pgUrl = await pgServer.createDatabase('control_secrets');
    await exercise({ postgres_url: pgUrl }, 'postgres');
  } else if (process.env.CI === 'true') throw new Error(`Postgres is required in CI: ${started.reason}`);
});

after(async () => {
  await mock?.close();
  await pgServer?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const assertClean = secretAssertion(() => [...SECRETS, ...generated]);

describe('no admin-API secret on any surface', () => {
  it('every admin response, redacted as **** and the last four', () => {
    assert.ok(surfaces.length >= 20);
    for (const s of surfaces) assertClean(s.name, s.text);
    const one = surfaces.findLast((s) => s.name.startsWith('sqlite GET /api/providers/lit'))!;
    assert.ok(one.text.includes(`****${KEY_1.slice(-4)}`) && one.text.includes(`****${KEY_2.slice(-4)}`));
  });

  it('every log line at level trace', () => {
    assert.ok(logLines.some((l) => l.includes('config revision committed')));
    for (const line of logLines) assertClean('log line', line);
  });

  it('the SQLite files hold the keys only sealed', () => {
    const dir = join(tmp, 'db');
    for (const f of readdirSync(dir)) assertClean(f, readFileSync(join(dir, f)).toString('latin1'));
    assert.ok(readFileSync(join(dir, 'sy.db')).toString('latin1').includes('enc:v1:') || readdirSync(dir).some((f) => readFileSync(join(dir, f)).toString('latin1').includes('enc:v1:')));
  });

  it('the Postgres tables hold the keys only sealed', async (t) => {
    if (!pgUrl) return t.skip('Postgres unavailable here');
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    try {
      const rows = await client.query('SELECT kind, name, body, revision FROM config_entities');
      const revs = await client.query('SELECT * FROM config_revisions');
      const logs = await client.query('SELECT * FROM request_logs');
      assert.ok(logs.rows.some((r: { client_key_id?: string }) => r.client_key_id === 'api-bot'), 'the request log holds the virtual key requests');
      const text = JSON.stringify(rows.rows) + JSON.stringify(revs.rows) + JSON.stringify(logs.rows);
      assertClean('Postgres config tables', text);
      assert.ok(text.includes('enc:v1:'));
    } finally {
      await client.end();
    }
  });
});
