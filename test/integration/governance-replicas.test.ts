/**
 * Governance across three gateway replicas sharing one real Redis (started by the test): a rate
 * limit is the same number on three replicas as on one, a budget is never exceeded by concurrent
 * requests (the request log's settled costs), token limits count real usage, and a Redis outage
 * is handled as configured (fail_open keeps answering within what was left, fail_closed answers
 * 503) with exact counting again once Redis is back, the outage's counts included.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import type { MockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startGateway } from '../../src/start-gateway.js';
import type { RunningGateway } from '../../src/start-gateway.js';
import { buildConfig, defaultConfig } from '../helpers/stack.js';
import { startCli } from '../helpers/cli.js';
import { startRedisOrSkip } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';

const ADMIN = 'admin-token-governance-test';
/** Pinned inside one minute, so a run cannot straddle two rate windows. */
const NOW = Date.UTC(2026, 4, 6, 12, 0, 30);
const clock = () => NOW;

let redis: TestRedis | undefined;
let skip: string | undefined;
let mock: MockUpstream;
const running: RunningGateway[] = [];

before(async () => {
  ({ redis, skip } = await startRedisOrSkip());
  mock = await startMockUpstream();
});
after(async () => {
  await Promise.all(running.map((g) => g.close()));
  await mock?.close();
  await redis?.close();
});

/** Exactness tests wait long for Redis (a loaded CI machine must not turn a slow answer into fail_open); the outage test does not. */
async function replicas(n: number, extra: Record<string, unknown>, onError: 'fail_open' | 'fail_closed' = 'fail_open', timeoutMs = 5000): Promise<RunningGateway[]> {
  const out: RunningGateway[] = [];
  for (let i = 0; i < n; i++) {
    const config = buildConfig({
      ...defaultConfig(mock.url),
      server: { host: '127.0.0.1', port: 0, admin_token: ADMIN },
      logging: { level: 'silent', flush_interval_ms: 20 },
      pricing: { overrides: { 'openai/gpt-4o-mini': { input: 2000, output: 2000 } } },
      governance: { enabled: true, counters: { type: 'redis', url: redis!.url, timeout_ms: timeoutMs }, on_counter_store_error: onError },
      ...extra,
    });
    const gw = await startGateway({ config, port: 0, host: '127.0.0.1', logger: silentLogger(), governanceClock: clock });
    running.push(gw);
    out.push(gw);
  }
  return out;
}

interface Answer {
  status: number;
  headers: Headers;
  body: { error?: { message: string } } & Record<string, unknown>;
}

/** A counter's value in the test's Redis (0 when absent or Redis is not answering yet). */
async function redisValue(key: string): Promise<number> {
  const client = new Redis(redis!.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  try {
    await client.connect();
    return Number((await client.get(key)) ?? 0);
  } catch {
    return 0;
  } finally {
    client.disconnect();
  }
}

async function ask(gw: RunningGateway | string, key: string, maxTokens = 16): Promise<Answer> {
  const res = await fetch(`${typeof gw === 'string' ? gw : gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'count me' }], max_tokens: maxTokens }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer['body'] };
}

/** `total` requests, `concurrency` at a time, spread round-robin over the replicas. */
async function load(gws: RunningGateway[], key: string, total: number, concurrency: number, maxTokens?: number): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      answers.push(await ask(gws[i % gws.length]!, key, maxTokens));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return answers;
}

/** The request log's totals on one replica, once it holds `rows` rows (bounded wait). */
async function loggedTotals(gw: RunningGateway, rows: number): Promise<{ requests: number; cost_usd: number; input_tokens: number; output_tokens: number }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await fetch(`${gw.url}/api/stats?window=1h&to=${new Date(Date.now() + 60_000).toISOString()}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const s = (await res.json()) as { requests: number; cost_usd: number; input_tokens: number; output_tokens: number };
    if (s.requests >= rows) return s;
    if (Date.now() > deadline) throw new Error(`the request log holds ${s.requests} rows, expected ${rows}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('governance on three replicas sharing Redis', () => {
  it('1,000 requests at concurrency 50 against 300/min: exactly 300 answered, 700 refused with 429 and headers', async (t) => {
    if (!redis) return t.skip(skip);
    const key = 'sk-sy-replicas-rate-key-0000000001';
    const gws = await replicas(3, { virtual_keys: { rate: { key, rate_limits: [{ requests: 300, per: '1m' }] } } });
    const answers = await load(gws, key, 1000, 50);
    const ok = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    assert.equal(ok.length, 300);
    assert.equal(refused.length, 700);
    for (const a of refused) {
      assert.equal(a.headers.get('x-switchyard-error-code'), 'GW_ERR_RATE_LIMITED');
      assert.equal(a.headers.get('x-ratelimit-limit-requests'), '300');
      assert.equal(a.headers.get('x-ratelimit-remaining-requests'), '0');
      assert.equal(a.headers.get('retry-after'), '30');
      assert.match(a.body.error!.message, /allows 300 requests per 1m/);
    }
    const remaining = ok.map((a) => Number(a.headers.get('x-ratelimit-remaining-requests'))).sort((x, y) => x - y);
    assert.deepEqual(remaining, Array.from({ length: 300 }, (_, i) => i), 'each answered request saw its own place in the window');
  });

  it('budget $1.00, 200 concurrent requests across the replicas: settled costs in the request log stay within it', async (t) => {
    if (!redis) return t.skip(skip);
    const key = 'sk-sy-replicas-budget-key-00000001';
    const gws = await replicas(3, { virtual_keys: { spender: { key, budgets: [{ max_usd: 1.0, period: '1d' }] } } });
    const answers = await load(gws, key, 200, 200, 40);
    const ok = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status !== 200);
    assert.ok(ok.length > 0 && refused.length > 0, `answered ${ok.length}, refused ${refused.length}`);
    for (const a of refused) {
      assert.equal(a.status, 429);
      assert.equal(a.headers.get('x-switchyard-error-code'), 'GW_ERR_BUDGET_EXHAUSTED');
      assert.match(a.body.error!.message, /budget exhausted: the 1d budget of virtual key spender \(\$1\)/);
    }
    const totals = await Promise.all(gws.map((g, i) => loggedTotals(g, answers.filter((_, j) => j % 3 === i).length)));
    const spent = totals.reduce((n, s) => n + s.cost_usd, 0);
    assert.ok(spent > 0 && spent <= 1.0, `settled spend ${spent}`);
  });

  it('token limit: tokens counted from real usage never exceed it', async (t) => {
    if (!redis) return t.skip(skip);
    const key = 'sk-sy-replicas-token-key-000000001';
    const gws = await replicas(3, { virtual_keys: { tokens: { key, rate_limits: [{ tokens: 3000, per: '1m' }] } } });
    const answers = await load(gws, key, 200, 200, 40);
    const ok = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    assert.equal(ok.length + refused.length, 200);
    assert.ok(ok.length > 0 && refused.length > 0);
    for (const a of refused) assert.match(a.body.error!.message, /allows 3000 tokens per 1m/);
    const used = ok.reduce((n, a) => n + Number((a.body['usage'] as { total_tokens: number }).total_tokens), 0);
    assert.ok(used <= 3000, `used ${used} tokens`);
  });

  it('Redis killed: fail_open keeps answering, fail_closed answers 503; exact limits resume when it returns', async (t) => {
    if (!redis) return t.skip(skip);
    const key = 'sk-sy-replicas-outage-key-00000001';
    const keys = { virtual_keys: { outage: { key, rate_limits: [{ requests: 60, per: '1m' }] } } };
    const [open] = await replicas(1, keys, 'fail_open', 2000);
    const [closed] = await replicas(1, keys, 'fail_closed', 2000);
    assert.equal((await ask(open!, key)).status, 200);
    await redis.kill();
    const during = await Promise.all([ask(open!, key), ask(open!, key), ask(closed!, key)]);
    assert.deepEqual(during.map((a) => a.status), [200, 200, 503]);
    assert.equal(during[2]!.headers.get('x-switchyard-error-code'), 'GW_ERR_GOVERNANCE_UNAVAILABLE');
    // Locally limited (what was left of 60 when Redis was last seen, shared by the replicas seen):
    // the open replica stops at its share, it never hangs.
    const more = await Promise.all(Array.from({ length: 70 }, () => ask(open!, key)));
    assert.ok(more.every((a) => a.status === 200 || a.status === 429));
    assert.ok(more.some((a) => a.status === 429));
    const metrics = await (await fetch(`${open!.url}/metrics`)).text();
    assert.match(metrics, /^switchyard_governance_store_up 0$/m);
    const countedLocally = 2 + more.filter((a) => a.status === 200).length;

    await redis.start();
    // Redis came back empty. Once the open replica is connected again, what it answered during the
    // outage is added to Redis (bounded wait); then counting goes on there, exactly, shared by both.
    const deadline = Date.now() + 15_000;
    while ((await redisValue(`switchyard:gov:k:outage:requests:1m:${NOW - (NOW % 60_000)}`)) !== countedLocally) {
      assert.ok(Date.now() < deadline, 'the open replica did not reconnect to Redis, or did not add its outage counts');
      await new Promise((r) => setTimeout(r, 50));
    }
    while (!/^switchyard_governance_store_up 1$/m.test(await (await fetch(`${closed!.url}/metrics`)).text())) {
      assert.ok(Date.now() < deadline, 'the closed replica did not reconnect to Redis');
      await new Promise((r) => setTimeout(r, 50));
    }
    const after = await load([open!, closed!], key, 80, 8);
    assert.equal(after.filter((a) => a.status === 200).length, Math.max(0, 60 - countedLocally));
    assert.equal(after.filter((a) => a.status === 429).length, 80 - Math.max(0, 60 - countedLocally));
  });

  it('a replica killed with requests in flight: their max_concurrent slots come free on the others within seconds', async (t) => {
    if (!redis) return t.skip(skip);
    const key = 'sk-sy-replicas-inflight-key-00001';
    const raw = {
      ...defaultConfig(mock.url),
      server: { host: '127.0.0.1', port: 0 },
      logging: { level: 'silent' },
      storage: { sqlite_path: ':memory:' },
      governance: { enabled: true, counters: { type: 'redis', url: redis.url } },
      virtual_keys: { busy: { key, max_concurrent: 2 } },
    };
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-inflight-'));
    const configFile = join(dir, 'replica-a.json');
    writeFileSync(configFile, JSON.stringify(raw));
    // Replica A, in its own process: two requests to an upstream that never answers hold both slots.
    const a = await startCli(configFile);
    const [b] = await replicas(1, { virtual_keys: raw.virtual_keys });
    try {
      mock.reset();
      mock.setFaults([{ fault: { kind: 'blackhole' } }]);
      const held = [ask(a.url, key), ask(a.url, key)].map((p) => p.catch(() => undefined));
      await mock.waitForRequests(2);
      const full = await ask(b!, key);
      assert.equal(full.status, 429);
      assert.match(full.body.error!.message, /already has 2 requests in flight/);

      // A crashes: it never settles. Its slots stop counting once it misses three heartbeats (15 s).
      a.process.kill('SIGKILL');
      await once(a.process, 'exit');
      await Promise.all(held);
      mock.setFaults([]);
      const deadline = Date.now() + 30_000;
      for (;;) {
        const r = await ask(b!, key);
        if (r.status === 200) break;
        assert.equal(r.status, 429);
        assert.ok(Date.now() < deadline, 'the dead replica still holds its slots after 30 s');
        await new Promise((res) => setTimeout(res, 200));
      }
    } finally {
      mock.setFaults([]);
      if (a.process.exitCode === null && a.process.signalCode === null) a.process.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Redis killed near the end of a limit: fail_open shares out only what was left, and Redis gets what was counted meanwhile', async (t) => {
    if (!redis) return t.skip(skip);
    const key = 'sk-sy-replicas-nearly-spent-000001';
    // Its own key prefix: the only replica it sees is itself, so its share is all that was left.
    const governance = { enabled: true, counters: { type: 'redis', url: redis.url, timeout_ms: 2000, key_prefix: 'nearly-spent:' }, on_counter_store_error: 'fail_open' };
    const [gw] = await replicas(1, { governance, virtual_keys: { nearly: { key, rate_limits: [{ requests: 10, per: '1h' }] } } });
    const before = await load([gw!], key, 8, 1);
    assert.deepEqual(before.map((a) => a.status), Array(8).fill(200));
    await redis.kill();
    let restarted = false;
    try {
      // 2 of 10 were left: the replica answers 2 more, not 10 more.
      const during = await load([gw!], key, 10, 1);
      const answered = during.filter((a) => a.status === 200).length;
      assert.equal(answered, 2, `answered ${answered} of 10 with 2 left`);
      for (const a of during.filter((x) => x.status !== 200)) {
        assert.equal(a.status, 429);
        assert.match(a.body.error!.message, /allows 10 requests per 1h/);
      }
      await redis.start();
      restarted = true;
    } finally {
      if (!restarted) await redis.start();
    }
    // Redis came back empty. Once the replica is connected again, the 2 answered during the outage
    // are in Redis too: 8 more fit in the window, not 10.
    const deadline = Date.now() + 15_000;
    while ((await redisValue(`nearly-spent:k:nearly:requests:1h:${NOW - (NOW % 3_600_000)}`)) !== 2) {
      assert.ok(Date.now() < deadline, 'the counts of the outage never reached Redis');
      await new Promise((r) => setTimeout(r, 50));
    }
    const after = await load([gw!], key, 12, 1);
    assert.equal(after.filter((a) => a.status === 200).length, 8);
  });
});
