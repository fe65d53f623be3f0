import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../observability/logger.js';
import { systemClock } from '../routing/clock.js';
import type { CacheConfig } from './cache-schema.js';
import { CacheService } from './cache-service.js';

const memory = (maxBytes: number) => ({ type: 'memory', max_bytes: maxBytes }) as CacheConfig['store'];

describe('CacheService', () => {
  it("closes a store once every snapshot using it is retired, and reads only the current one's failures as its state", async () => {
    const service = new CacheService(silentLogger());
    const [s1, s2, s3] = [{}, {}, {}];
    const a = service.storeFor(memory(1 << 20), systemClock, s1);
    assert.equal(service.storeFor(memory(1 << 20), systemClock, s2), a, 'the same config shares the store');
    const b = service.storeFor(memory(2 << 20), systemClock, s3);
    assert.notEqual(b, a);
    assert.deepEqual(service.open, { stores: 2, indexes: 0 });

    // A request still running on the old config fails on its store: counted, but the current store stays up.
    service.report('exact', a, false, new Error('old store'));
    assert.deepEqual(service.status(), [{ backend: 'exact', type: 'memory', up: true }]);
    assert.equal(service.counters.errors.store, 1);
    service.report('exact', b, false, new Error('current store'));
    assert.deepEqual(service.status(), [{ backend: 'exact', type: 'memory', up: false }]);
    service.report('exact', b, true);

    service.release(s1);
    assert.deepEqual(service.open, { stores: 2, indexes: 0 }, 's2 still uses the first store');
    service.release(s2);
    assert.deepEqual(service.open, { stores: 1, indexes: 0 });
    assert.equal(service.current().store, b);
    service.release(s3);
    assert.deepEqual(service.open, { stores: 0, indexes: 0 });
    assert.equal(service.current().store, undefined);
    await service.close();
  });
});
