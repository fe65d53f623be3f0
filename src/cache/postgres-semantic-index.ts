/**
 * The shared semantic index: Postgres with the pgvector extension (storage.postgres_url), one
 * table for every replica. Vectors are stored untyped with their size, and searched through a
 * partial HNSW index per size (`(embedding::vector(n)) vector_cosine_ops WHERE dims = n`), created
 * when a size is first seen. Iterative index scans (pgvector 0.8) keep the namespace and context
 * filter from starving the nearest-neighbour scan.
 */
import type pg from 'pg';
import { inLockedTransaction, openPostgresPool } from '../storage/postgres-pool.js';
import { PacedCount } from './paced-count.js';
import type { SemanticEntry, SemanticIndex, SemanticMatch, SemanticQuery } from './semantic-index.js';

const TABLE = 'switchyard_semantic_cache';
/** Arbitrary constant naming the table's creation lock (replicas starting together). */
const CREATE_LOCK = 0x5377_5343;

function vectorLiteral(v: readonly number[]): string {
  return `[${v.map((x) => (Number.isFinite(x) ? x : 0)).join(',')}]`;
}

export class PostgresSemanticIndex implements SemanticIndex {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;
  private migrated: Promise<void> | undefined;
  private closed = false;
  private readonly sized = new Map<number, Promise<void>>();
  /** Rows not expired: a count over the table, taken at most every 10 s for every console polling. */
  private readonly entries = new PacedCount({ take: () => this.countRows(), now: Date.now });

  constructor(o: { url: string; timeoutMs: number }) {
    this.pool = openPostgresPool({
      connectionString: o.url,
      max: 4,
      application_name: 'switchyard-semantic-cache',
      connectionTimeoutMillis: Math.max(1000, o.timeoutMs * 2),
      query_timeout: Math.max(2000, o.timeoutMs * 4),
      options: '-c hnsw.iterative_scan=relaxed_order',
    });
  }

  /** Creates the extension and table once (again after a failure). */
  private migrate(): Promise<void> {
    this.migrated ??= (async () => {
      await inLockedTransaction({ pool: this.pool, lock: CREATE_LOCK, body: async (client) => {
        await client.query('CREATE EXTENSION IF NOT EXISTS vector');
        await client.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (
          id BIGSERIAL PRIMARY KEY,
          namespace TEXT NOT NULL,
          context_key TEXT NOT NULL,
          dims INTEGER NOT NULL,
          embedding vector NOT NULL,
          value TEXT NOT NULL,
          expires_at BIGINT NOT NULL
        )`);
        await client.query(`CREATE INDEX IF NOT EXISTS ${TABLE}_group ON ${TABLE} (namespace, context_key)`);
        await client.query(`CREATE INDEX IF NOT EXISTS ${TABLE}_expires ON ${TABLE} (expires_at)`);
      } });
    })().catch((e: unknown) => {
      this.migrated = undefined;
      throw e;
    });
    return this.migrated;
  }

  /** The HNSW index for vectors of `dims` dimensions. */
  private ensureSize(dims: number): Promise<void> {
    if (!Number.isInteger(dims) || dims <= 0 || dims > 16000) return Promise.reject(new Error(`unsupported embedding size ${dims}`));
    let p = this.sized.get(dims);
    if (!p) {
      p = this.migrate()
        .then(() => this.pool.query(`CREATE INDEX IF NOT EXISTS ${TABLE}_hnsw_${dims} ON ${TABLE} USING hnsw ((embedding::vector(${dims})) vector_cosine_ops) WHERE dims = ${dims}`))
        .then(() => undefined)
        .catch((e: unknown) => {
          this.sized.delete(dims);
          throw e;
        });
      this.sized.set(dims, p);
    }
    return p;
  }

  async search(q: SemanticQuery): Promise<SemanticMatch | undefined> {
    if (this.closed) return undefined; // a request that outlived its config's index: a miss, not an error
    const dims = q.vector.length;
    await this.ensureSize(dims);
    const r = await this.pool.query<{ value: string; distance: number }>(
      `SELECT value, (embedding::vector(${dims})) <=> $1::vector(${dims}) AS distance FROM ${TABLE}
       WHERE dims = ${dims} AND namespace = $2 AND context_key = $3 AND expires_at > $4
       ORDER BY (embedding::vector(${dims})) <=> $1::vector(${dims}) LIMIT 1`,
      [vectorLiteral(q.vector), q.namespace, q.contextKey, Math.round(q.now)],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    const similarity = 1 - Number(row.distance);
    return similarity >= q.threshold ? { value: row.value, similarity } : undefined;
  }

  async add(e: SemanticEntry): Promise<void> {
    if (this.closed) return;
    await this.ensureSize(e.vector.length);
    await this.pool.query(`INSERT INTO ${TABLE} (namespace, context_key, dims, embedding, value, expires_at) VALUES ($1, $2, $3, $4::vector, $5, $6)`, [
      e.namespace,
      e.contextKey,
      e.vector.length,
      vectorLiteral(e.vector),
      e.value,
      Math.round(e.expiresAt),
    ]);
  }

  /** Deletes expired rows (the service calls it now and then). */
  async sweep(now: number): Promise<void> {
    await this.migrate();
    await this.pool.query(`DELETE FROM ${TABLE} WHERE expires_at <= $1`, [Math.round(now)]);
  }

  async clear(namespace?: string): Promise<number> {
    await this.migrate();
    try {
      const r = namespace === undefined ? await this.pool.query(`DELETE FROM ${TABLE}`) : await this.pool.query(`DELETE FROM ${TABLE} WHERE namespace = $1`, [namespace]);
      return r.rowCount ?? 0;
    } finally {
      this.entries.invalidate();
    }
  }

  async stats(): Promise<{ entries: number | undefined; countedAt?: number }> {
    const c = await this.entries.get();
    return c ? { entries: c.value, countedAt: c.at } : { entries: undefined };
  }

  private async countRows(): Promise<number> {
    await this.migrate();
    const r = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${TABLE} WHERE expires_at > $1`, [Date.now()]);
    return Number(r.rows[0]?.n ?? 0);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pool.end().catch(() => {});
  }
}
