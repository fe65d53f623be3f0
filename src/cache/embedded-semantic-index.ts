/**
 * The embedded semantic index: the entries in memory (semantic-groups.ts: a group per namespace +
 * context key, searched as a list or, past 512 entries, through an HNSW graph), and a copy in the
 * SQLite store (table `semantic_cache_entries`), read back when the gateway starts, so a restart
 * keeps them. Expired entries are skipped on search and forgotten then, and removed from SQLite at
 * start and by `sweep()`; past `maxEntries` the oldest go, in memory at once and in SQLite at the
 * next sweep.
 *
 * SQLite is written behind the graph, never in a request's path: adds, clears and the sweep's
 * deletes queue up and go in one transaction every FLUSH_MS. For a database file they go to a
 * writer thread (semantic-writer-worker.ts) with its own connection: an add with a 1,536-dimension
 * vector costs SQLite about 0.1 ms, so a busy quarter second's batch held the event loop for
 * 20-40 ms when it ran here. The thread may wait for the file's lock (the request log's writer
 * shares the file), keeps a batch that failed and tries it again, and commits without fsync
 * (synchronous NORMAL: a crash may lose the last moments of a cache, never corrupt it). A database
 * only this thread can reach (':memory:') is written in line, never waiting for a lock
 * (busy_timeout 0): a flush that finds it taken is tried again at the next one. A restart loses
 * what was not written yet, at most about FLUSH_MS of entries unless SQLite stays unavailable;
 * close() writes the rest.
 */
import type { Worker } from 'node:worker_threads';
import type { SqliteDb } from '../storage/sqlite-driver.js';
import { siblingModule, startModuleWorker } from '../worker-thread.js';
import type { SemanticEntry, SemanticIndex, SemanticMatch, SemanticQuery } from './semantic-index.js';
import { SemanticGroups } from './semantic-groups.js';
import type { SemanticGroupsOptions } from './semantic-groups.js';
import { createSemanticTable, EXPIRE_SQL, FAILING_REPORTED_AFTER_MS, FLUSH_MS, MAX_QUEUED_ADDS, SemanticRows, TRIM_SQL } from './semantic-rows.js';
import { WriteHealth } from '../storage/write-health.js';
import type { RowWrite } from './semantic-rows.js';
import type { WriterReply, WriterRequest } from './semantic-writer-worker.js';

const WRITER_URL = siblingModule(import.meta.url, 'semantic-writer-worker');
/** How long close() waits for the writer thread to write what is left (it may wait 2 s for the lock). */
const CLOSE_WAIT_MS = 5_000;

/**
 * Saved entries go back into the graphs a page of rows at a time, yielding to the event loop
 * every LOAD_SLICE_MS: an HNSW insert costs about 0.3 ms, so 100,000 saved entries are half a
 * minute of work, which must neither hold a serving gateway's event loop nor its start.
 */
const LOAD_PAGE_ROWS = 200;
const LOAD_SLICE_MS = 5;

function vectorOf(stored: string | Uint8Array): number[] {
  if (typeof stored === 'string') return JSON.parse(stored) as number[];
  const bytes = Uint8Array.from(stored); // aligned for the float view, whatever buffer it came in
  return Array.from(new Float32Array(bytes.buffer, 0, bytes.byteLength >> 2));
}

export interface EmbeddedIndexOptions extends SemanticGroupsOptions {
  /** Told when writing to SQLite starts failing (ok false) and when it works again (ok true). */
  onPersist?: (ok: boolean, err?: unknown) => void;
  /** Told once the saved entries are back (how many), or that loading them stopped on an error. */
  onLoaded?: (entries: number, err?: unknown) => void;
  /** Time spent loading before yielding to the event loop (default LOAD_SLICE_MS; tests make it 0). */
  loadSliceMs?: number;
  /** How long flushes may fail before onPersist hears of it (default FAILING_REPORTED_AFTER_MS; tests make it 0). */
  failingReportedAfterMs?: number;
  /**
   * The database's file: writes then go to a writer thread with its own connection to it (unset,
   * or ':memory:': written in line on `db`).
   */
  writerPath?: string;
  /** The writer thread's entry (tests replace it). */
  writerEntry?: URL;
}

export class EmbeddedSemanticIndex implements SemanticIndex {
  readonly kind = 'embedded';
  private readonly entries: SemanticGroups;
  /** `entries.evicted` when SQLite was last trimmed to the bound. */
  private trimmedAt = 0;
  private writes: RowWrite[] = [];
  private pendingAdds = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private rows: SemanticRows | undefined;
  /** The writer thread, for a database file (undefined: written in line). */
  private writer: Worker | undefined;
  /** Resolves when the writer thread has written what it could and closed (close()). */
  private writerClosed: ((unwritten: number) => void) | undefined;
  private persisting = true;
  /** In-line writes: when their failing is reported. */
  private readonly health: WriteHealth;
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
    this.health = new WriteHealth(o.failingReportedAfterMs ?? FAILING_REPORTED_AFTER_MS);
  }

  /**
   * Opens the index on a SQLite database (the one write done in line, deleting expired rows, waits
   * for a busy lock as the caller set it) and starts loading the saved entries (`loaded`).
   */
  static open(db: SqliteDb | undefined, now: number, o: EmbeddedIndexOptions = {}): EmbeddedSemanticIndex {
    const idx = new EmbeddedSemanticIndex(db, o);
    if (!db) return idx;
    createSemanticTable(db);
    db.prepare(EXPIRE_SQL).run(now);
    // Rows past the bound would be loaded only to be evicted.
    if (o.maxEntries !== undefined) db.prepare(TRIM_SQL).run(o.maxEntries);
    db.exec('PRAGMA busy_timeout = 0');
    db.exec('PRAGMA synchronous = NORMAL');
    if (o.writerPath !== undefined && o.writerPath !== ':memory:') idx.startWriter(o.writerPath);
    idx.clearedWhileLoading = new Set();
    idx.loaded = idx.load(db).finally(() => (idx.clearedWhileLoading = undefined));
    return idx;
  }

  /**
   * Starts the writer thread. Should it fail to open the file or stop, writes go on in line, on
   * this thread's connection: the entries are kept either way.
   */
  private startWriter(path: string): void {
    const w = startModuleWorker(this.o.writerEntry ?? WRITER_URL);
    w.unref();
    this.writer = w;
    const fallBack = (err: unknown) => {
      if (this.writer !== w) return;
      this.writer = undefined;
      void w.terminate();
      this.writerClosed?.(-1);
      if (this.closed) return;
      // Told as a failing write (the batches the thread held may be lost); in-line writes go on.
      this.persisted(false, err);
      this.schedule();
    };
    w.on('message', (m: WriterReply) => {
      if (m.op === 'opened') {
        if (m.error !== undefined) fallBack(new Error(`the semantic cache's SQLite writer could not open the file: ${m.error}`));
      } else if (m.op === 'state') this.persisted(m.ok, m.ok ? undefined : new Error(m.error));
      else {
        if (m.unwritten > 0) this.persisted(false, new Error(`${m.unwritten} semantic cache writes could not be made before shutdown`));
        this.writerClosed?.(m.unwritten);
      }
    });
    w.on('error', (e: Error) => fallBack(e));
    w.on('exit', (code) => fallBack(new Error(`the semantic cache's SQLite writer thread stopped (exit code ${code})`)));
    this.post({ op: 'open', path, failingReportedAfterMs: this.o.failingReportedAfterMs ?? FAILING_REPORTED_AFTER_MS });
  }

  private post(m: WriterRequest): void {
    if (m.op === 'write') {
      const transfer: ArrayBuffer[] = [];
      for (const w of m.writes) if (w.kind === 'add') transfer.push(w.vector.buffer as ArrayBuffer);
      this.writer!.postMessage(m, transfer);
    } else this.writer!.postMessage(m);
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
    if (this.closed) return; // a request that outlived its config's index
    this.entries.add(e);
    if (this.db && this.pendingAdds < MAX_QUEUED_ADDS) {
      this.pendingAdds++;
      this.queue({ kind: 'add', namespace: e.namespace, contextKey: e.contextKey, vector: Float32Array.from(e.vector), value: e.value, expiresAt: e.expiresAt });
    }
  }

  private queue(w: RowWrite): void {
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
   * Writes the queued changes in one transaction; true when nothing is left queued. With a writer
   * thread they are handed to it (which retries what fails). In line, on an error (the lock taken
   * by another writer, a full disk) nothing of the batch is written, and all of it is tried again
   * FLUSH_MS later.
   */
  flush(): boolean {
    const db = this.db;
    if (!db || this.writes.length === 0) return true;
    const writes = this.writes;
    if (this.writer) {
      this.writes = [];
      this.pendingAdds = 0;
      this.post({ op: 'write', writes });
      return true;
    }
    try {
      (this.rows ??= new SemanticRows(db)).apply(writes);
    } catch (err) {
      if (this.health.failed(Date.now())) this.persisted(false, err);
      this.schedule();
      return false;
    }
    this.writes = [];
    this.pendingAdds = 0;
    this.health.worked();
    // Also after the writer thread stopped, which was told as a failure.
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
    if (this.writer) {
      const w = this.writer;
      w.ref(); // the process waits for the last rows
      const closed = new Promise<number>((resolve) => (this.writerClosed = resolve));
      this.flush();
      this.post({ op: 'close' });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise<void>((r) => (timer = setTimeout(r, CLOSE_WAIT_MS)))]).finally(() => clearTimeout(timer));
      this.writer = undefined;
      await w.terminate();
    }
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
