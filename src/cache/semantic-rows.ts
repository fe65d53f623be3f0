/**
 * The embedded semantic index's SQLite table, and the writes to it: one transaction for a batch of
 * adds, clears, expiries and trims, in their order. Used by the writer thread
 * (semantic-writer-worker.ts) and, for a database only this thread can reach (':memory:', tests),
 * in line by the index itself.
 */
import type { SqliteDb, SqliteStatement } from '../storage/sqlite-driver.js';

/** A SQLite write waiting for the next flush; a batch keeps their order (an add, then a clear). */
export type RowWrite =
  | { kind: 'add'; namespace: string; contextKey: string; vector: Float32Array; value: string; expiresAt: number }
  | { kind: 'clear'; namespace: string | undefined }
  | { kind: 'expire'; now: number }
  | { kind: 'trim'; keep: number };

/** How often queued writes go, in one transaction (and how soon a batch that failed is tried again). */
export const FLUSH_MS = 250;
/** Adds waiting to be written, at most: past it (SQLite unavailable for long) new ones stay in memory only. */
export const MAX_QUEUED_ADDS = 20_000;
/**
 * How long writes may keep failing before it is reported: the request log's writer holds the
 * file's lock for a moment at a time, and a write that meets it is simply tried again.
 */
export const FAILING_REPORTED_AFTER_MS = 5_000;

export const TABLE_SQL = `CREATE TABLE IF NOT EXISTS semantic_cache_entries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace TEXT NOT NULL,
  context_key TEXT NOT NULL,
  vector TEXT NOT NULL,
  value TEXT NOT NULL,
  expires_at INTEGER NOT NULL
)`;

export const EXPIRE_SQL = 'DELETE FROM semantic_cache_entries WHERE expires_at <= ?';
/** Deletes all but the newest `keep` rows (ids grow with every insert). */
export const TRIM_SQL = 'DELETE FROM semantic_cache_entries WHERE id <= (SELECT id FROM semantic_cache_entries ORDER BY id DESC LIMIT 1 OFFSET ?)';

/** Creates the table and its indexes (idempotent). */
export function createSemanticTable(db: SqliteDb): void {
  db.exec(TABLE_SQL);
  db.exec('CREATE INDEX IF NOT EXISTS semantic_cache_entries_ns ON semantic_cache_entries (namespace)');
  // The sweep's DELETE of expired rows reads only those, not every row with its vector and answer.
  db.exec('CREATE INDEX IF NOT EXISTS semantic_cache_entries_expires ON semantic_cache_entries (expires_at)');
}

/**
 * A vector as the column keeps it: float32 bytes (what the HNSW graph computes with anyway), a
 * tenth of its JSON text and far cheaper to write; rows of earlier versions hold JSON text.
 */
export function vectorBlob(v: Float32Array): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

export class SemanticRows {
  private insert: SqliteStatement | undefined;

  constructor(private readonly db: SqliteDb) {}

  /** Writes the batch in one transaction; throws (nothing of it written) on an error. */
  apply(writes: readonly RowWrite[]): void {
    const db = this.db;
    db.transaction(() => {
      for (const w of writes) {
        if (w.kind === 'add') {
          this.insert ??= db.prepare('INSERT INTO semantic_cache_entries (namespace, context_key, vector, value, expires_at) VALUES (?, ?, ?, ?, ?)');
          this.insert.run(w.namespace, w.contextKey, vectorBlob(w.vector), w.value, Math.round(w.expiresAt));
        } else if (w.kind === 'trim') db.prepare(TRIM_SQL).run(w.keep);
        else if (w.kind === 'expire') db.prepare(EXPIRE_SQL).run(Math.round(w.now));
        else if (w.namespace === undefined) db.prepare('DELETE FROM semantic_cache_entries').run();
        else db.prepare('DELETE FROM semantic_cache_entries WHERE namespace = ?').run(w.namespace);
      }
    });
  }
}
