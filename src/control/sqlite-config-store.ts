/**
 * The config store on SQLite, in the request log's database file. The request log writes that file
 * from a worker thread; this is a second connection on the main thread (WAL lets them share it).
 * Config edits are rare and small, so the synchronous calls are short.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SqliteDb } from '../storage/sqlite-driver.js';
import { openSqlite } from '../storage/sqlite-driver.js';
import { CONFIG_MIGRATIONS, CONFIG_MIGRATIONS_TABLE_SQL } from './config-migrations.js';
import type { Actor, CommitPlan, CommitResult, ConfigStore, RevisionDetail, RevisionRecord, StoreState, StoredEntity } from './config-store.js';
import { applyPlan, parseRevisionRow } from './config-store.js';

export async function openSqliteConfigStore(path: string): Promise<SqliteConfigStore> {
  if (path !== ':memory:' && !path.startsWith('file:')) mkdirSync(dirname(path), { recursive: true });
  const db = await openSqlite(path);
  db.exec('PRAGMA busy_timeout = 5000');
  if (path !== ':memory:') {
    db.exec('PRAGMA journal_mode = WAL');
    // Checkpoints (a copy of the WAL and an fsync) are left to the request log's writer thread,
    // which commits on this file whenever requests are served: not on the event loop.
    db.exec('PRAGMA wal_autocheckpoint = 0');
  }
  return new SqliteConfigStore(db);
}

interface RevisionRow {
  revision: number;
  at: number;
  actor: string;
  summary: string;
  changes: string;
  restored_from: number | null;
  state?: string;
}

export class SqliteConfigStore implements ConfigStore {
  readonly kind = 'sqlite' as const;

  constructor(private readonly db: SqliteDb) {}

  async migrate(): Promise<void> {
    this.db.transaction(() => {
      this.db.exec(CONFIG_MIGRATIONS_TABLE_SQL);
      const done = new Set((this.db.prepare('SELECT version FROM config_schema_migrations').all() as Array<{ version: number }>).map((r) => Number(r.version)));
      for (const m of CONFIG_MIGRATIONS) {
        if (done.has(m.version)) continue;
        for (const stmt of m.sqlite) this.db.exec(stmt);
        this.db.prepare('INSERT INTO config_schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      }
    });
  }

  private readState(): StoreState {
    const rows = this.db.prepare('SELECT kind, name, body, revision FROM config_entities ORDER BY kind, name').all() as Array<{ kind: string; name: string; body: string; revision: number }>;
    return {
      revision: this.readHead(),
      entities: rows.map((r) => ({ kind: r.kind, name: r.name, body: JSON.parse(r.body) as StoredEntity['body'], revision: Number(r.revision) })),
    };
  }

  private readHead(): number {
    const row = this.db.prepare('SELECT COALESCE(MAX(revision), 0) AS head FROM config_revisions').get() as { head: number };
    return Number(row.head);
  }

  async load(): Promise<StoreState> {
    return this.readState();
  }

  async head(): Promise<number> {
    return this.readHead();
  }

  async commit(actor: Actor, plan: (current: StoreState) => CommitPlan): Promise<CommitResult> {
    return this.db.transaction(() => {
      const current = this.readState();
      const p = plan(current);
      const revision = current.revision + 1;
      const { entities, changes } = applyPlan(current, p.changes, revision);
      if (changes.length === 0) return { revision: current.revision, changes, state: current };
      const upsert = this.db.prepare('INSERT INTO config_entities (kind, name, body, revision) VALUES (?, ?, ?, ?) ON CONFLICT (kind, name) DO UPDATE SET body = excluded.body, revision = excluded.revision');
      const del = this.db.prepare('DELETE FROM config_entities WHERE kind = ? AND name = ?');
      for (const c of changes) {
        if (c.action === 'delete') del.run(c.kind, c.name);
        else upsert.run(c.kind, c.name, JSON.stringify(c.after), revision);
      }
      this.db
        .prepare('INSERT INTO config_revisions (revision, at, actor, summary, changes, state, restored_from) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(revision, Date.now(), JSON.stringify(actor), p.summary, JSON.stringify(changes), JSON.stringify(entities), p.restoredFrom ?? null);
      return { revision, changes, state: { revision, entities } };
    });
  }

  async revisions(q: { limit: number; before?: number }): Promise<RevisionRecord[]> {
    const rows = this.db
      .prepare('SELECT revision, at, actor, summary, changes, restored_from FROM config_revisions WHERE revision < ? ORDER BY revision DESC LIMIT ?')
      .all(q.before ?? Number.MAX_SAFE_INTEGER, q.limit) as RevisionRow[];
    return rows.map(parseRevisionRow);
  }

  async revision(n: number): Promise<RevisionDetail | undefined> {
    const row = this.db.prepare('SELECT revision, at, actor, summary, changes, restored_from, state FROM config_revisions WHERE revision = ?').get(n) as RevisionRow | undefined;
    return row ? { ...parseRevisionRow(row), state: JSON.parse(row.state!) as StoredEntity[] } : undefined;
  }

  listen(): void {}

  async close(): Promise<void> {
    this.db.close();
  }
}
