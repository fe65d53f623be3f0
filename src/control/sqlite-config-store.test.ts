import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openSqliteConfigStore } from './sqlite-config-store.js';

const actor = { token: 'admin' };

describe('SQLite config store', () => {
  it('commits revisions with what changed and the state after; plans see the current state', async () => {
    const store = await openSqliteConfigStore(':memory:');
    await store.migrate();
    await store.migrate();
    assert.deepEqual(await store.load(), { revision: 0, entities: [] });
    const r1 = await store.commit(actor, () => ({ changes: [{ kind: 'models', name: 'a', body: { targets: ['p/m'] } }], summary: 'create models/a' }));
    assert.equal(r1.revision, 1);
    assert.deepEqual(r1.changes, [{ kind: 'models', name: 'a', action: 'create', after: { targets: ['p/m'] } }]);
    const r2 = await store.commit(actor, (cur) => {
      assert.equal(cur.entities[0]!.revision, 1);
      return { changes: [{ kind: 'models', name: 'a', body: { targets: ['p/n'] } }, { kind: 'models', name: 'b', body: { targets: ['p/o'] } }], summary: 'two' };
    });
    assert.equal(r2.revision, 2);
    assert.equal(r2.changes[0]!.action, 'update');
    const same = await store.commit(actor, () => ({ changes: [{ kind: 'models', name: 'b', body: { targets: ['p/o'] } }], summary: 'no-op' }));
    assert.equal(same.revision, 2, 'an edit that changes nothing makes no revision');
    await assert.rejects(store.commit(actor, () => { throw new Error('refused'); }), /refused/);
    assert.equal(await store.head(), 2);
    const del = await store.commit({ token: 'admin', name: 'bob' }, () => ({ changes: [{ kind: 'models', name: 'a', body: null }], summary: 'delete' }));
    assert.equal(del.revision, 3);
    const list = await store.revisions({ limit: 2 });
    assert.deepEqual(list.map((r) => r.revision), [3, 2]);
    assert.deepEqual(list[0]!.actor, { token: 'admin', name: 'bob' });
    const two = await store.revision(2);
    assert.deepEqual(two!.state.map((e) => e.name), ['a', 'b']);
    assert.equal(await store.revision(99), undefined);
    await store.close();
  });
});
