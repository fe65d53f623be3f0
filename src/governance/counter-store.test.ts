import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryCounterStore } from './memory-counter-store.js';
import { Redis } from 'ioredis';
import { RedisCounterStore } from './redis-counter-store.js';
import type { CounterStore } from './counter-store.js';
import { startRedisOrSkip } from '../../test/helpers/redis.js';
import type { TestRedis } from '../../test/helpers/redis.js';

let redis: TestRedis | undefined;
let skip: string | undefined;
before(async () => ({ redis, skip } = await startRedisOrSkip()));
after(async () => redis?.close());

const stores: Array<[string, () => Promise<CounterStore | undefined>]> = [
  ['memory', async () => new MemoryCounterStore()],
  [
    'redis',
    async () => {
      if (!redis) return undefined;
      const s = new RedisCounterStore({ url: redis.url, timeoutMs: 1000, prefix: `t${Math.random()}:` });
      assert.ok(await s.waitReady(5000));
      return s;
    },
  ],
];

for (const [name, make] of stores) {
  describe(`${name} counter store`, () => {
    it('reserves all checks or none, and reports the first that does not fit', async (t) => {
      const s = await make();
      if (!s) return t.skip(skip);
      const p = `a${Math.random()}:`;
      const now = Date.now();
      const exp = now + 60_000;
      assert.deepEqual(await s.reserve([{ key: p + 'r', limit: 2, amount: 1, expireAt: exp }, { key: p + 'u', limit: 100, amount: 60, expireAt: exp }], now), { ok: true, values: [1, 60] });
      // The second check does not fit: nothing is added to the first.
      assert.deepEqual(await s.reserve([{ key: p + 'r', limit: 2, amount: 1, expireAt: exp }, { key: p + 'u', limit: 100, amount: 60, expireAt: exp }], now), { ok: false, index: 1, values: [1, 60] });
      assert.deepEqual(await s.read([p + 'r', p + 'u', p + 'none']), [1, 60, 0]);
      await s.adjust([{ key: p + 'u', delta: -50, expires: true }, { key: p + 'gone', delta: 5, expires: true }]);
      assert.deepEqual(await s.read([p + 'u', p + 'gone']), [10, 0], 'settles existing counters only');
      await s.adjust([{ key: p + 'u', delta: -1000, expires: true }]);
      assert.deepEqual(await s.read([p + 'u']), [0], 'never below zero');
      await s.adjust([{ key: p + 'u', delta: 7, expires: true }]);
      assert.deepEqual(await s.read([p + 'u']), [7], 'a counter at 0 that still exists is settled, not taken for gone');
      assert.deepEqual(await s.reserve([{ key: p + 'total', limit: 10, amount: 2, expireAt: Number.POSITIVE_INFINITY }], now), { ok: true, values: [2] });
      await s.adjust([{ key: p + 'total', delta: -2, expires: false }]);
      await s.adjust([{ key: p + 'total', delta: 3, expires: false }]);
      assert.deepEqual(await s.read([p + 'total']), [3], 'a counter that never expires, settled from 0');
      assert.deepEqual(await s.reserve([{ key: p + 'r', limit: 2, amount: 1, expireAt: Number.POSITIVE_INFINITY }], now), { ok: true, values: [2] });
      assert.deepEqual((await s.reserve([{ key: p + 'r', limit: 2, amount: 1, expireAt: exp }], now)).ok, false);
      await s.close();
    });

    it('applies a settlement queued in the same turn as a reservation before it, and one queued alone', async (t) => {
      const s = await make();
      if (!s) return t.skip(skip);
      const key = `s${Math.random()}`;
      const now = Date.now();
      const check = { key, limit: 1, amount: 1, expireAt: now + 60_000 };
      assert.equal((await s.reserve([check], now)).ok, true);
      // Full: a release and a new reservation in one turn; the release goes first.
      const released = s.adjust([{ key, delta: -1, expires: true }]);
      const again = s.reserve([check], now);
      await released;
      assert.deepEqual(await again, { ok: true, values: [1] });
      // A settlement with no reservation after it is still written.
      await s.adjust([{ key, delta: -1, expires: true }]);
      assert.deepEqual(await s.read([key]), [0]);
      await s.close();
    });

    it('counts amounts of 1e14 and more exactly (a large budget in nano-USD)', async (t) => {
      const s = await make();
      if (!s) return t.skip(skip);
      const key = `big${Math.random()}`;
      const now = Date.now();
      const big = 3 * 10 ** 14;
      assert.deepEqual(await s.reserve([{ key, limit: 10 ** 16, amount: big, expireAt: now + 60_000 }], now), { ok: true, values: [big] });
      await s.adjust([{ key, delta: -(10 ** 14), expires: true }]);
      assert.deepEqual(await s.read([key]), [2 * 10 ** 14]);
      // Refused: the amount is taken back exactly.
      assert.deepEqual((await s.reserve([{ key, limit: 10 ** 15, amount: 9 * 10 ** 14, expireAt: now + 60_000 }], now)).ok, false);
      assert.deepEqual(await s.read([key]), [2 * 10 ** 14]);
      await s.close();
    });

    it('holds a limit exactly under concurrent reservations', async (t) => {
      const s = await make();
      if (!s) return t.skip(skip);
      const key = `c${Math.random()}`;
      const now = Date.now();
      const results = await Promise.all(Array.from({ length: 200 }, () => s.reserve([{ key, limit: 37, amount: 1, expireAt: now + 60_000 }], now)));
      assert.equal(results.filter((r) => r.ok).length, 37);
      await s.close();
    });
  });
}

describe('redis counter store expiry', () => {
  it("sets a window counter's expiry when the reservation creates it, and a concurrency counter's on every reservation", async (t) => {
    if (!redis) return t.skip(skip);
    const s = new RedisCounterStore({ url: redis.url, timeoutMs: 1000, prefix: `t${Math.random()}:` });
    const raw = new Redis(redis.url);
    try {
      assert.ok(await s.waitReady(5000));
      const p = `e${Math.random()}:`;
      const now = Date.now();
      await s.reserve([{ key: p + 'w', limit: 10, amount: 1, expireAt: now + 60_000, refreshExpiry: false }, { key: p + 'c', limit: 10, amount: 1, expireAt: now + 60_000 }], now);
      const [w1, c1] = [await raw.pttl(p + 'w'), await raw.pttl(p + 'c')];
      assert.ok(w1 > 50_000 && w1 <= 60_000 && c1 > 50_000 && c1 <= 60_000, `${w1} ${c1}`);
      // A later reservation names a later expiry: only the concurrency counter takes it.
      await s.reserve([{ key: p + 'w', limit: 10, amount: 1, expireAt: now + 600_000, refreshExpiry: false }, { key: p + 'c', limit: 10, amount: 1, expireAt: now + 600_000 }], now);
      const [w2, c2] = [await raw.pttl(p + 'w'), await raw.pttl(p + 'c')];
      assert.ok(w2 <= 60_000, `window counter keeps its expiry: ${w2}`);
      assert.ok(c2 > 500_000, `concurrency counter refreshed: ${c2}`);
      // A refused reservation takes back what it added, and leaves no counter it created behind.
      const refused = await s.reserve([{ key: p + 'new', limit: 10, amount: 1, expireAt: now + 60_000, refreshExpiry: false }, { key: p + 'w', limit: 2, amount: 1, expireAt: now + 60_000, refreshExpiry: false }], now);
      assert.deepEqual(refused, { ok: false, index: 1, values: [0, 2] });
      assert.equal(await raw.exists(p + 'new'), 0);
      assert.equal(await raw.get(p + 'w'), '2');
      assert.ok((await raw.pttl(p + 'w')) > 0, 'keeps its expiry');
      // Settling a counter whose window ended (gone) leaves nothing behind, not a counter without expiry.
      await s.adjust([{ key: p + 'ended', delta: 4, expires: true }, { key: p + 'w', delta: 3, expires: true }]);
      assert.equal(await raw.exists(p + 'ended'), 0);
      assert.equal(await raw.get(p + 'w'), '5');
      assert.ok((await raw.pttl(p + 'w')) > 0, 'a settled counter keeps its expiry');
    } finally {
      raw.disconnect();
      await s.close();
    }
  });
});

describe('redis counter store: requests in flight, per replica', () => {
  it('counts every live replica\'s slots; a replica that stops (a crash) frees its slots within three heartbeats', async (t) => {
    if (!redis) return t.skip(skip);
    const prefix = `r${Math.random()}:`;
    const replica = () => new RedisCounterStore({ url: redis!.url, timeoutMs: 1000, prefix, heartbeatMs: 100 });
    const [a, b] = [replica(), replica()];
    const raw = new Redis(redis.url);
    try {
      assert.ok((await a.waitReady(5000)) && (await b.waitReady(5000)));
      const key = `${prefix}k:bot:inflight`;
      const now = Date.now();
      const slot = { key, limit: 3, amount: 1, expireAt: now + 15 * 60_000, perReplica: true };
      assert.deepEqual(await a.reserve([slot], now), { ok: true, values: [1] });
      assert.deepEqual(await a.reserve([slot], now), { ok: true, values: [2] });
      assert.deepEqual(await b.reserve([slot], now), { ok: true, values: [3] });
      assert.deepEqual(await b.reserve([slot], now), { ok: false, index: 0, values: [3] }, 'full: nothing added');
      assert.deepEqual(await b.read([key]), [3]);
      // A settles one of its requests: its own part goes down, B's is untouched.
      await a.adjust([{ key, delta: -1, expires: true, perReplica: true }]);
      assert.deepEqual(await b.read([key]), [2]);
      assert.equal(await raw.hlen(key), 2, 'one field per replica');

      // A dies holding a slot: no settlement, no more heartbeats.
      await a.close();
      const deadline = Date.now() + 5_000;
      let r = await b.reserve([slot], Date.now());
      while (!(r.ok && r.values[0] === 2)) {
        if (r.ok) await b.adjust([{ key, delta: -1, expires: true, perReplica: true }]);
        assert.ok(Date.now() < deadline, `A's slot was never freed: ${JSON.stringify(r)}`);
        await new Promise((res) => setTimeout(res, 50));
        r = await b.reserve([slot], Date.now());
      }
      assert.equal(await raw.hlen(key), 1, 'the dead replica\'s field is gone');
      // B settles everything: its field goes too, and the key with it.
      await b.adjust([{ key, delta: -2, expires: true, perReplica: true }]);
      assert.equal(await raw.exists(key), 0);
    } finally {
      raw.disconnect();
      await a.close();
      await b.close();
    }
  });

  it('a refused reservation takes its in-flight slot back', async (t) => {
    if (!redis) return t.skip(skip);
    const s = new RedisCounterStore({ url: redis.url, timeoutMs: 1000, prefix: `r${Math.random()}:` });
    try {
      assert.ok(await s.waitReady(5000));
      const p = `f${Math.random()}:`;
      const now = Date.now();
      const refused = await s.reserve([{ key: p + 'inflight', limit: 5, amount: 1, expireAt: now + 60_000, perReplica: true }, { key: p + 'usd', limit: 10, amount: 11, expireAt: now + 60_000, refreshExpiry: false }], now);
      assert.deepEqual(refused, { ok: false, index: 1, values: [0, 0] });
      assert.deepEqual(await s.read([p + 'inflight', p + 'usd']), [0, 0]);
    } finally {
      await s.close();
    }
  });
});

