/**
 * Stored responses in Postgres, shared by every replica (a conversation continues on whichever
 * replica the next request reaches). JSON is kept as text: it is only ever read back whole, and
 * text keeps what JSONB refuses (a \u0000 in a model's answer).
 */
import type pg from 'pg';
import { inLockedTransaction, openPostgresPool } from './postgres-pool.js';
import type { ResponseStore, StoredResponse } from './response-store.js';
import { RESPONSES_TABLE, rowToStored } from './response-store.js';

/** Arbitrary constant naming the stored-responses table lock (replicas creating it together). */
const CREATE_LOCK = 0x5377_7265;

export function openPostgresResponseStore(options: { url: string; max?: number }): ResponseStore {
  const pool = openPostgresPool({ connectionString: options.url, max: options.max ?? 4, application_name: 'switchyard' });
  return new PostgresResponseStore(pool);
}

class PostgresResponseStore implements ResponseStore {
  readonly kind = 'postgres' as const;

  constructor(private readonly pool: pg.Pool) {}

  async migrate(): Promise<void> {
    await inLockedTransaction({ pool: this.pool, lock: CREATE_LOCK, body: async (client) => {
      await client.query(`CREATE TABLE IF NOT EXISTS ${RESPONSES_TABLE} (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        response TEXT NOT NULL,
        input_items TEXT NOT NULL
      )`);
      await client.query(`CREATE INDEX IF NOT EXISTS ${RESPONSES_TABLE}_created_at ON ${RESPONSES_TABLE} (created_at)`);
    } });
  }

  async put(r: StoredResponse): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${RESPONSES_TABLE} (id, owner, created_at, response, input_items) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, created_at = EXCLUDED.created_at, response = EXCLUDED.response, input_items = EXCLUDED.input_items`,
      [r.id, r.owner, r.createdAt, JSON.stringify(r.response), JSON.stringify(r.inputItems)],
    );
  }

  async get(id: string, owner: string): Promise<StoredResponse | undefined> {
    const res = await this.pool.query(`SELECT id, owner, created_at, response, input_items FROM ${RESPONSES_TABLE} WHERE id = $1 AND owner = $2`, [id, owner]);
    const row = res.rows[0] as Parameters<typeof rowToStored>[0] | undefined;
    return row ? rowToStored(row) : undefined;
  }

  async delete(id: string, owner: string): Promise<boolean> {
    const res = await this.pool.query(`DELETE FROM ${RESPONSES_TABLE} WHERE id = $1 AND owner = $2`, [id, owner]);
    return (res.rowCount ?? 0) > 0;
  }

  async deleteOlderThan(ts: number): Promise<number> {
    const res = await this.pool.query(`DELETE FROM ${RESPONSES_TABLE} WHERE created_at < $1`, [ts]);
    return res.rowCount ?? 0;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
