/**
 * The embedded request-log store: one SQLite file (node:sqlite, or better-sqlite3 on Node 20), in
 * WAL mode so readers (the admin API) never block the writer. SQLite calls are synchronous, so the
 * gateway runs this class in a worker thread (sqlite-log-worker.ts, reached through
 * sqlite-worker-log-store.ts); used directly, every call blocks the calling thread. insert()
 * writes a batch in one transaction, encoding the JSON columns.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LogPage, LogQuery, LogRow, LogStore, Stats, StatsByOwner, StatsGroup } from './log-store.js';
import { buildLogQuery, buildOwnerStatsQuery, buildStatsQuery, DELETE_BATCH_SQL, ERRORS_BY_CODE_SQL, INSERT_COLUMNS, JSON_COLUMNS, normalizeGroup } from './log-sql.js';
import { MIGRATIONS, MIGRATIONS_TABLE_SQL } from './migrations.js';
import { openSqlite } from './sqlite-driver.js';
import type { SqliteDb, SqliteStatement } from './sqlite-driver.js';

const BOOLEAN_COLUMNS = new Set<string>(['stream', 'priced']);

export async function openSqliteLogStore(path: string): Promise<SqliteLogStore> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  return new SqliteLogStore(await openSqlite(path));
}

export class SqliteLogStore implements LogStore {
  readonly kind = 'sqlite' as const;
  private insertStmt?: SqliteStatement;

  constructor(private readonly db: SqliteDb) {
    // The busy timeout first: switching a fresh file to WAL takes a lock, and connections opened
    // at the same time (replicas starting together) must wait for it, not fail "database is locked".
    db.exec('PRAGMA busy_timeout = 5000');
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
  }

  async migrate(): Promise<void> {
    this.db.exec(MIGRATIONS_TABLE_SQL);
    // IMMEDIATE takes the write lock first, so two processes sharing the file migrate one at a time.
    this.db.transaction(() => {
      const done = new Set((this.db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version));
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        for (const stmt of m.sqlite) this.db.exec(stmt);
        this.db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      }
    });
  }

  async insert(rows: readonly LogRow[]): Promise<void> {
    if (rows.length === 0) return;
    const stmt = (this.insertStmt ??= this.db.prepare(
      `INSERT INTO request_logs (${INSERT_COLUMNS.join(', ')}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')})`,
    ));
    this.db.transaction(() => {
      for (const row of rows) stmt.run(...INSERT_COLUMNS.map((c) => toSqlite(c, row[c])));
    });
  }

  async query(q: LogQuery): Promise<LogPage> {
    const { text, params } = buildLogQuery(q);
    const raw = this.db.prepare(text).all(...params) as Array<Record<string, unknown>>;
    const rows = raw.slice(0, q.limit).map(fromSqlite);
    const last = rows[rows.length - 1];
    return raw.length > q.limit && last ? { rows, next: { ts: last.ts, id: last.id! } } : { rows };
  }

  async stats(range: { from: number; to: number }): Promise<Stats> {
    const totals = this.db.prepare(buildStatsQuery(false)).get(range.from, range.to) as Omit<StatsGroup, 'provider' | 'model'>;
    const groups = this.db.prepare(buildStatsQuery(true)).all(range.from, range.to) as StatsGroup[];
    const errors = this.db.prepare(ERRORS_BY_CODE_SQL).all(range.from, range.to) as Array<{ code: string; count: number }>;
    const byKey = this.db.prepare(buildOwnerStatsQuery('key')).all(range.from, range.to) as StatsByOwner[];
    const byTeam = this.db.prepare(buildOwnerStatsQuery('team')).all(range.from, range.to) as StatsByOwner[];
    return { totals: normalizeGroup(totals), by_provider_model: groups.map(normalizeGroup), by_key: byKey.map(normalizeGroup), by_team: byTeam.map(normalizeGroup), errors_by_code: errors };
  }

  async deleteBefore(before: number): Promise<number> {
    const stmt = this.db.prepare(DELETE_BATCH_SQL);
    let total = 0;
    for (;;) {
      const n = Number(stmt.run(before, 5000).changes);
      total += n;
      if (n < 5000) return total;
      // Let requests run between chunks of a large delete.
      await new Promise((r) => setImmediate(r));
    }
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function toSqlite(column: string, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (BOOLEAN_COLUMNS.has(column)) return value ? 1 : 0;
  if (JSON_COLUMNS.has(column)) return JSON.stringify(value);
  return value;
}

function fromSqlite(r: Record<string, unknown>): LogRow {
  const row: Record<string, unknown> = { ...r };
  for (const c of BOOLEAN_COLUMNS) row[c] = r[c] === 1;
  for (const c of JSON_COLUMNS) row[c] = typeof r[c] === 'string' ? JSON.parse(r[c] as string) : null;
  return row as unknown as LogRow;
}
