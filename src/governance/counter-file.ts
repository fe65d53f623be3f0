/**
 * Where the embedded (memory) counter store keeps its windowed counters across restarts: a table in
 * the request log's SQLite file (`storage.sqlite_path`). Without it a restart, a crash or a deploy
 * set every budget back to zero, `total` budgets included.
 *
 * The store writes the counters that changed about once a second, and all of them when it closes,
 * so a crash forgets at most the last second's counting. Writes run on the main thread: they are a
 * few upserts (one per counter that changed), without an fsync. They never wait for the file's
 * lock: a write that meets the request log's writer fails at once and its rows go with the next one.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { openSqlite } from '../storage/sqlite-driver.js';
import type { SqliteDb, SqliteStatement } from '../storage/sqlite-driver.js';

/** One counter as kept: its value and when it may be forgotten (Infinity: never, a `total` budget). */
export interface CounterRow {
  key: string;
  value: number;
  expireAt: number;
}

export const COUNTERS_TABLE = 'governance_counters';

/** How long the last write (at close) may wait for the file's lock. */
const CLOSE_WAIT_MS = 2_000;

export class CounterFile {
  private readonly upsert: SqliteStatement;
  private readonly expire: SqliteStatement;
  private readonly select: SqliteStatement;

  private constructor(private readonly db: SqliteDb) {
    db.exec(`CREATE TABLE IF NOT EXISTS ${COUNTERS_TABLE} (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expire_at INTEGER)`);
    this.upsert = db.prepare(`INSERT INTO ${COUNTERS_TABLE} (key, value, expire_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expire_at = excluded.expire_at`);
    this.expire = db.prepare(`DELETE FROM ${COUNTERS_TABLE} WHERE expire_at IS NOT NULL AND expire_at <= ?`);
    this.select = db.prepare(`SELECT key, value, expire_at FROM ${COUNTERS_TABLE} WHERE expire_at IS NULL OR expire_at > ?`);
  }

  /** Opens (and creates) the table in a SQLite file; throws what SQLite throws (a read-only directory, a corrupt file). */
  static async open(path: string): Promise<CounterFile> {
    mkdirSync(dirname(path), { recursive: true });
    const db = await openSqlite(path);
    try {
      // The request log's writer may hold the lock; creating the table waits for it, writes later do not.
      db.exec(`PRAGMA busy_timeout = ${CLOSE_WAIT_MS}`);
      db.exec('PRAGMA journal_mode = WAL');
      // On the event loop, so no fsync per write: in WAL mode NORMAL keeps every commit through a
      // crash of the process (what the file is for) and may lose the last ones to a power cut.
      // Checkpoints (which do fsync) are left to the request log's writer thread.
      db.exec('PRAGMA synchronous = NORMAL');
      db.exec('PRAGMA wal_autocheckpoint = 0');
      const file = new CounterFile(db);
      db.exec('PRAGMA busy_timeout = 0');
      return file;
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /** The counters whose window has not ended at `now`. */
  load(now: number): CounterRow[] {
    return this.select.all(now).map((r) => {
      const row = r as { key: string; value: number | bigint; expire_at: number | bigint | null };
      return { key: row.key, value: Number(row.value), expireAt: row.expire_at === null ? Number.POSITIVE_INFINITY : Number(row.expire_at) };
    });
  }

  /**
   * Writes `rows` in one transaction, and forgets counters whose window ended before `expireBefore`
   * when given. Throws when it could not (the lock is held, the disk is full): nothing was written.
   * `wait`: wait for the lock (the last write, at close).
   */
  write(rows: readonly CounterRow[], expireBefore?: number, wait = false): void {
    if (wait) this.db.exec(`PRAGMA busy_timeout = ${CLOSE_WAIT_MS}`);
    try {
      this.db.transaction(() => {
        for (const r of rows) this.upsert.run(r.key, r.value, Number.isFinite(r.expireAt) ? r.expireAt : null);
        if (expireBefore !== undefined) this.expire.run(expireBefore);
      });
    } finally {
      if (wait) this.db.exec('PRAGMA busy_timeout = 0');
    }
  }

  close(): void {
    this.db.close();
  }
}
