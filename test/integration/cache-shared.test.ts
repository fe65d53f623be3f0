/**
 * The cache shared by replicas and its failures, on real servers started by the test: two gateway
 * replicas on one Redis (exact entries) and one Postgres with pgvector (semantic index) — an answer
 * cached through replica A is a hit on replica B; Redis killed, Postgres stopped and the embedding
 * target failing each leave every request answered by the upstream, and the cache serves again
 * once they are back. Also: the embedded index keeps its entries across a restart (SQLite).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import type { MockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startGateway } from '../../src/start-gateway.js';
import type { RunningGateway } from '../../src/start-gateway.js';
import { buildConfig, defaultConfig } from '../helpers/stack.js';
import { startPostgres } from '../helpers/postgres.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { startRedisOrSkip } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';

let mock: MockUpstream;
let redis: TestRedis | undefined;
let postgres: TestPostgres | undefined;
let pgUrl: string | undefined;
let skip: string | undefined;
const running: RunningGateway[] = [];

/** Starts Postgres and checks pgvector can be created; a skip reason otherwise (a failure in CI). */
async function startPgvector(): Promise<{ pg?: TestPostgres; url?: string; skip?: string }> {
  const r = await startPostgres();
  const fail = (reason: string) => {
    if (process.env.CI === 'true') throw new Error(`Postgres with pgvector is required in CI: ${reason}`);
    return { skip: `Postgres with pgvector unavailable here: ${reason}` };
  };
  if (!r.ok) return fail(r.reason);
  const url = await r.pg.createDatabase('cache_shared');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('CREATE EXTENSION IF NOT EXISTS vector');
  } catch (e) {
    await c.end();
    await r.pg.close();
    return fail(`the vector extension is not installed (build it from the pgvector source with make && make install): ${(e as Error).message}`);
  }
  await c.end();
  return { pg: r.pg, url };
}

before(async () => {
  mock = await startMockUpstream();
  const rs = await startRedisOrSkip();
  redis = rs.redis;
  const ps = await startPgvector();
  postgres = ps.pg;
  pgUrl = ps.url;
  skip = rs.skip ?? ps.skip;
});
after(async () => {
  await Promise.all(running.map((g) => g.close()));
  await mock?.close();
  await redis?.close();
  await postgres?.close();
});

function cacheConfig(extra: Record<string, unknown>): Record<string, unknown> {
  const base = defaultConfig(mock.url) as { models: Record<string, unknown> };
  return {
    ...base,
    models: { ...base.models, embed: { targets: ['openai/text-embedding-3-small'] } },
    logging: { level: 'silent', flush_interval_ms: 50 },
    ...extra,
  };
}

/** Longer than semantic.max_messages: exact cache only. */
const EARLIER = [
  { role: 'user', content: 'Hi' },
  { role: 'assistant', content: 'Hello' },
  { role: 'user', content: 'A question follows' },
  { role: 'assistant', content: 'Go ahead' },
];

async function ask(gw: RunningGateway, content: string, exactOnly = false): Promise<{ status: number; cache: string | null; text: string }> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
    body: JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [...(exactOnly ? EARLIER : []), { role: 'user', content }] }),
  });
  const body = (await res.json()) as { choices?: Array<{ message: { content: string } }> };
  return { status: res.status, cache: res.headers.get('x-switchyard-cache'), text: body.choices?.[0]?.message.content ?? '' };
}

/** Asks until the answer comes from the cache (after a store came back), at most `ms`. */
async function untilCached(gw: RunningGateway, content: string, want: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await ask(gw, content, want === 'hit');
    assert.equal(r.status, 200);
    if (r.cache === want) return;
    if (Date.now() > deadline) assert.fail(`no ${want} for "${content}" within ${ms} ms (last: ${r.cache})`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

const ADMIN = { authorization: 'Bearer cache-shared-admin' };

interface Stats {
  store: { type: string; entries: number | null; counted_at?: string };
  semantic: { index: string; entries: number | null; counted_at?: string };
}

async function stats(gw: RunningGateway): Promise<Stats> {
  const res = await fetch(`${gw.url}/api/cache/stats`, { headers: ADMIN });
  assert.equal(res.status, 200);
  return (await res.json()) as Stats;
}

const chatCalls = () => mock.requests.filter((r) => r.path === '/v1/chat/completions').length;

describe('two replicas sharing Redis (exact) and Postgres + pgvector (semantic)', () => {
  let a: RunningGateway;
  let b: RunningGateway;

  before(async () => {
    if (skip) return;
    const cfg = () =>
      buildConfig(
        cacheConfig({
          server: { ...(defaultConfig(mock.url) as { server: object }).server, admin_token: ADMIN.authorization.slice(7) },
          storage: { postgres_url: pgUrl },
          cache: {
            enabled: true,
            namespace: 'global',
            store: { type: 'redis', url: redis!.url, timeout_ms: 200 },
            semantic: { enabled: true, embedding_model: 'embed', threshold: 0.9, timeout_ms: 1000, index: { type: 'postgres' } },
          },
        }),
      );
    a = await startGateway({ config: cfg(), port: 0, host: '127.0.0.1', logger: silentLogger() });
    running.push(a);
    b = await startGateway({ config: cfg(), port: 0, host: '127.0.0.1', logger: silentLogger() });
    running.push(b);
  });

  it('an exact answer cached through A is a hit on B', async (t) => {
    if (skip) return t.skip(skip);
    mock.reset();
    assert.equal((await ask(a, 'Shared exact question', true)).cache, 'miss');
    // The write is not awaited by the request: wait (bounded) until B sees it.
    await untilCached(b, 'Shared exact question', 'hit', 5000);
    assert.equal(chatCalls(), 1);
  });

  it('a semantic answer cached through A is a semantic hit on B (pgvector)', async (t) => {
    if (skip) return t.skip(skip);
    mock.reset();
    const first = await ask(a, 'What is the tallest mountain on Earth?');
    assert.equal(first.cache, 'miss');
    await untilCached(b, 'what is the tallest mountain on earth', 'semantic-hit', 5000);
    assert.equal(chatCalls(), 1);
    const other = await ask(b, 'What is the deepest lake on Earth?');
    assert.equal(other.cache, 'miss');
  });

  it('stats: either replica counts the shared entries and says when; a DELETE through A empties both', async (t) => {
    if (skip) return t.skip(skip);
    const sb = await stats(b);
    assert.equal(sb.store.type, 'redis');
    assert.ok((sb.store.entries ?? 0) >= 1, `Redis entries counted on B: ${sb.store.entries}`);
    assert.ok((sb.semantic.entries ?? 0) >= 1, `Postgres entries counted on B: ${sb.semantic.entries}`);
    for (const at of [sb.store.counted_at, sb.semantic.counted_at]) assert.ok(at !== undefined && Number.isFinite(Date.parse(at)), `counted_at: ${at}`);
    assert.ok(((await stats(a)).store.entries ?? 0) >= 1, 'A has counted too');
    const del = await fetch(`${a.url}/api/cache`, { method: 'DELETE', headers: ADMIN });
    assert.equal(del.status, 200);
    // A's clear drops its paced counts: its next stats count afresh.
    const sa = await stats(a);
    assert.equal(sa.store.entries, 0);
    assert.equal(sa.semantic.entries, 0);
    assert.equal((await ask(b, 'Shared exact question', true)).cache, 'miss', 'the entries are gone for B too');
  });

  it('Redis killed: every request still answered upstream; hits again once it is back', async (t) => {
    if (skip) return t.skip(skip);
    await redis!.kill();
    mock.reset();
    for (let i = 0; i < 5; i++) {
      const r = await ask(a, `During the Redis outage ${i % 2}`, true);
      assert.equal(r.status, 200);
      assert.match(r.text, /mock reply to: During the Redis outage/);
    }
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    assert.match(metrics, /switchyard_cache_store_up\{backend="exact",type="redis"\} 0/);
    await redis!.start();
    await untilCached(a, 'After the Redis outage', 'hit');
    await untilCached(b, 'After the Redis outage', 'hit');
  });

  it('Postgres stopped: every request still answered upstream; semantic hits again once it is back', async (t) => {
    if (skip) return t.skip(skip);
    await ask(a, 'Which planet is largest?');
    await untilCached(b, 'which planet is largest', 'semantic-hit', 5000);
    postgres!.stop();
    try {
      for (let i = 0; i < 4; i++) {
        const r = await ask(b, `which planet is the largest one ${'?'.repeat(i)}`);
        assert.equal(r.status, 200);
        assert.notEqual(r.cache, 'semantic-hit');
      }
    } finally {
      postgres!.start();
    }
    await untilCached(b, 'Which planet is largest, please?', 'semantic-hit');
  });

  it('the embedding target failing: answered upstream as a miss; semantic hits after it recovers', async (t) => {
    if (skip) return t.skip(skip);
    await ask(a, 'How many moons does Mars have?');
    await untilCached(b, 'how many moons does mars have', 'semantic-hit', 5000);
    mock.setFaults([{ path: '/v1/embeddings', fault: { kind: 'status', status: 503 } }]);
    try {
      const r = await ask(b, 'how many moons does Mars have, please');
      assert.equal(r.status, 200);
      assert.equal(r.cache, 'miss');
    } finally {
      mock.setFaults([]);
    }
    await untilCached(b, 'Mars: how many moons does it have?', 'semantic-hit');
  });
});

describe('embedded semantic index', () => {
  it('keeps its entries across a restart (SQLite)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-cache-'));
    try {
      const cfg = () =>
        buildConfig(
          cacheConfig({
            storage: { sqlite_path: join(dir, 'switchyard.db') },
            cache: { enabled: true, namespace: 'global', semantic: { enabled: true, embedding_model: 'embed', threshold: 0.9 } },
          }),
        );
      const first = await startGateway({ config: cfg(), port: 0, host: '127.0.0.1', logger: silentLogger() });
      try {
        assert.equal((await ask(first, 'What is the speed of light?')).cache, 'miss');
        await untilCached(first, 'what is the speed of light', 'semantic-hit', 5000);
      } finally {
        await first.close();
      }
      mock.reset();
      const second = await startGateway({ config: cfg(), port: 0, host: '127.0.0.1', logger: silentLogger() });
      try {
        // The memory store is empty after the restart; the semantic entry came back from SQLite.
        const r = await ask(second, 'Speed of light?');
        assert.equal(r.cache, 'semantic-hit');
        assert.equal(chatCalls(), 0);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
