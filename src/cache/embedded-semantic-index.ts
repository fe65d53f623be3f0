/**
 * The embedded semantic index: one in-process HNSW graph (hnswlib-node) per group (namespace +
 * context key), cosine space. Entries are also written to the SQLite store (table
 * `semantic_cache_entries`), and read back into fresh graphs when the gateway starts, so a restart
 * keeps them. Expired entries are skipped on search, deleted from the graph then, and removed from
 * SQLite at start and by `sweep()`.
 */
import type * as Hnswlib from 'hnswlib-node';
import type { HierarchicalNSW as Hnsw } from 'hnswlib-node';
import { loadOnUse } from '../storage/load-on-use.js';
import type { SqliteDb } from '../storage/sqlite-driver.js';
import type { SemanticEntry, SemanticIndex, SemanticMatch, SemanticQuery } from './semantic-index.js';
import { flat } from './cache-store.js';

const hnswlib = loadOnUse<typeof Hnswlib>('hnswlib-node');

const INITIAL_CAPACITY = 64;
/** Neighbours looked at per search: the nearest may have expired. */
const K = 4;

interface Item {
  value: string;
  expiresAt: number;
  rowId?: number | bigint;
}

interface Group {
  namespace: string;
  index: Hnsw;
  dims: number;
  items: Map<number, Item>;
  nextLabel: number;
}

const TABLE_SQL = `CREATE TABLE IF NOT EXISTS semantic_cache_entries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace TEXT NOT NULL,
  context_key TEXT NOT NULL,
  vector TEXT NOT NULL,
  value TEXT NOT NULL,
  expires_at INTEGER NOT NULL
)`;

export class EmbeddedSemanticIndex implements SemanticIndex {
  readonly kind = 'embedded';
  private readonly groups = new Map<string, Group>();

  /** `db`: where entries persist (undefined: memory only). */
  constructor(private readonly db?: SqliteDb) {}

  /** Opens the index on a SQLite database, loading the entries that have not expired. */
  static open(db: SqliteDb | undefined, now: number): EmbeddedSemanticIndex {
    const idx = new EmbeddedSemanticIndex(db);
    if (!db) return idx;
    db.exec(TABLE_SQL);
    db.exec('CREATE INDEX IF NOT EXISTS semantic_cache_entries_ns ON semantic_cache_entries (namespace)');
    db.prepare('DELETE FROM semantic_cache_entries WHERE expires_at <= ?').run(now);
    const rows = db.prepare('SELECT id, namespace, context_key, vector, value, expires_at FROM semantic_cache_entries ORDER BY id').all() as Array<{
      id: number;
      namespace: string;
      context_key: string;
      vector: string;
      value: string;
      expires_at: number;
    }>;
    for (const r of rows) idx.insert({ namespace: r.namespace, contextKey: r.context_key, vector: JSON.parse(r.vector) as number[], value: r.value, expiresAt: Number(r.expires_at) }, r.id);
    return idx;
  }

  private groupId(namespace: string, contextKey: string): string {
    return `${namespace}\u0000${contextKey}`;
  }

  private insert(e: SemanticEntry, rowId?: number | bigint): void {
    const id = this.groupId(e.namespace, e.contextKey);
    let g = this.groups.get(id);
    if (g && g.dims !== e.vector.length) {
      // The embedding model changed size: the old vectors cannot be compared.
      this.groups.delete(id);
      g = undefined;
    }
    if (!g) {
      const index = new (hnswlib().HierarchicalNSW)('cosine', e.vector.length);
      index.initIndex({ maxElements: INITIAL_CAPACITY, m: 16, efConstruction: 100, allowReplaceDeleted: true });
      index.setEf(64);
      g = { namespace: e.namespace, index, dims: e.vector.length, items: new Map(), nextLabel: 0 };
      this.groups.set(id, g);
    }
    if (g.index.getCurrentCount() >= g.index.getMaxElements()) g.index.resizeIndex(g.index.getMaxElements() * 2);
    const label = g.nextLabel++;
    g.index.addPoint(e.vector, label);
    const value = flat(e.value);
    g.items.set(label, rowId === undefined ? { value, expiresAt: e.expiresAt } : { value, expiresAt: e.expiresAt, rowId });
  }

  async add(e: SemanticEntry): Promise<void> {
    let rowId: number | bigint | undefined;
    if (this.db) {
      const r = this.db
        .prepare('INSERT INTO semantic_cache_entries (namespace, context_key, vector, value, expires_at) VALUES (?, ?, ?, ?, ?)')
        .run(e.namespace, e.contextKey, JSON.stringify(e.vector), e.value, Math.round(e.expiresAt)) as { lastInsertRowid?: number | bigint };
      rowId = r.lastInsertRowid;
    }
    this.insert(e, rowId);
  }

  /** Synchronous search (the micro-benchmark measures this). */
  searchSync(q: SemanticQuery): SemanticMatch | undefined {
    const g = this.groups.get(this.groupId(q.namespace, q.contextKey));
    if (!g || g.items.size === 0 || g.dims !== q.vector.length) return undefined;
    const { neighbors, distances } = g.index.searchKnn(q.vector, Math.min(K, g.items.size));
    for (let i = 0; i < neighbors.length; i++) {
      const label = neighbors[i]!;
      const item = g.items.get(label);
      if (!item) continue;
      if (item.expiresAt <= q.now) {
        this.forget(g, label, item);
        continue;
      }
      const similarity = 1 - distances[i]!;
      if (similarity >= q.threshold) return { value: item.value, similarity };
      return undefined;
    }
    return undefined;
  }

  async search(q: SemanticQuery): Promise<SemanticMatch | undefined> {
    return this.searchSync(q);
  }

  private forget(g: Group, label: number, item: Item): void {
    g.items.delete(label);
    try {
      g.index.markDelete(label);
    } catch {
      // already deleted
    }
    if (this.db && item.rowId !== undefined) this.db.prepare('DELETE FROM semantic_cache_entries WHERE id = ?').run(item.rowId);
  }

  /** Removes expired entries everywhere (the service calls it now and then). */
  sweep(now: number): void {
    for (const g of this.groups.values()) for (const [label, item] of g.items) if (item.expiresAt <= now) this.forget(g, label, item);
  }

  async clear(namespace?: string): Promise<number> {
    let n = 0;
    for (const [id, g] of this.groups) {
      if (namespace !== undefined && g.namespace !== namespace) continue;
      n += g.items.size;
      this.groups.delete(id);
    }
    if (this.db) {
      if (namespace === undefined) this.db.prepare('DELETE FROM semantic_cache_entries').run();
      else this.db.prepare('DELETE FROM semantic_cache_entries WHERE namespace = ?').run(namespace);
    }
    return n;
  }

  async stats(): Promise<{ entries: number }> {
    let entries = 0;
    for (const g of this.groups.values()) entries += g.items.size;
    return { entries };
  }

  async close(): Promise<void> {
    this.groups.clear();
    this.db?.close();
  }
}
