import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig, defaultConfig } from '../../test/helpers/stack.js';
import { silentLogger } from '../observability/logger.js';
import type { GatewayServices } from '../pipeline/feature.js';
import { loadRuntime } from '../routing/runtime.js';
import { counterFileOf, governanceMiddleware } from './governance-middleware.js';
import { GovernanceService } from './governance-service.js';

const services = { whenRetired: () => {} } as unknown as GatewayServices;

describe('governance middleware: where memory counters are kept', () => {
  it('in the request log\'s SQLite file; nowhere with :memory: or Postgres', () => {
    assert.equal(counterFileOf({ sqlite_path: './data/switchyard.db' }), './data/switchyard.db');
    assert.equal(counterFileOf({ sqlite_path: ':memory:' }), undefined);
    assert.equal(counterFileOf({ sqlite_path: './data/switchyard.db', postgres_url: 'postgres://db/switchyard' }), undefined);
  });

  it('warns once when memory counters meet a Postgres request log (replicas would each count alone)', async () => {
    const warnings: string[] = [];
    const logger = silentLogger();
    logger.warn = ((msg: unknown) => void warnings.push(String(msg))) as typeof logger.warn;
    const service = new GovernanceService(logger);
    const factory = governanceMiddleware({ service });
    const raw = { ...defaultConfig('http://127.0.0.1:9'), governance: { enabled: true, counters: { type: 'memory' } } };
    for (const storage of [{ postgres_url: 'postgres://127.0.0.1:9/switchyard' }, { postgres_url: 'postgres://127.0.0.1:9/switchyard' }, { sqlite_path: ':memory:' }]) {
      assert.ok(factory(await loadRuntime(buildConfig({ ...raw, storage })), services));
    }
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /each replica counts its own limits.*counters: \{ type: redis \}/);
    await service.close();
  });
});
