/**
 * Stored responses in SQLite, on the main thread: one indexed read or write per Responses request
 * (tens of microseconds), unlike the request log's batches, which run in a worker. The file is the
 * request log's (`storage.sqlite_path`); WAL lets both connections work side by side.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { openSqlite } from './sqlite-driver.js';
import type { SqliteDb } from './sqlite-driver.js';
import type { ResponseStore, StoredResponse } from './response-store.js';
import { RESPONSES_TABLE, rowToStored } from './response-store.js';

export async function openSqliteResponseStore(path: string): Promise<ResponseStore> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = await openSqlite(path);
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    if (path !== ':memory:') {
      db.exec('PRAGMA journal_mode = WAL');
      // Writes run on the event loop: no fsync per stored response (FULL took 0.5 ms a write here,
      // up to 9 ms). In WAL mode NORMAL keeps every commit through a crash of the process.
      db.exec('PRAGMA synchronous = NORMAL');
    }
  } catch (e) {
    db.close();
    throw e;
  }
  return new SqliteResponseStore(db);
}

class SqliteResponseStore implements ResponseStore {
  readonly kind = 'sqlite' as const;
  private statements: ReturnType<SqliteResponseStore['prepare']> | undefined;

  constructor(private readonly db: SqliteDb) {}

  private prepare() {
    return {
      put: this.db.prepare(`INSERT OR REPLACE INTO ${RESPONSES_TABLE} (id, owner, created_at, response, input_items) VALUES (?, ?, ?, ?, ?)`),
      get: this.db.prepare(`SELECT id, owner, created_at, response, input_items FROM ${RESPONSES_TABLE} WHERE id = ? AND owner = ?`),
      delete: this.db.prepare(`DELETE FROM ${RESPONSES_TABLE} WHERE id = ? AND owner = ?`),
      purge: this.db.prepare(`DELETE FROM ${RESPONSES_TABLE} WHERE created_at < ?`),
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
  }

  async put(r: StoredResponse): Promise<void> {
    this.s.put.run(r.id, r.owner, r.createdAt, JSON.stringify(r.response), JSON.stringify(r.inputItems));
  }

  async get(id: string, owner: string): Promise<StoredResponse | undefined> {
    const row = this.s.get.get(id, owner) as Parameters<typeof rowToStored>[0] | undefined;
    return row ? rowToStored(row) : undefined;
  }

  async delete(id: string, owner: string): Promise<boolean> {
    return Number(this.s.delete.run(id, owner).changes) > 0;
  }

  async deleteOlderThan(ts: number): Promise<number> {
    return Number(this.s.purge.run(ts).changes);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
