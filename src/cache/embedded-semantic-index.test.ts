import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openSqlite } from '../storage/sqlite-driver.js';
import type { SqliteDb } from '../storage/sqlite-driver.js';
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

  it('skips expired entries, and the sweep forgets them', async () => {
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
    const rows = () => (db.prepare('SELECT count(*) AS n FROM semantic_cache_entries').get() as { n: number }).n;
    assert.equal(rows(), 0, 'written behind the graph, not in the add');
    assert.equal(a.flush(), true);
    assert.equal(rows(), 2);
    const b = EmbeddedSemanticIndex.open(db, 10);
    assert.equal(await b.loaded, 1);
    assert.equal((await b.stats()).entries, 1);
    assert.equal((await b.search({ namespace: 'n', contextKey: 'c', vector: unit([1, 0.01]), threshold: 0.9, now: 10 }))?.value, 'kept');
    assert.equal(await b.clear('n'), 1);
    assert.equal(rows(), 0, 'a clear is written at once');
    db.close();
  });

  it('loads vectors written as JSON text by earlier versions, and as float32 bytes now', async () => {
    const db = await openSqlite(':memory:');
    EmbeddedSemanticIndex.open(db, 0);
    db.prepare('INSERT INTO semantic_cache_entries (namespace, context_key, vector, value, expires_at) VALUES (?, ?, ?, ?, ?)').run('n', 'c', JSON.stringify(unit([1, 0, 0])), 'old', 100);
    const a = EmbeddedSemanticIndex.open(db, 0);
    await a.add({ namespace: 'n', contextKey: 'c', vector: unit([0, 0, 1]), value: 'new', expiresAt: 100 });
    a.flush();
    const b = EmbeddedSemanticIndex.open(db, 0);
    await b.loaded;
    const near = (v: number[]) => b.search({ namespace: 'n', contextKey: 'c', vector: unit(v), threshold: 0.99, now: 0 });
    assert.equal((await near([1, 0, 0]))?.value, 'old');
    assert.equal((await near([0, 0, 1]))?.value, 'new');
    assert.ok((await near([0, 0, 1]))!.similarity > 0.9999, 'float32 keeps the similarity');
    db.close();
  });

  it('loads saved entries without holding the event loop, and a clear meanwhile wins', async () => {
    const db = await openSqlite(':memory:');
    const a = EmbeddedSemanticIndex.open(db, 0);
    for (let i = 0; i < 50; i++) await a.add({ namespace: i % 2 ? 'x' : 'y', contextKey: 'c', vector: unit([1, i]), value: `v${i}`, expiresAt: 100 });
    a.flush();
    const b = EmbeddedSemanticIndex.open(db, 0, { loadSliceMs: 0 });
    let loading = true;
    let turns = 0;
    const counter = (async () => {
      while (loading) {
        await new Promise((r) => setImmediate(r));
        turns++;
      }
    })();
    // The first saved entry (namespace y) is in; the x entries read with it must not come back.
    assert.equal(await b.clear('x'), 0);
    assert.equal(await b.loaded, 25);
    loading = false;
    await counter;
    assert.ok(turns >= 20, `other work ran between the entries (${turns} turns)`);
    assert.equal((await b.stats()).entries, 25);
    assert.equal(await b.search({ namespace: 'x', contextKey: 'c', vector: unit([1, 1]), threshold: 0.5, now: 0 }), undefined);
    db.close();
  });

  it('keeps at most maxEntries, in SQLite too (trimmed at the sweep and at open)', async () => {
    const db = await openSqlite(':memory:');
    const rows = () => (db.prepare('SELECT count(*) AS n FROM semantic_cache_entries').get() as { n: number }).n;
    const a = EmbeddedSemanticIndex.open(db, 0, { maxEntries: 4 });
    for (let i = 0; i < 10; i++) await a.add({ namespace: 'n', contextKey: `c${i}`, vector: unit([1, i]), value: `v${i}`, expiresAt: 100 });
    a.flush();
    assert.equal((await a.stats()).entries, 4);
    assert.equal(rows(), 10, 'SQLite catches up at the sweep');
    a.sweep(0);
    a.flush();
    assert.equal(rows(), 4);
    for (let i = 10; i < 13; i++) await a.add({ namespace: 'n', contextKey: `c${i}`, vector: unit([1, i]), value: `v${i}`, expiresAt: 100 });
    a.flush();
    const b = EmbeddedSemanticIndex.open(db, 0, { maxEntries: 4 });
    assert.equal(await b.loaded, 4, 'only the newest rows load');
    assert.equal(rows(), 4);
    assert.equal((await b.search({ namespace: 'n', contextKey: 'c12', vector: unit([1, 12]), threshold: 0.99, now: 0 }))?.value, 'v12');
    assert.equal(await b.search({ namespace: 'n', contextKey: 'c8', vector: unit([1, 8]), threshold: 0.99, now: 0 }), undefined);
    db.close();
  });

  it('deletes the rows of swept entries with the next flush', async () => {
    const db = await openSqlite(':memory:');
    const idx = EmbeddedSemanticIndex.open(db, 0);
    for (let i = 0; i < 30; i++) await idx.add({ namespace: 'n', contextKey: `c${i % 3}`, vector: unit([1, i]), value: `v${i}`, expiresAt: i < 20 ? 10 : 100 });
    idx.flush();
    idx.sweep(50);
    assert.equal((await idx.stats()).entries, 10);
    idx.flush();
    assert.equal((db.prepare('SELECT count(*) AS n FROM semantic_cache_entries').get() as { n: number }).n, 10);
    db.close();
  });

  /** A WAL database file in a fresh folder, removed after `fn`. */
  async function withDbFile(fn: (file: string, db: SqliteDb) => Promise<void>): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-semantic-'));
    const file = join(dir, 'cache.db');
    try {
      const db = await openSqlite(file);
      db.exec('PRAGMA journal_mode = WAL');
      await fn(file, db);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** onPersist's calls, and a wait (bounded) for the next one. */
  function persistWatch() {
    const told: boolean[] = [];
    let waiting: (() => void) | undefined;
    return {
      told,
      onPersist: (ok: boolean) => {
        told.push(ok);
        waiting?.();
      },
      next: (what: string) =>
        new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`no ${what} within 15 s (told: ${told.join()})`)), 15_000);
          waiting = () => {
            clearTimeout(t);
            resolve();
          };
        }),
    };
  }

  it('in line, never waits for a locked database: adds stay queued and are written once it is free', () =>
    withDbFile(async (file, db) => {
      const other = await openSqlite(file);
      const { told, onPersist } = persistWatch();
      try {
        const idx = EmbeddedSemanticIndex.open(db, 0, { onPersist, failingReportedAfterMs: 0 });
        // Another writer (the request log's thread, in the gateway) holds the file's write lock.
        other.exec('BEGIN IMMEDIATE');
        await idx.add({ namespace: 'n', contextKey: 'c', vector: unit([1, 0]), value: 'queued', expiresAt: 100 });
        assert.equal(idx.flush(), false, 'the flush gives up at once instead of waiting');
        assert.equal((await idx.search({ namespace: 'n', contextKey: 'c', vector: unit([1, 0]), threshold: 0.9, now: 0 }))?.value, 'queued', 'served from memory meanwhile');
        other.exec('COMMIT');
        assert.equal(idx.flush(), true);
        assert.equal((other.prepare('SELECT count(*) AS n FROM semantic_cache_entries').get() as { n: number }).n, 1);
        assert.deepEqual(told, [false, true], 'told once when writing failed and once when it worked again');
        await idx.close();
      } finally {
        other.close();
      }
    }));

  describe('with a writer thread (a database file)', () => {
    const rowsOf = async (file: string) => {
      const c = await openSqlite(file);
      try {
        return c.prepare('SELECT namespace, value FROM semantic_cache_entries ORDER BY id').all() as Array<{ namespace: string; value: string }>;
      } finally {
        c.close();
      }
    };

    it('writes the rows on its own thread, in order: adds, then a clear; close() writes the rest', () =>
      withDbFile(async (file, db) => {
        const { told, onPersist } = persistWatch();
        const idx = EmbeddedSemanticIndex.open(db, 0, { writerPath: file, onPersist });
        for (let i = 0; i < 3; i++) await idx.add({ namespace: 'a', contextKey: 'c', vector: unit([1, i]), value: `a${i}`, expiresAt: 100 });
        for (let i = 0; i < 2; i++) await idx.add({ namespace: 'b', contextKey: 'c', vector: unit([i, 1]), value: `b${i}`, expiresAt: 100 });
        assert.equal(idx.flush(), true, 'handed to the thread');
        await idx.clear('b');
        await idx.add({ namespace: 'b', contextKey: 'c', vector: unit([0, 1]), value: 'b-after', expiresAt: 100 });
        await idx.close();
        assert.deepEqual(told, [], 'nothing failed');
        assert.deepEqual((await rowsOf(file)).map((r) => r.value), ['a0', 'a1', 'a2', 'b-after']);
        const again = EmbeddedSemanticIndex.open(await openSqlite(file), 0);
        assert.equal(await again.loaded, 4);
        assert.equal((await again.search({ namespace: 'a', contextKey: 'c', vector: unit([1, 2]), threshold: 0.999, now: 0 }))?.value, 'a2', 'the vector came back whole');
        await again.close();
      }));

    it('keeps a batch the lock held back and writes it once the lock is free, telling of both', () =>
      withDbFile(async (file, db) => {
        const other = await openSqlite(file);
        try {
          const { told, onPersist, next } = persistWatch();
          const idx = EmbeddedSemanticIndex.open(db, 0, { writerPath: file, failingReportedAfterMs: 0, onPersist });
          // Another writer holds the file's write lock for longer than the thread waits for it (2 s).
          other.exec('BEGIN IMMEDIATE');
          const failed = next('failure');
          await idx.add({ namespace: 'n', contextKey: 'c', vector: unit([1, 0]), value: 'held', expiresAt: 100 });
          assert.equal(idx.flush(), true, 'the event loop only hands the batch over');
          assert.equal((await idx.search({ namespace: 'n', contextKey: 'c', vector: unit([1, 0]), threshold: 0.9, now: 0 }))?.value, 'held', 'served from memory meanwhile');
          await failed;
          const recovered = next('recovery');
          other.exec('COMMIT');
          await recovered;
          assert.deepEqual(told, [false, true]);
          assert.deepEqual((await rowsOf(file)).map((r) => r.value), ['held']);
          await idx.close();
        } finally {
          other.close();
        }
      }));

    it('a writer thread that stops: the rows are written in line instead', () =>
      withDbFile(async (file, db) => {
        const { told, onPersist, next } = persistWatch();
        const noticed = next('notice of the stopped thread');
        const idx = EmbeddedSemanticIndex.open(db, 0, { writerPath: file, writerEntry: new URL('data:text/javascript,process.exit(3)'), onPersist });
        await noticed;
        assert.deepEqual(told, [false], 'told that writing failed');
        await idx.add({ namespace: 'n', contextKey: 'c', vector: unit([1, 0]), value: 'in line', expiresAt: 100 });
        assert.equal(idx.flush(), true);
        assert.deepEqual(told, [false, true], 'and that it works again');
        assert.deepEqual((await rowsOf(file)).map((r) => r.value), ['in line']);
        await idx.close();
      }));
  });
});
