/**
 * One contract, two real databases: SQLite in a temp file and a Postgres server started for the
 * test (skipped with the reason when Postgres cannot start here; a failure in CI).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startPostgres } from '../../test/helpers/postgres.js';
import type { TestPostgres } from '../../test/helpers/postgres.js';
import { openResponseStore } from './response-store.js';
import { openSqlite } from './sqlite-driver.js';
import type { ResponseStore, StoredResponse } from './response-store.js';

const T0 = Date.UTC(2026, 0, 1);

function stored(over: Partial<StoredResponse> = {}): StoredResponse {
  return {
    id: 'resp_1',
    owner: 'owner-a',
    createdAt: T0,
    response: { id: 'resp_1', object: 'response', output: [{ type: 'message', content: [{ type: 'output_text', text: 'nul \u0000 and ü' }] }] },
    inputItems: [{ id: 'msg_1', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] }],
    ...over,
  };
}

function contract(name: string, open: () => Promise<(() => Promise<ResponseStore>) | string>) {
  describe(`${name} response store`, () => {
    let store: ResponseStore;
    let skip: string | undefined;
    before(async () => {
      const r = await open();
      if (typeof r === 'string') skip = r;
      else {
        // Two connections creating the table at the same time (replicas starting together).
        const [a, b] = await Promise.all([r(), r()]);
        store = a;
        await b.close();
      }
    });
    after(() => store?.close());

    it('stores a response and reads it back whole, for its owner only', async (t) => {
      if (skip) return t.skip(skip);
      await store.put(stored());
      const got = await store.get('resp_1', 'owner-a');
      assert.deepEqual(got, stored());
      assert.equal(await store.get('resp_1', 'owner-b'), undefined, 'another client key cannot read it');
      assert.equal(await store.get('resp_nope', 'owner-a'), undefined);
    });

    it('replaces a response stored again under the same id', async (t) => {
      if (skip) return t.skip(skip);
      await store.put(stored({ response: { id: 'resp_1', status: 'completed' } }));
      assert.deepEqual((await store.get('resp_1', 'owner-a'))?.response, { id: 'resp_1', status: 'completed' });
    });

    it('deletes for the owner only, and says whether it did', async (t) => {
      if (skip) return t.skip(skip);
      assert.equal(await store.delete('resp_1', 'owner-b'), false);
      assert.equal(await store.delete('resp_1', 'owner-a'), true);
      assert.equal(await store.delete('resp_1', 'owner-a'), false);
      assert.equal(await store.get('resp_1', 'owner-a'), undefined);
    });

    it('purges responses older than the retention', async (t) => {
      if (skip) return t.skip(skip);
      await store.put(stored({ id: 'resp_old', createdAt: T0 - 10_000 }));
      await store.put(stored({ id: 'resp_new', createdAt: T0 + 10_000 }));
      assert.equal(await store.deleteOlderThan(T0), 1);
      assert.equal(await store.get('resp_old', 'owner-a'), undefined);
      assert.ok(await store.get('resp_new', 'owner-a'));
    });

    it('purges a backlog larger than one chunk of the delete whole', async (t) => {
      if (skip) return t.skip(skip);
      const n = 1_234;
      await Promise.all(Array.from({ length: n }, (_, i) => store.put(stored({ id: `resp_backlog_${i}`, createdAt: T0 - 20_000 - i }))));
      assert.equal(await store.deleteOlderThan(T0 - 5_000), n);
      assert.equal(await store.get('resp_backlog_0', 'owner-a'), undefined);
      assert.ok(await store.get('resp_new', 'owner-a'));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'sy-responses-'));
after(() => rmSync(dir, { recursive: true, force: true }));
contract('SQLite', async () => () => openResponseStore({ sqlite_path: join(dir, 'nested', 'responses.db') }));

describe('SQLite response store beside another writer', () => {
  it("waits for another connection's write lock with the event loop free, and stores once it is released", async () => {
    const path = join(dir, 'locked.db');
    const store = await openResponseStore({ sqlite_path: path });
    const holder = await openSqlite(path);
    try {
      holder.exec('BEGIN IMMEDIATE');
      let settled = false;
      const put = store.put(stored({ id: 'resp_locked' })).finally(() => (settled = true));
      // Turns of the event loop run while the write waits (with SQLite's busy timeout, the put
      // would hold this thread inside the call until the lock came free or the timeout ended).
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      assert.equal(settled, false, 'the write waits for the lock');
      holder.exec('COMMIT');
      await put;
      assert.ok(await store.get('resp_locked', 'owner-a'));
    } finally {
      holder.close();
      await store.close();
    }
  });
});

let pgServer: TestPostgres | undefined;
after(() => pgServer?.close());
contract('Postgres', async () => {
  const started = await startPostgres();
  if (!started.ok) {
    if (process.env.CI === 'true') throw new Error(`Postgres is required in CI: ${started.reason}`);
    return started.reason;
  }
  pgServer = started.pg;
  const url = await started.pg.createDatabase('responses');
  return () => openResponseStore({ sqlite_path: ':memory:', postgres_url: url });
});
