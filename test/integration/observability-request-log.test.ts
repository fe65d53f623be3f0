/**
 * The request log end to end: rows written through the real gateway to real SQLite and a real
 * Postgres (started here; skipped with the reason where it cannot start), surviving a restart
 * (close() writes the queue: the flush interval is an hour, so only the shutdown can have written
 * them); content levels; the admin API's auth, filters, pagination and parameter errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import type { MockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startGateway } from '../../src/start-gateway.js';
import type { RunningGateway } from '../../src/start-gateway.js';
import { startPostgres } from '../helpers/postgres.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { buildConfig, defaultConfig } from '../helpers/stack.js';

const ADMIN = 'log-admin-token';
let mock: MockUpstream;
let tmp: string;
let pgServer: TestPostgres | undefined;
let pgSkip: string | undefined;

before(async () => {
  mock = await startMockUpstream();
  tmp = mkdtempSync(join(tmpdir(), 'switchyard-log-'));
  const started = await startPostgres();
  if (started.ok) pgServer = started.pg;
  else pgSkip = started.reason;
});
after(async () => {
  await mock?.close();
  await pgServer?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function start(extra: Record<string, unknown>): Promise<RunningGateway> {
  const base = defaultConfig(mock.url);
  const config = buildConfig({ ...base, server: { host: '127.0.0.1', port: 0, admin_token: ADMIN }, ...extra });
  return startGateway({ config, port: 0, host: '127.0.0.1', logger: silentLogger() });
}

async function getJson(gw: RunningGateway, path: string, token: string | undefined = ADMIN): Promise<{ status: number; body: any }> {
  const res = await fetch(`${gw.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, body: await res.json() };
}

async function traffic(gw: RunningGateway, n: number, tag: string): Promise<void> {
  const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'client', maxRetries: 0 });
  for (let i = 0; i < n; i++) await openai.chat.completions.create({ model: i % 2 ? 'openai/gpt-4o-mini' : 'review-model', messages: [{ role: 'user', content: `${tag} ${i}` }] });
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`request log on ${db}`, () => {
    let storage: Record<string, unknown>;
    before(async () => {
      if (db === 'sqlite') storage = { sqlite_path: join(tmp, 'restart', 'log.db') };
      else if (pgServer) storage = { postgres_url: await pgServer.createDatabase('restart_log') };
    });

    it('keeps every logged request across a restart (close() writes the queue)', async (t) => {
      if (db === 'postgres' && !pgServer) return t.skip(`Postgres unavailable here: ${pgSkip}`);
      const logging = { level: 'silent', flush_interval_ms: 3_600_000 };
      const first = await start({ storage, logging });
      await traffic(first, 7, 'before restart');
      assert.equal(first.observability.requestLog.counters().queued, 7, 'nothing written yet: the flush interval is an hour');
      await first.close();

      const second = await start({ storage, logging });
      try {
        const { status, body } = await getJson(second, '/api/logs?limit=100');
        assert.equal(status, 200);
        assert.equal(body.data.length, 7);
        assert.equal(body.next_cursor, null);
        assert.ok(body.data.every((r: any) => r.status === 200 && r.cost_usd > 0 && typeof r.time === 'string'));
        await traffic(second, 3, 'after restart');
        const again = await getJson(second, '/api/logs?limit=100');
        assert.equal(again.body.data.length, 10, 'the admin API writes the queue before reading');
        const stats = await getJson(second, '/api/stats?window=1h');
        assert.equal(stats.body.requests, 10);
        assert.equal(stats.body.errors, 0);
      } finally {
        await second.close();
      }
    });

    it('filters and pages through /api/logs with next_cursor', async (t) => {
      if (db === 'postgres' && !pgServer) return t.skip(`Postgres unavailable here: ${pgSkip}`);
      const gw = await start({ storage, logging: { level: 'silent' } });
      try {
        const alias = await getJson(gw, '/api/logs?alias=review-model&limit=100');
        assert.ok(alias.body.data.length >= 5);
        assert.ok(alias.body.data.every((r: any) => r.alias === 'review-model'));
        const provider = await getJson(gw, '/api/logs?provider=openai&model=gpt-4o-mini&status=2xx&limit=100');
        assert.ok(provider.body.data.every((r: any) => r.provider === 'openai' && r.model === 'gpt-4o-mini'));
        const ids: string[] = [];
        let cursor: string | null = null;
        for (let i = 0; i < 20; i++) {
          const page: { status: number; body: any } = await getJson(gw, `/api/logs?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
          assert.equal(page.status, 200);
          ids.push(...page.body.data.map((r: any) => r.request_id));
          cursor = page.body.next_cursor;
          if (!cursor) break;
        }
        assert.equal(ids.length, 10);
        assert.equal(new Set(ids).size, 10);
        const future = await getJson(gw, `/api/logs?from=${new Date(Date.now() + 3_600_000).toISOString()}`);
        assert.deepEqual(future.body.data, []);
      } finally {
        await gw.close();
      }
    });
  });
}

describe('request log content levels', () => {
  it('metadata (default) keeps parameters but no text; full keeps bodies and streamed text', async () => {
    const meta = await start({ storage: { sqlite_path: ':memory:' }, logging: { level: 'silent' } });
    const full = await start({ storage: { sqlite_path: ':memory:' }, logging: { level: 'silent', content: 'full' } });
    try {
      for (const gw of [meta, full]) {
        const anthropic = new Anthropic({ baseURL: `${gw.url}/anthropic`, apiKey: 'client', maxRetries: 0 });
        await anthropic.messages.create({ model: 'review-model', max_tokens: 64, system: 'be kind', messages: [{ role: 'user', content: 'secret plan alpha' }] });
        await anthropic.messages.stream({ model: 'anthropic/claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'streamed question beta' }] }).finalMessage();
      }
      const m = (await getJson(meta, '/api/logs')).body.data;
      assert.equal(m.length, 2);
      const mText = JSON.stringify(m);
      assert.ok(!mText.includes('secret plan alpha') && !mText.includes('beta') && !mText.includes('be kind'));
      assert.deepEqual(m.find((r: any) => !r.stream).request_meta, { messages: 1, system: true, tools: 0, max_tokens: 64 });
      assert.equal(m[0].content, 'metadata');

      const f = (await getJson(full, '/api/logs')).body.data;
      const json = f.find((r: any) => !r.stream);
      assert.equal(json.request_body.messages[0].content, 'secret plan alpha');
      assert.equal(json.response_body.content[0].text, '[system: be kind] mock reply to: secret plan alpha');
      const streamed = f.find((r: any) => r.stream);
      assert.equal(streamed.response_body.text, 'mock reply to: streamed question beta');
    } finally {
      await meta.close();
      await full.close();
    }
  });
});

describe('admin API access', () => {
  it('is off without server.admin_token (403 saying how to turn it on), 401 with a wrong token', async () => {
    const config = buildConfig({ ...defaultConfig(mock.url), storage: { sqlite_path: ':memory:' } });
    const open = await startGateway({ config, port: 0, host: '127.0.0.1', logger: silentLogger() });
    const locked = await start({ storage: { sqlite_path: ':memory:' }, logging: { level: 'silent' } });
    try {
      for (const path of ['/api/logs', '/api/stats', '/api/providers/health']) {
        const off = await getJson(open, path, 'anything');
        assert.equal(off.status, 403, path);
        assert.match(off.body.error.message, /set server\.admin_token/);
        assert.equal((await getJson(locked, path, '')).status, 401, path);
        assert.equal((await getJson(locked, path, 'wrong')).status, 401, path);
        assert.equal((await getJson(locked, path)).status, 200, path);
      }
      // /metrics is open, like any Prometheus exporter.
      assert.equal((await fetch(`${open.url}/metrics`)).status, 200);
    } finally {
      await open.close();
      await locked.close();
    }
  });

  it('rejects bad parameters with 400 naming the parameter', async () => {
    const gw = await start({ storage: { sqlite_path: ':memory:' }, logging: { level: 'silent' } });
    try {
      for (const [path, param] of [
        ['/api/logs?limit=0', 'limit'],
        ['/api/logs?limit=abc', 'limit'],
        ['/api/logs?status=abc', 'status'],
        ['/api/logs?from=yesterday', 'from'],
        ['/api/logs?cursor=bogus', 'cursor'],
        ['/api/logs?colour=red', 'colour'],
        ['/api/stats?window=1y', 'window'],
        ['/api/stats?from=2030-01-01T00:00:00Z&to=2029-01-01T00:00:00Z', 'from'],
      ] as const) {
        const r = await getJson(gw, path);
        assert.equal(r.status, 400, path);
        assert.equal(r.body.error.param, param, path);
      }
    } finally {
      await gw.close();
    }
  });

  it('serves no /metrics when metrics.enabled is false', async () => {
    const gw = await start({ storage: { sqlite_path: ':memory:' }, logging: { level: 'silent' }, metrics: { enabled: false } });
    try {
      assert.equal((await fetch(`${gw.url}/metrics`)).status, 404);
    } finally {
      await gw.close();
    }
  });
});
