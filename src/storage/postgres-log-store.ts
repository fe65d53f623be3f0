/**
 * The shared request-log store: Postgres through a pg Pool, for several gateway replicas writing
 * one log. Migrations take a transaction-scoped advisory lock, so replicas starting together apply
 * each version once. A batch is one multi-row INSERT.
 */
import pg from 'pg';
import { inLockedTransaction, openPostgresPool } from './postgres-pool.js';
import type { LogPage, LogQuery, LogRow, LogStore, Stats, StatsByOwner, StatsGroup } from './log-store.js';
import { buildLogQuery, buildOwnerStatsQuery, buildStatsQuery, DELETE_BATCH_SQL, ERRORS_BY_CODE_SQL, INSERT_COLUMNS, JSON_COLUMNS, normalizeGroup, numberPlaceholders } from './log-sql.js';
import { MIGRATIONS, MIGRATIONS_TABLE_SQL } from './migrations.js';

/** Arbitrary constant naming Switchyard's migration lock. */
const MIGRATION_LOCK = 0x5377_7964;
/** Postgres allows 65535 parameters per statement. */
const ROWS_PER_INSERT = Math.floor(60000 / INSERT_COLUMNS.length);

/** BIGINT (20) and NUMERIC (1700) as JS numbers: counts and sums here stay far below 2^53. */
const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 20 || oid === 1700) return (v: string) => (v === null ? null : Number(v));
    return (pg.types.getTypeParser as (oid: number, format?: string) => unknown)(oid, format);
  },
};

export interface PostgresLogStoreOptions {
  url: string;
  /** Pool size; default 4 (writes are batched, reads are admin queries). */
  max?: number;
}

export function openPostgresLogStore(options: PostgresLogStoreOptions): PostgresLogStore {
  const pool = openPostgresPool({ connectionString: options.url, max: options.max ?? 4, types: types as pg.CustomTypesConfig, application_name: 'switchyard' });
  return new PostgresLogStore(pool);
}

export class PostgresLogStore implements LogStore {
  readonly kind = 'postgres' as const;

  /** `pool` as openPostgresPool makes it (idle clients' errors handled). */
  constructor(private readonly pool: pg.Pool) {}

  async migrate(): Promise<void> {
    await inLockedTransaction({ pool: this.pool, lock: MIGRATION_LOCK, body: async (client) => {
      await client.query(MIGRATIONS_TABLE_SQL);
      const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)));
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        for (const stmt of m.postgres) await client.query(stmt);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
      }
    } });
  }

  async insert(rows: readonly LogRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const chunk = rows.slice(i, i + ROWS_PER_INSERT);
      const params: unknown[] = [];
      const tuples = chunk.map((row) => {
        const start = params.length;
        for (const c of INSERT_COLUMNS) params.push(toPostgres(c, row[c]));
        return `(${INSERT_COLUMNS.map((_, j) => `$${start + j + 1}`).join(', ')})`;
      });
      await this.pool.query(`INSERT INTO request_logs (${INSERT_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, params);
    }
  }

  async query(q: LogQuery): Promise<LogPage> {
    const { text, params } = buildLogQuery(q);
    const raw = (await this.pool.query(numberPlaceholders(text), params)).rows as LogRow[];
    const rows = raw.slice(0, q.limit);
    const last = rows[rows.length - 1];
    return raw.length > q.limit && last ? { rows, next: { ts: last.ts, id: last.id! } } : { rows };
  }

  async stats(range: { from: number; to: number }): Promise<Stats> {
    const p = [range.from, range.to];
    const [totals, groups, errors, byKey, byTeam] = await Promise.all([
      this.pool.query(numberPlaceholders(buildStatsQuery(false)), p),
      this.pool.query(numberPlaceholders(buildStatsQuery(true)), p),
      this.pool.query(numberPlaceholders(ERRORS_BY_CODE_SQL), p),
      this.pool.query(numberPlaceholders(buildOwnerStatsQuery('key')), p),
      this.pool.query(numberPlaceholders(buildOwnerStatsQuery('team')), p),
    ]);
    return {
      totals: normalizeGroup(totals.rows[0] as Omit<StatsGroup, 'provider' | 'model'>),
      by_provider_model: (groups.rows as StatsGroup[]).map(normalizeGroup),
      by_key: (byKey.rows as StatsByOwner[]).map(normalizeGroup),
      by_team: (byTeam.rows as StatsByOwner[]).map(normalizeGroup),
      errors_by_code: errors.rows as Array<{ code: string; count: number }>,
    };
  }

  async deleteBefore(before: number): Promise<number> {
    let total = 0;
    for (;;) {
      const n = (await this.pool.query(numberPlaceholders(DELETE_BATCH_SQL), [before, 5000])).rowCount ?? 0;
      total += n;
      if (n < 5000) return total;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function toPostgres(column: string, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  // JSONB parameters go as JSON text (pg would send a JS array as a Postgres array).
  if (JSON_COLUMNS.has(column)) return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? withoutNul(v) : v));
  return typeof value === 'string' ? withoutNul(value) : value;
}

/** Postgres text and JSONB cannot hold U+0000; it becomes U+FFFD. */
function withoutNul(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s;
}
