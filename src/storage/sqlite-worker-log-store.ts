/**
 * The embedded SQLite request log as the gateway uses it: a LogStore whose database lives in a
 * worker thread (sqlite-log-worker.ts), so SQLite's synchronous inserts and the admin API's reads
 * never block the event loop that serves requests. Each call posts one message (rows go by
 * structured clone; JSON encoding happens in the worker) and resolves on the reply.
 *
 * The thread cannot take the gateway down: a failing call rejects its promise, and if the thread
 * dies, every pending and later call rejects with an error naming the request log. The thread is
 * unref'd while idle (an idle gateway exits normally) and ref'd while a call is pending (a
 * shutdown waiting on close() is not cut short). close() lets the calls already sent finish,
 * closes the database, and stops the thread.
 */
import type { Worker } from 'node:worker_threads';
import { siblingModule, startModuleWorker } from '../worker-thread.js';
import type { LogPage, LogQuery, LogRow, LogStore, Stats } from './log-store.js';
import { fromErrorData } from './sqlite-worker-protocol.js';
import type { WorkerOp, WorkerOps, WorkerReply, WorkerRequest } from './sqlite-worker-protocol.js';

/** The worker's entry beside this module. */
const WORKER_URL = siblingModule(import.meta.url, 'sqlite-log-worker');

/**
 * Starts the worker thread and opens the database at `path` in it (':memory:' lives in the
 * thread). `entry` replaces the worker script (tests).
 */
export async function openSqliteWorkerLogStore(path: string, entry: URL = WORKER_URL): Promise<SqliteWorkerLogStore> {
  const store = new SqliteWorkerLogStore(entry);
  try {
    await store.call('open', path);
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}

const CLOSED = 'the SQLite store is closed';

interface Pending {
  resolve(value: unknown): void;
  reject(e: Error): void;
}

export class SqliteWorkerLogStore implements LogStore {
  readonly kind = 'sqlite' as const;
  /** The thread that owns the database (exposed for tests that stop it). */
  readonly thread: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Set when the thread failed, exited on its own, or was closed: every call then rejects with it. */
  private failure: string | undefined;
  private closing: Promise<void> | undefined;

  constructor(entry: URL = WORKER_URL) {
    this.thread = startModuleWorker(entry);
    this.thread.unref();
    this.thread.on('message', (r: WorkerReply) => this.settle(r));
    this.thread.on('error', (e: Error) => this.fail(`the SQLite worker thread failed: ${e.message}`));
    this.thread.on('messageerror', (e: Error) => {
      // No reply can be matched any more; stopping the thread is the only way not to hang callers.
      this.fail(`a reply from the SQLite worker thread could not be read: ${e.message}`);
      void this.thread.terminate();
    });
    this.thread.on('exit', (code: number) => this.fail(`the SQLite worker thread exited unexpectedly (exit code ${code})`));
  }

  migrate(): Promise<void> {
    return this.call('migrate', undefined);
  }

  async insert(rows: readonly LogRow[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.call('insert', rows);
    } catch (e) {
      if ((e as Error).name !== 'DataCloneError') throw e;
      // A value structured clone refuses (a function, say): send what JSON encoding would have kept.
      await this.call('insert', JSON.parse(JSON.stringify(rows)) as LogRow[]);
    }
  }

  query(q: LogQuery): Promise<LogPage> {
    return this.call('query', q);
  }

  stats(range: { from: number; to: number }): Promise<Stats> {
    return this.call('stats', range);
  }

  deleteBefore(before: number): Promise<number> {
    return this.call('deleteBefore', before);
  }

  /** Everything sent before close() is written first. Resolves also when the thread is already gone. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        if (!this.failure) await this.call('close', undefined, true);
      } catch (e) {
        if (!this.failure) throw e;
      } finally {
        this.failure ??= CLOSED;
        // The database is closed and the thread idle: nothing native is running when it stops.
        // (Stopping it in the middle of a better-sqlite3 call can abort the process on Node 20.)
        await this.thread.terminate();
      }
    })();
    return this.closing;
  }

  /** Posts one request; `closing` lets the close request itself through. */
  call<K extends WorkerOp>(op: K, arg: WorkerOps[K]['arg'], closing = false): Promise<WorkerOps[K]['result']> {
    if (this.failure) return Promise.reject(this.error());
    if (this.closing && !closing) return Promise.reject(new Error(`request log: ${CLOSED}`));
    const id = this.nextId++;
    return new Promise<WorkerOps[K]['result']>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      if (this.pending.size === 1) this.thread.ref();
      try {
        this.thread.postMessage({ id, op, arg } satisfies WorkerRequest<K>);
      } catch (e) {
        this.forget(id);
        reject(e as Error);
      }
    });
  }

  private settle(r: WorkerReply): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.forget(r.id);
    if (r.ok) p.resolve(r.value);
    else p.reject(fromErrorData(r.error));
  }

  private forget(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.thread.unref();
  }

  /** The thread is gone (or closed): reject what waits and everything after. */
  private fail(reason: string): void {
    this.failure ??= reason;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    this.thread.unref();
    for (const p of waiting) p.reject(this.error());
  }

  private error(): Error {
    if (this.failure === CLOSED) return new Error(`request log: ${CLOSED}`);
    return new Error(`request log: ${this.failure}; request-log writes and reads fail until the gateway restarts`);
  }
}
