import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openSqlite } from '../storage/sqlite-driver.js';
import { EmbeddedSemanticIndex } from './embedded-semantic-index.js';

const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

describe('EmbeddedSemanticIndex', () => {
  it('finds the nearest entry above the threshold, in its own group only', async () => {
    const idx = new EmbeddedSemanticIndex();
    await idx.add({ namespace: 'n', contextKey: 'c1', vector: unit([1, 0, 0]), value: 'x', expiresAt: 100 });
    await idx.add({ namespace: 'n', contextKey: 'c1', vector: unit([0, 1, 0]), value: 'y', expiresAt: 100 });
    const near = await idx.search({ namespace: 'n', contextKey: 'c1', vector: unit([0.95, 0.1, 0]), threshold: 0.9, now: 0 });
    assert.equal(near?.value, 'x');
    assert.ok(near!.similarity > 0.9);
    assert.equal(await idx.search({ namespace: 'n', contextKey: 'c1', vector: unit([0.6, 0.6, 0.5]), threshold: 0.9, now: 0 }), undefined);
    assert.equal(await idx.search({ namespace: 'n', contextKey: 'c2', vector: unit([1, 0, 0]), threshold: 0.5, now: 0 }), undefined);
    assert.equal(await idx.search({ namespace: 'm', contextKey: 'c1', vector: unit([1, 0, 0]), threshold: 0.5, now: 0 }), undefined);
  });

  it('skips expired entries and grows past its first capacity', async () => {
    const idx = new EmbeddedSemanticIndex();
    for (let i = 0; i < 200; i++) await idx.add({ namespace: 'n', contextKey: 'c', vector: unit([1, i / 1000, 0]), value: `v${i}`, expiresAt: i < 199 ? 10 : 1000 });
    const m = await idx.search({ namespace: 'n', contextKey: 'c', vector: unit([1, 0, 0]), threshold: 0.99, now: 0 });
    assert.ok(m);
    assert.equal((await idx.stats()).entries, 200);
    idx.sweep(50);
    assert.equal((await idx.stats()).entries, 1);
    assert.equal((await idx.search({ namespace: 'n', contextKey: 'c', vector: unit([1, 0, 0]), threshold: 0.97, now: 50 }))?.value, 'v199');
  });

  it('persists entries in SQLite and loads the unexpired ones', async () => {
    const db = await openSqlite(':memory:');
    const a = EmbeddedSemanticIndex.open(db, 0);
    await a.add({ namespace: 'n', contextKey: 'c', vector: unit([1, 0]), value: 'kept', expiresAt: 100 });
    await a.add({ namespace: 'n', contextKey: 'c', vector: unit([0, 1]), value: 'gone', expiresAt: 5 });
    const b = EmbeddedSemanticIndex.open(db, 10);
    assert.equal((await b.stats()).entries, 1);
    assert.equal((await b.search({ namespace: 'n', contextKey: 'c', vector: unit([1, 0.01]), threshold: 0.9, now: 10 }))?.value, 'kept');
    assert.equal(await b.clear('n'), 1);
    assert.equal((EmbeddedSemanticIndex.open(db, 10) as EmbeddedSemanticIndex) && (db.prepare('SELECT count(*) AS n FROM semantic_cache_entries').get() as { n: number }).n, 0);
    db.close();
  });
});
