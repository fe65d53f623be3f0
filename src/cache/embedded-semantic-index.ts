/**
 * The embedded semantic index: the entries in memory (semantic-groups.ts: a group per namespace +
 * context key, searched as a list or, past 512 entries, through an HNSW graph), and a copy in the
 * SQLite store (table `semantic_cache_entries`), read back when the gateway starts, so a restart
 * keeps them. Expired entries are skipped on search and forgotten then, and removed from SQLite at
 * start and by `sweep()`; past `maxEntries` the oldest go, in memory at once and in SQLite at the
 * next sweep.
 *
 * SQLite is written behind the graph, never in a request's path: adds, clears and the sweep's
 * deletes queue up and go in one transaction every FLUSH_MS. Written one by one, each add cost the
 * event loop a commit (an fsync of the WAL), about 0.4 ms, and a sweep of 2,000 expired entries
 * 220 ms; the file is shared with the request log's writer thread, and waiting for its lock blocked
 * the event loop too. Now the connection never waits for that lock (busy_timeout 0): a flush that
 * finds it taken is tried again at the next one, and commits do not fsync (synchronous NORMAL: a
 * crash may lose the last moments of a cache, never corrupt it). A restart loses what was not
 * flushed yet, at most FLUSH_MS of entries unless SQLite stays unavailable; close() flushes.
 */
import type { SqliteDb, SqliteStatement } from '../storage/sqlite-driver.js';
import type { SemanticEntry, SemanticIndex, SemanticMatch, SemanticQuery } from './semantic-index.js';
import { SemanticGroups } from './semantic-groups.js';
import type { SemanticGroupsOptions } from './semantic-groups.js';

/** How often queued SQLite writes go, in one transaction (and a flush that found the lock taken is retried). */
const FLUSH_MS = 250;
/** Entries waiting to be written, at most: past it (SQLite unavailable for long) new ones stay in memory only. */
const MAX_PENDING_ADDS = 20_000;
/**
 * How long flushes may keep failing before it is reported: the request log's writer holds the
 * file's lock for a moment at a time, and a flush that meets it is simply tried again.
 */
const FAILING_REPORTED_AFTER_MS = 5_000;
/**
 * Saved entries go back into the graphs a page of rows at a time, yielding to the event loop
 * every LOAD_SLICE_MS: an HNSW insert costs about 0.3 ms, so 100,000 saved entries are half a
 * minute of work, which must neither hold a serving gateway's event loop nor its start.
 */
const LOAD_PAGE_ROWS = 200;
const LOAD_SLICE_MS = 5;

/**
 * A vector as the column keeps it: float32 bytes (what the HNSW graph computes with anyway), a
 * tenth of its JSON text and far cheaper to write; rows of earlier versions hold JSON text.
 */
function vectorBlob(v: readonly number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(v).buffer);
}

function vectorOf(stored: string | Uint8Array): number[] {
  if (typeof stored === 'string') return JSON.parse(stored) as number[];
  const bytes = Uint8Array.from(stored); // aligned for the float view, whatever buffer it came in
  return Array.from(new Float32Array(bytes.buffer, 0, bytes.byteLength >> 2));
}

/** A SQLite write waiting for the next flush; the queue keeps their order (an add, then a clear). */
type Write = { kind: 'add'; entry: SemanticEntry } | { kind: 'clear'; namespace: string | undefined } | { kind: 'expire'; now: number } | { kind: 'trim'; keep: number };

const EXPIRE_SQL = 'DELETE FROM semantic_cache_entries WHERE expires_at <= ?';
/** Deletes all but the newest `keep` rows (ids grow with every insert). */
const TRIM_SQL = 'DELETE FROM semantic_cache_entries WHERE id <= (SELECT id FROM semantic_cache_entries ORDER BY id DESC LIMIT 1 OFFSET ?)';

export interface EmbeddedIndexOptions extends SemanticGroupsOptions {
  /** Told when writing to SQLite starts failing (ok false) and when it works again (ok true). */
  onPersist?: (ok: boolean, err?: unknown) => void;
  /** Told once the saved entries are back (how many), or that loading them stopped on an error. */
  onLoaded?: (entries: number, err?: unknown) => void;
  /** Time spent loading before yielding to the event loop (default LOAD_SLICE_MS; tests make it 0). */
  loadSliceMs?: number;
  /** How long flushes may fail before onPersist hears of it (default FAILING_REPORTED_AFTER_MS; tests make it 0). */
  failingReportedAfterMs?: number;
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
  private readonly entries: SemanticGroups;
  /** `entries.evicted` when SQLite was last trimmed to the bound. */
  private trimmedAt = 0;
  private writes: Write[] = [];
  private pendingAdds = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private insertStmt: SqliteStatement | undefined;
  private persisting = true;
  private failingSince: number | undefined;
  /** While saved entries load: the namespaces cleared meanwhile (true: everything), whose rows are skipped. */
  private clearedWhileLoading: Set<string> | true | undefined;
  private closed = false;
  /** Resolves, with how many entries came back, once the saved entries are in the graphs; lookups meanwhile may miss them. */
  loaded: Promise<number> = Promise.resolve(0);

  /** `db`: where entries persist (undefined: memory only). */
  constructor(
    private readonly db?: SqliteDb,
    private readonly o: EmbeddedIndexOptions = {},
  ) {
    this.entries = new SemanticGroups(o);
  }

  /**
   * Opens the index on a SQLite database (the one write done in line, deleting expired rows, waits
   * for a busy lock as the caller set it) and starts loading the saved entries (`loaded`).
   */
  static open(db: SqliteDb | undefined, now: number, o: EmbeddedIndexOptions = {}): EmbeddedSemanticIndex {
    const idx = new EmbeddedSemanticIndex(db, o);
    if (!db) return idx;
    db.exec(TABLE_SQL);
    db.exec('CREATE INDEX IF NOT EXISTS semantic_cache_entries_ns ON semantic_cache_entries (namespace)');
    // The sweep's DELETE of expired rows reads only those, not every row with its vector and answer.
    db.exec('CREATE INDEX IF NOT EXISTS semantic_cache_entries_expires ON semantic_cache_entries (expires_at)');
    db.prepare(EXPIRE_SQL).run(now);
    // Rows past the bound would be loaded only to be evicted.
    if (o.maxEntries !== undefined) db.prepare(TRIM_SQL).run(o.maxEntries);
    db.exec('PRAGMA busy_timeout = 0');
    db.exec('PRAGMA synchronous = NORMAL');
    idx.clearedWhileLoading = new Set();
    idx.loaded = idx.load(db).finally(() => (idx.clearedWhileLoading = undefined));
    return idx;
  }

  private async load(db: SqliteDb): Promise<number> {
    const loaded = { n: 0 };
    try {
      await this.loadPages(db, loaded);
      this.o.onLoaded?.(loaded.n);
    } catch (err) {
      // The entries loaded so far serve; the rest stay in SQLite (and load at the next start).
      this.o.onLoaded?.(loaded.n, err);
    }
    return loaded.n;
  }

  private async loadPages(db: SqliteDb, loaded: { n: number }): Promise<void> {
    const page = db.prepare('SELECT id, namespace, context_key, vector, value, expires_at FROM semantic_cache_entries WHERE id > ? ORDER BY id LIMIT ?');
    let after = 0;
    const slice = this.o.loadSliceMs ?? LOAD_SLICE_MS;
    let until = performance.now() + slice;
    for (;;) {
      if (this.closed) return;
      const rows = page.all(after, LOAD_PAGE_ROWS) as Array<{ id: number; namespace: string; context_key: string; vector: string | Uint8Array; value: string; expires_at: number }>;
      for (const r of rows) {
        after = r.id;
        const cleared = this.clearedWhileLoading;
        if (cleared === true || cleared?.has(r.namespace)) continue;
        this.entries.add({ namespace: r.namespace, contextKey: r.context_key, vector: vectorOf(r.vector), value: r.value, expiresAt: Number(r.expires_at) });
        loaded.n++;
        if (performance.now() >= until) {
          await new Promise((resolve) => setImmediate(resolve));
          if (this.closed) return;
          until = performance.now() + slice;
        }
      }
      if (rows.length < LOAD_PAGE_ROWS) return;
    }
  }

  /** A new bound (a config change); past it, the oldest entries go. */
  setMaxEntries(n: number): void {
    this.o.maxEntries = n;
    this.entries.setMaxEntries(n);
  }

  async add(e: SemanticEntry): Promise<void> {
    this.entries.add(e);
    if (this.db && this.pendingAdds < MAX_PENDING_ADDS) {
      this.pendingAdds++;
      this.queue({ kind: 'add', entry: e });
    }
  }

  private queue(w: Write): void {
    this.writes.push(w);
    this.schedule();
  }

  private schedule(): void {
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, FLUSH_MS).unref();
  }

  /**
   * Writes the queued changes in one transaction; true when nothing is left queued. On an error
   * (the lock taken by another writer, a full disk) nothing of the batch is written, and all of it
   * is tried again FLUSH_MS later.
   */
  flush(): boolean {
    const db = this.db;
    if (!db || this.writes.length === 0) return true;
    const writes = this.writes;
    try {
      db.transaction(() => {
        for (const w of writes) {
          if (w.kind === 'add') {
            const e = w.entry;
            this.insertStmt ??= db.prepare('INSERT INTO semantic_cache_entries (namespace, context_key, vector, value, expires_at) VALUES (?, ?, ?, ?, ?)');
            this.insertStmt.run(e.namespace, e.contextKey, vectorBlob(e.vector), e.value, Math.round(e.expiresAt));
          } else if (w.kind === 'trim') db.prepare(TRIM_SQL).run(w.keep);
          else if (w.kind === 'expire') db.prepare(EXPIRE_SQL).run(Math.round(w.now));
          else if (w.namespace === undefined) db.prepare('DELETE FROM semantic_cache_entries').run();
          else db.prepare('DELETE FROM semantic_cache_entries WHERE namespace = ?').run(w.namespace);
        }
      });
    } catch (err) {
      const now = Date.now();
      this.failingSince ??= now;
      if (now - this.failingSince >= (this.o.failingReportedAfterMs ?? FAILING_REPORTED_AFTER_MS)) this.persisted(false, err);
      this.schedule();
      return false;
    }
    this.writes = [];
    this.pendingAdds = 0;
    this.failingSince = undefined;
    this.persisted(true);
    return true;
  }

  private persisted(ok: boolean, err?: unknown): void {
    if (ok === this.persisting) return;
    this.persisting = ok;
    this.o.onPersist?.(ok, err);
  }

  /** Synchronous search (the micro-benchmark measures this). */
  searchSync(q: SemanticQuery): SemanticMatch | undefined {
    return this.entries.search(q);
  }

  async search(q: SemanticQuery): Promise<SemanticMatch | undefined> {
    return this.searchSync(q);
  }

  /** Resolves once no group's graph is being built. */
  idle(): Promise<void> {
    return this.entries.idle();
  }

  /** The groups, and how many have an HNSW graph (tests; the memory they cost). */
  shape(): { groups: number; graphs: number } {
    return { groups: this.entries.groupCount, graphs: this.entries.graphs };
  }

  /**
   * Removes expired entries everywhere (the service calls it now and then); their rows go with one
   * DELETE at the next flush (an entry forgotten on search stays in SQLite until then), and so do
   * the rows of entries evicted for the bound since the last sweep.
   */
  sweep(now: number): void {
    this.entries.sweep(now);
    if (!this.db) return;
    this.queue({ kind: 'expire', now });
    if (this.entries.evicted !== this.trimmedAt && this.o.maxEntries !== undefined) {
      this.trimmedAt = this.entries.evicted;
      this.queue({ kind: 'trim', keep: this.o.maxEntries });
    }
  }

  async clear(namespace?: string): Promise<number> {
    const n = this.entries.clear(namespace);
    if (this.clearedWhileLoading !== undefined) {
      if (namespace === undefined) this.clearedWhileLoading = true;
      else if (this.clearedWhileLoading !== true) this.clearedWhileLoading.add(namespace);
    }
    if (this.db) {
      // An admin's clear is written at once when SQLite is free (else with the next flush), after
      // the adds queued before it.
      this.queue({ kind: 'clear', namespace });
      this.flush();
    }
    return n;
  }

  async stats(): Promise<{ entries: number }> {
    return { entries: this.entries.size };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.db) {
      // Shutting down: worth waiting a little for the lock, so the last entries survive the restart.
      this.db.exec('PRAGMA busy_timeout = 1000');
      this.flush();
      clearTimeout(this.flushTimer);
      this.db.close();
    }
    this.entries.close();
  }
}
