/**
 * Budgets on the embedded default (memory counters, SQLite file) outlive the gateway: a graceful
 * restart, and a crash (SIGKILL) of the CLI once its counters were written, both resume the spend
 * instead of starting from zero. So do live config changes of `governance.counters` (memory →
 * Redis → memory), and turning governance off closes its Redis connection. Driven with the OpenAI
 * SDK; the spend is read from the admin API.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import type { MockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import { openSqlite } from '../../src/storage/sqlite-driver.js';
import { startGateway } from '../../src/start-gateway.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startCli } from '../helpers/cli.js';
import { startRedisOrSkip } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { buildConfig, defaultConfig } from '../helpers/stack.js';

const ADMIN = 'admin-token-restart-test-000001';
const NIGHTLY = 'sk-sy-test-nightly-evals-0000001';

let mock: MockUpstream;
let dir: string;
let redis: TestRedis | undefined;
let skipRedis: string | undefined;
before(async () => {
  mock = await startMockUpstream({});
  dir = mkdtempSync(join(tmpdir(), 'switchyard-restart-'));
  ({ redis, skip: skipRedis } = await startRedisOrSkip());
});
after(async () => {
  await mock?.close();
  await redis?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One key with a budget that never resets, and its team's monthly one; $1,000 per million tokens. */
function rawConfig(dbFile: string): Record<string, unknown> {
  return {
    ...defaultConfig(mock.url),
    server: { host: '127.0.0.1', port: 0, admin_token: ADMIN },
    storage: { sqlite_path: dbFile },
    logging: { level: 'silent', flush_interval_ms: 50 },
    pricing: { overrides: { 'openai/gpt-4o-mini': { input: 1000, output: 1000 } } },
    governance: { enabled: true, counters: { type: 'memory' } },
    teams: { evals: { budgets: [{ max_usd: 100, period: '1M' }] } },
    virtual_keys: { nightly: { team: 'evals', key: NIGHTLY, budgets: [{ max_usd: 0.25, period: 'total' }] } },
  };
}

const chat = (url: string) =>
  new OpenAI({ apiKey: NIGHTLY, baseURL: `${url}/v1`, maxRetries: 0 }).chat.completions.create({
    model: 'openai/gpt-4o-mini',
    messages: [{ role: 'user', content: 'Summarize the nightly evaluation results in one line.' }],
    max_tokens: 32,
  });

/** The key's and its team's spend, as the admin API shows it. */
async function spent(url: string): Promise<{ key: number; team: number }> {
  const get = async (path: string) => {
    const res = await fetch(`${url}/api/${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(res.status, 200, path);
    return ((await res.json()) as { usage: { budgets: Array<{ spent_usd: number }> } }).usage.budgets[0]!.spent_usd;
  };
  return { key: await get('virtual-keys/nightly'), team: await get('teams/evals') };
}

/** Requests until the total budget refuses one (bounded); returns how many were answered. */
async function spendAll(url: string): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const err = await chat(url).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (err === undefined) continue;
    assert.ok(err instanceof OpenAI.RateLimitError && /budget exhausted: the total budget of virtual key nightly/.test(err.message), String(err));
    return i;
  }
  assert.fail('the budget never ran out');
}

describe('budgets across a restart (memory counters, SQLite file)', () => {
  it('a graceful restart resumes the spend: an exhausted total budget stays exhausted', async () => {
    const config = buildConfig(rawConfig(join(dir, 'graceful.db')));
    const first = await startGateway({ config, port: 0, host: '127.0.0.1', logger: silentLogger() });
    let before: { key: number; team: number };
    try {
      assert.ok((await spendAll(first.url)) > 0);
      before = await spent(first.url);
      assert.ok(before.key > 0 && before.key <= 0.25, String(before.key));
    } finally {
      await first.drain();
    }
    const second = await startGateway({ config, port: 0, host: '127.0.0.1', logger: silentLogger() });
    try {
      assert.deepEqual(await spent(second.url), before);
      assert.equal(await spendAll(second.url), 0, 'the first request after the restart is refused, as before it');
    } finally {
      await second.close();
    }
  });

  it('a crash (SIGKILL) loses at most the last second: the CLI resumes what it had written', async () => {
    const dbFile = join(dir, 'crash.db');
    const configFile = join(dir, 'crash.json');
    writeFileSync(configFile, JSON.stringify(rawConfig(dbFile)));
    let child = await startCli(configFile);
    let beforeKill: { key: number; team: number };
    try {
      for (let i = 0; i < 3; i++) await chat(child.url);
      beforeKill = await spent(child.url);
      assert.ok(beforeKill.key > 0);
      // Bounded wait for the counters' next write (about once a second), then the crash.
      await waitForKept(dbFile, 'gov:k:nightly:usd:total:0', Math.round(beforeKill.key * 1e9));
    } finally {
      child.process.kill('SIGKILL');
      await once(child.process, 'exit');
    }
    child = await startCli(configFile);
    try {
      assert.deepEqual(await spent(child.url), beforeKill);
    } finally {
      child.process.kill('SIGTERM');
      await once(child.process, 'exit');
    }
  });
});

describe('budgets across live changes of governance.counters', () => {
  it('memory → Redis → memory resumes the memory counts; governance off closes the Redis connection', async (t) => {
    if (!redis) return t.skip(skipRedis);
    const base = rawConfig(join(dir, 'reload.db'));
    const withCounters = (counters: Record<string, unknown>, enabled = true) => buildConfig({ ...base, governance: { enabled, counters } });
    const g = await startGateway({ config: withCounters({ type: 'memory' }), port: 0, host: '127.0.0.1', logger: silentLogger() });
    const watcher = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    const clients = async () => (String(await watcher.call('CLIENT', 'LIST')).match(/^id=/gm) ?? []).length;
    try {
      await chat(g.url);
      await chat(g.url);
      const inMemory = await spent(g.url);
      assert.ok(inMemory.key > 0);
      const alone = await clients();

      assert.equal(await g.control.reloadFile(withCounters({ type: 'redis', url: redis.url })), undefined);
      assert.equal((await spent(g.url)).key, 0, 'Redis holds its own counts');
      await chat(g.url);
      assert.ok((await spent(g.url)).key > 0);
      assert.equal(await clients(), alone + 1, 'the gateway\'s counter connection');

      assert.equal(await g.control.reloadFile(withCounters({ type: 'memory' })), undefined);
      assert.deepEqual(await spent(g.url), inMemory, 'memory counting resumes where it was replaced');

      assert.equal(await g.control.reloadFile(withCounters({ type: 'redis', url: redis.url })), undefined);
      await chat(g.url);
      assert.equal(await clients(), alone + 1);
      assert.equal(await g.control.reloadFile(withCounters({ type: 'redis', url: redis.url }, false)), undefined);
      // The connection closes once the last snapshot with governance on is retired (bounded wait).
      const deadline = Date.now() + 5_000;
      while ((await clients()) !== alone) if (Date.now() > deadline) assert.fail(`the counter connection stayed open (${await clients()} clients)`);
    } finally {
      watcher.disconnect();
      await g.close();
    }
  });
});

/** Polls (bounded) until the counter file holds `value` for `key`. */
async function waitForKept(dbFile: string, key: string, value: number): Promise<void> {
  const db = await openSqlite(dbFile);
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const row = db.prepare('SELECT value FROM governance_counters WHERE key = ?').get(key) as { value: number | bigint } | undefined;
      if (row && Number(row.value) === value) return;
      if (Date.now() > deadline) assert.fail(`the counter ${key} was not written (holds ${String(row?.value)}, expected ${value})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    db.close();
  }
}
