/**
 * The config store on Postgres, shared by every replica. Commits take a transaction-scoped
 * advisory lock (one writer at a time, so revisions are gapless and plans see the latest state)
 * and send NOTIFY on commit; `listen` keeps one dedicated connection on LISTEN and reconnects
 * when it drops. Migrations take their own advisory lock, so replicas starting together apply
 * each version once.
 */
import pg from 'pg';
import { CONFIG_MIGRATIONS, CONFIG_MIGRATIONS_TABLE_SQL } from './config-migrations.js';
import type { Actor, CommitPlan, CommitResult, ConfigStore, RevisionDetail, RevisionRecord, StoreState, StoredEntity } from './config-store.js';
import { applyPlan, parseRevisionRow } from './config-store.js';

/** Arbitrary constants naming Switchyard's config-store locks (the request log uses another). */
const MIGRATION_LOCK = 0x5377_6366;
const WRITE_LOCK = 0x5377_6377;
export const CONFIG_CHANNEL = 'switchyard_config';

export interface PostgresConfigStoreOptions {
  url: string;
  /** Longest wait for a connection; then the store counts as unreachable. */
  connectTimeoutMs?: number;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

export function openPostgresConfigStore(options: PostgresConfigStoreOptions): PostgresConfigStore {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: 3,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 3000,
    application_name: 'switchyard-config',
  });
  return new PostgresConfigStore(pool, options);
}

export class PostgresConfigStore implements ConfigStore {
  readonly kind = 'postgres' as const;
  private listener: pg.Client | undefined;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: PostgresConfigStoreOptions,
  ) {
    // An idle client's error (the server restarted) must not crash the process; the next query reconnects.
    pool.on('error', () => {});
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }

  async migrate(): Promise<void> {
    await this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await c.query(CONFIG_MIGRATIONS_TABLE_SQL);
      const done = new Set((await c.query<{ version: number }>('SELECT version FROM config_schema_migrations')).rows.map((r) => Number(r.version)));
      for (const m of CONFIG_MIGRATIONS) {
        if (done.has(m.version)) continue;
        for (const stmt of m.postgres) await c.query(stmt);
        await c.query('INSERT INTO config_schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
      }
    });
  }

  private async readState(c: Queryable): Promise<StoreState> {
    const head = await c.query<{ head: string }>('SELECT COALESCE(MAX(revision), 0) AS head FROM config_revisions');
    const rows = await c.query<{ kind: string; name: string; body: string; revision: string }>('SELECT kind, name, body, revision FROM config_entities ORDER BY kind, name');
    return {
      revision: Number(head.rows[0]!.head),
      entities: rows.rows.map((r) => ({ kind: r.kind, name: r.name, body: JSON.parse(r.body) as StoredEntity['body'], revision: Number(r.revision) })),
    };
  }

  async load(): Promise<StoreState> {
    // One snapshot: the revision and the entities must agree.
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const state = await this.readState(client);
      await client.query('COMMIT');
      return state;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }

  async head(): Promise<number> {
    const r = await this.pool.query<{ head: string }>('SELECT COALESCE(MAX(revision), 0) AS head FROM config_revisions');
    return Number(r.rows[0]!.head);
  }

  async commit(actor: Actor, plan: (current: StoreState) => CommitPlan): Promise<CommitResult> {
    return this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
      const current = await this.readState(c);
      const p = plan(current);
      const revision = current.revision + 1;
      const { entities, changes } = applyPlan(current, p.changes, revision);
      if (changes.length === 0) return { revision: current.revision, changes, state: current };
      for (const ch of changes) {
        if (ch.action === 'delete') await c.query('DELETE FROM config_entities WHERE kind = $1 AND name = $2', [ch.kind, ch.name]);
        else {
          await c.query(
            'INSERT INTO config_entities (kind, name, body, revision) VALUES ($1, $2, $3, $4) ON CONFLICT (kind, name) DO UPDATE SET body = excluded.body, revision = excluded.revision',
            [ch.kind, ch.name, JSON.stringify(ch.after), revision],
          );
        }
      }
      await c.query('INSERT INTO config_revisions (revision, at, actor, summary, changes, state, restored_from) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        revision,
        Date.now(),
        JSON.stringify(actor),
        p.summary,
        JSON.stringify(changes),
        JSON.stringify(entities),
        p.restoredFrom ?? null,
      ]);
      // Delivered to every listener when the transaction commits, never before.
      await c.query('SELECT pg_notify($1, $2)', [CONFIG_CHANNEL, String(revision)]);
      return { revision, changes, state: { revision, entities } };
    });
  }

  async revisions(q: { limit: number; before?: number }): Promise<RevisionRecord[]> {
    const r = await this.pool.query('SELECT revision, at, actor, summary, changes, restored_from FROM config_revisions WHERE revision < $1 ORDER BY revision DESC LIMIT $2', [
      q.before ?? Number.MAX_SAFE_INTEGER,
      q.limit,
    ]);
    return r.rows.map(parseRevisionRow);
  }

  async revision(n: number): Promise<RevisionDetail | undefined> {
    const r = await this.pool.query('SELECT revision, at, actor, summary, changes, restored_from, state FROM config_revisions WHERE revision = $1', [n]);
    const row = r.rows[0];
    return row ? { ...parseRevisionRow(row), state: JSON.parse(row.state as string) as StoredEntity[] } : undefined;
  }

  listen(handlers: { onRevision(revision: number): void; onReconnect(): void; onLost(err: Error): void }): void {
    let delay = 100;
    let first = true;
    const connect = async (): Promise<void> => {
      if (this.closed) return;
      const client = new pg.Client({ connectionString: this.options.url, connectionTimeoutMillis: this.options.connectTimeoutMs ?? 3000, application_name: 'switchyard-config-listen' });
      let lost = false;
      const onDown = (err: Error): void => {
        if (lost) return;
        lost = true;
        first = false;
        client.removeAllListeners('notification');
        client.end().catch(() => {});
        if (this.listener === client) this.listener = undefined;
        if (this.closed) return;
        handlers.onLost(err);
        this.reconnectTimer = setTimeout(() => void connect(), delay);
        this.reconnectTimer.unref();
        delay = Math.min(delay * 2, 2000);
      };
      client.on('error', onDown);
      client.on('end', () => onDown(new Error('connection ended')));
      client.on('notification', (msg) => {
        const n = Number(msg.payload);
        if (Number.isInteger(n)) handlers.onRevision(n);
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${CONFIG_CHANNEL}`);
      } catch (e) {
        onDown(e as Error);
        return;
      }
      if (this.closed) {
        await client.end().catch(() => {});
        return;
      }
      this.listener = client;
      delay = 100;
      if (!first) handlers.onReconnect();
      first = false;
    };
    void connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const l = this.listener;
    this.listener = undefined;
    if (l) {
      l.removeAllListeners('end');
      l.removeAllListeners('error');
      l.on('error', () => {});
      await l.end().catch(() => {});
    }
    await this.pool.end().catch(() => {});
  }
}
