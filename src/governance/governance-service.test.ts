import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../observability/logger.js';
import type { GovernanceConfig } from './governance-schema.js';
import { GovernanceService, localShares } from './governance-service.js';
import { MemoryCounterStore } from './memory-counter-store.js';

const memory = { on_counter_store_error: 'fail_open', counters: { type: 'memory' } } as unknown as GovernanceConfig;
/** A Redis nobody listens on: the store fails fast, and closing it is what is checked. */
const redis = { on_counter_store_error: 'fail_open', counters: { type: 'redis', url: 'redis://127.0.0.1:1', timeout_ms: 50, key_prefix: 't:' } } as unknown as GovernanceConfig;

describe('GovernanceService: stores replaced by a config change', () => {
  it('closes a replaced store once every snapshot that used it is retired', async () => {
    const s = new GovernanceService(silentLogger());
    const [s1, s2, s3, s4] = [{}, {}, {}, {}];
    s.configure(memory, s1);
    s.configure(memory, s2); // unchanged: the same store, two users
    assert.equal(s.status()?.kind, 'memory');
    s.configure(redis, s3);
    assert.equal(s.status()?.kind, 'redis');
    assert.equal(s.retiredOpen, 1, 'the memory store, still used by s1 and s2');
    s.release(s1);
    assert.equal(s.retiredOpen, 1, 's2 still runs on it');
    s.release(s2);
    assert.equal(s.retiredOpen, 0, 'closed');
    s.configure(memory, s4);
    assert.equal(s.retiredOpen, 1, 'the Redis store, used by s3');
    s.release(s4); // the current store is never closed by a release
    assert.equal(s.status()?.kind, 'memory');
    s.release(s3);
    assert.equal(s.retiredOpen, 0);
    await s.close();
  });

  it('settles a reservation in the store it was made in, after a reload replaced that store', async () => {
    const s = new GovernanceService(silentLogger());
    const [s1, s2] = [{}, {}];
    s.configure(memory, s1);
    const { result, where } = await s.reserve([{ key: 'tokens', limit: 100, amount: 40, expireAt: Infinity }], Date.now());
    assert.deepEqual(result, { ok: true, values: [40] });
    assert.ok(where instanceof MemoryCounterStore);
    s.configure(memory, s2); // unchanged: still the same store
    const { where: again } = await s.reserve([{ key: 'tokens', limit: 100, amount: 0, expireAt: Infinity }], Date.now());
    assert.equal(again, where);
    s.configure(redis, s2);
    // The request reserved under s1 ends: 30 of its 40 reserved tokens were not used.
    s.settle(where, [{ key: 'tokens', delta: -30, expires: false }]);
    assert.deepEqual(await where.read(['tokens']), [10], 'settled where it was reserved, not in the new store');
    await s.close();
  });
});

describe('localShares: the limits a replica applies while Redis is down', () => {
  const check = (limit: number, seen?: number) => ({ key: 'k', limit, amount: 1, expireAt: 0, ...(seen !== undefined ? { seen } : {}) });

  it('shares out what was left when Redis was last seen, not the whole limit again', () => {
    assert.deepEqual(localShares([check(100, 90)], 1).map((c) => c.limit), [10]);
    assert.deepEqual(localShares([check(100, 90)], 3).map((c) => c.limit), [3]);
    assert.deepEqual(localShares([check(100, 100), check(100, 140)], 2).map((c) => c.limit), [0, 0], 'spent (or overspent): nothing left to share');
  });

  it('a counter never seen (a new window, concurrency) gets its share of the whole limit', () => {
    assert.deepEqual(localShares([check(100)], 1).map((c) => c.limit), [100]);
    assert.deepEqual(localShares([check(100), check(1)], 4).map((c) => c.limit), [25, 1]);
  });
});
