/**
 * Stored responses in SQLite, on the main thread: one indexed read or write per Responses request
 * (tens of microseconds), unlike the request log's batches, which run in a worker. The file is the
 * request log's (`storage.sqlite_path`); WAL lets both connections work side by side, but only one
 * writes at a time. A write that finds the lock taken (a request-log batch, a purge, another
 * process) is tried again a few milliseconds later (`whenUnlocked`): the request waits for it,
 * the event loop does not, and checkpoints are left to the request log's writer thread.
 * (Before, SQLite's busy timeout slept inside the call, and a put that crossed the WAL's limit ran
 * the checkpoint: event-loop stalls of 12-17 ms under a busy request log. A worker thread instead
 * cost every stored response a thread hop: +0.4 ms p50 below saturation; docs/performance.md.)
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { openSqlite, whenUnlocked } from './sqlite-driver.js';
import type { SqliteDb } from './sqlite-driver.js';
import type { ResponseStore, StoredResponse } from './response-store.js';
import { RESPONSES_TABLE, rowToStored } from './response-store.js';

export async function openSqliteResponseStore(path: string): Promise<ResponseStore> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = await openSqlite(path);
  try {
    // Waiting inside the call is fine while opening (switching a fresh file to WAL takes a lock
    // that replicas starting together wait for); migrate() then turns it off.
    db.exec('PRAGMA busy_timeout = 5000');
    if (path !== ':memory:') {
      db.exec('PRAGMA journal_mode = WAL');
      // Writes run on the event loop: no fsync per stored response (FULL took 0.5 ms a write here,
      // up to 9 ms). In WAL mode NORMAL keeps every commit through a crash of the process.
      db.exec('PRAGMA synchronous = NORMAL');
      // Nor a checkpoint, which copies the WAL into the file and fsyncs it (10-15 ms here) in
      // whichever commit finds the WAL past its limit: the request log's writer thread, which
      // commits on the same file whenever requests are served, does them.
      db.exec('PRAGMA wal_autocheckpoint = 0');
    }
  } catch (e) {
    db.close();
    throw e;
  }
  return new SqliteResponseStore(db);
}

/** Rows a purge deletes per statement (a row holds a whole conversation's input). */
const PURGE_CHUNK = 250;

class SqliteResponseStore implements ResponseStore {
  readonly kind = 'sqlite' as const;
  private statements: ReturnType<SqliteResponseStore['prepare']> | undefined;

  constructor(private readonly db: SqliteDb) {}

  private prepare() {
    return {
      put: this.db.prepare(`INSERT OR REPLACE INTO ${RESPONSES_TABLE} (id, owner, created_at, response, input_items) VALUES (?, ?, ?, ?, ?)`),
      get: this.db.prepare(`SELECT id, owner, created_at, response, input_items FROM ${RESPONSES_TABLE} WHERE id = ? AND owner = ?`),
      delete: this.db.prepare(`DELETE FROM ${RESPONSES_TABLE} WHERE id = ? AND owner = ?`),
      purge: this.db.prepare(`DELETE FROM ${RESPONSES_TABLE} WHERE id IN (SELECT id FROM ${RESPONSES_TABLE} WHERE created_at < ? LIMIT ?)`),
    };
  }

  private get s() {
    return (this.statements ??= this.prepare());
  }

  async migrate(): Promise<void> {
    this.db.exec(`CREATE TABLE IF NOT EXISTS ${RESPONSES_TABLE} (
      id TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      response TEXT NOT NULL,
      input_items TEXT NOT NULL
    )`);
    this.db.exec(`CREATE INDEX IF NOT EXISTS ${RESPONSES_TABLE}_created_at ON ${RESPONSES_TABLE} (created_at)`);
    this.db.exec('PRAGMA busy_timeout = 0');
  }

  async put(r: StoredResponse): Promise<void> {
    const response = JSON.stringify(r.response);
    const items = JSON.stringify(r.inputItems);
    await whenUnlocked(() => this.s.put.run(r.id, r.owner, r.createdAt, response, items));
  }

  async get(id: string, owner: string): Promise<StoredResponse | undefined> {
    const row = (await whenUnlocked(() => this.s.get.get(id, owner))) as Parameters<typeof rowToStored>[0] | undefined;
    return row ? rowToStored(row) : undefined;
  }

  async delete(id: string, owner: string): Promise<boolean> {
    return Number((await whenUnlocked(() => this.s.delete.run(id, owner))).changes) > 0;
  }

  /**
   * In chunks of PURGE_CHUNK rows, each its own statement, with the event loop free between them:
   * an hour's backlog in one statement held the event loop, and the file's write lock, for as long
   * as it took.
   */
  async deleteOlderThan(ts: number): Promise<number> {
    let total = 0;
    for (;;) {
      const n = Number((await whenUnlocked(() => this.s.purge.run(ts, PURGE_CHUNK))).changes);
      total += n;
      if (n < PURGE_CHUNK) return total;
      await new Promise((r) => setImmediate(r));
    }
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
