/**
 * What every Postgres-backed store does the same way: open a pool that survives the server going
 * away, and create its tables inside one transaction serialised by an advisory lock (replicas
 * starting together must not race each other's CREATE statements).
 */
import type pg from 'pg';
import { loadOnUse } from './load-on-use.js';

const postgres = loadOnUse<typeof pg>('pg');

/** A pool whose idle clients' errors (the server restarted) do not crash the process; the next query reconnects. */
export function openPostgresPool(config: pg.PoolConfig): pg.Pool {
  const pool = new (postgres().Pool)(config);
  pool.on('error', () => {});
  return pool;
}

/**
 * Runs `body` on one client inside BEGIN … COMMIT after taking the transaction-scoped advisory
 * lock `lock`; rolls back and rethrows when anything fails, and always releases the client.
 */
export async function inLockedTransaction<T>(o: { pool: pg.Pool; lock: number; body: (client: pg.PoolClient) => Promise<T> }): Promise<T> {
  const client = await o.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [o.lock]);
    const result = await o.body(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}
