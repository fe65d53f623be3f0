/**
 * The main thread's side of the SQLite worker thread (sqlite-worker.ts): one request per store
 * call, answered by id, so SQLite's synchronous calls (and their waits for another connection's
 * write lock) never block the event loop that serves requests.
 *
 * The request log and the stored Responses live in one file (`storage.sqlite_path`) and share one
 * thread for it: the thread runs one statement at a time, so the two never wait for each other's
 * write lock (SQLite's busy wait sleeps in steps of milliseconds), and the gateway runs one thread
 * for its file, not two. Each store is a client of the thread and names itself in its errors.
 *
 * The thread cannot take the gateway down: a failing call rejects its promise, and if the thread
 * dies, every pending and later call of every client rejects with an error naming its store. The
 * thread is unref'd while idle (an idle gateway exits normally) and ref'd while a call is pending
 * (a shutdown waiting on close() is not cut short). A client's close() lets the calls already sent
 * finish and closes its store; the last one's stops the thread.
 */
import type { Worker } from 'node:worker_threads';
import { siblingModule, startModuleWorker } from '../worker-thread.js';
import { fromErrorData } from './sqlite-worker-protocol.js';
import type { StoreKind, WorkerOp, WorkerOps, WorkerReply, WorkerRequest } from './sqlite-worker-protocol.js';

/** The worker's entry beside this module. */
export const SQLITE_WORKER_URL = siblingModule(import.meta.url, 'sqlite-worker');

const CLOSED = 'the SQLite store is closed';

interface Pending {
  resolve(value: unknown): void;
  reject(e: Error): void;
}

/** Why the thread can no longer answer (it failed, exited, or was stopped). */
class ThreadGone extends Error {}

class SqliteThread {
  readonly thread: Worker;
  /** The stores open in it. */
  readonly kinds = new Set<StoreKind>();
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Set when the thread failed, exited on its own, or was stopped: every call then rejects with it. */
  private failure: string | undefined;

  constructor(entry: URL) {
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

  get alive(): boolean {
    return this.failure === undefined;
  }

  call<K extends WorkerOp>(op: K, arg: WorkerOps[K]['arg']): Promise<WorkerOps[K]['result']> {
    if (this.failure) return Promise.reject(new ThreadGone(this.failure));
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

  /** Stops the thread once its databases are closed (stopping it in the middle of a better-sqlite3 call can abort the process on Node 20). */
  async stop(): Promise<void> {
    this.fail(CLOSED);
    await this.thread.terminate();
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

  /** The thread is gone (or stopped): reject what waits and everything after. */
  private fail(reason: string): void {
    this.failure ??= reason;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    this.thread.unref();
    for (const p of waiting) p.reject(new ThreadGone(this.failure));
  }
}

/** The thread of each file, while a store uses it. */
const threads = new Map<string, SqliteThread>();

/**
 * The thread for `path`: the one already serving it when it does not hold this kind of store yet;
 * a thread of its own for ':memory:' (a database per connection), another worker script (tests),
 * or a second store of the same kind.
 */
function threadFor(path: string, kind: StoreKind, entry: URL): SqliteThread {
  const shareable = path !== ':memory:' && entry.href === SQLITE_WORKER_URL.href;
  const existing = shareable ? threads.get(path) : undefined;
  if (existing && existing.alive && !existing.kinds.has(kind)) {
    existing.kinds.add(kind);
    return existing;
  }
  const t = new SqliteThread(entry);
  t.kinds.add(kind);
  if (shareable && !existing?.alive) threads.set(path, t);
  return t;
}

export class SqliteWorkerClient {
  private readonly t: SqliteThread;
  private closing: Promise<void> | undefined;

  /**
   * A store of `kind` in the database at `path`. `what` names the store in errors ("request log"),
   * `consequence` what a dead thread means for it; `entry` replaces the worker script (tests).
   */
  constructor(
    private readonly path: string,
    private readonly kind: StoreKind,
    private readonly what: string,
    private readonly consequence: string,
    entry: URL = SQLITE_WORKER_URL,
  ) {
    this.t = threadFor(path, kind, entry);
  }

  /** The thread that owns the database (exposed for tests that stop it). */
  get thread(): Worker {
    return this.t.thread;
  }

  /** Opens this client's store in the thread. */
  open(): Promise<void> {
    return this.call('open', { kind: this.kind, path: this.path });
  }

  call<K extends WorkerOp>(op: K, arg: WorkerOps[K]['arg']): Promise<WorkerOps[K]['result']> {
    if (this.closing) return Promise.reject(new Error(`${this.what}: ${CLOSED}`));
    return this.send(op, arg);
  }

  /** Everything sent before close() is done first. Resolves also when the thread is already gone. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.send('close', this.kind);
      } catch (e) {
        if (this.t.alive) throw e;
      } finally {
        this.t.kinds.delete(this.kind);
        if (this.t.kinds.size === 0) {
          if (threads.get(this.path) === this.t) threads.delete(this.path);
          await this.t.stop();
        }
      }
    })();
    return this.closing;
  }

  private async send<K extends WorkerOp>(op: K, arg: WorkerOps[K]['arg']): Promise<WorkerOps[K]['result']> {
    try {
      return await this.t.call(op, arg);
    } catch (e) {
      if (!(e instanceof ThreadGone)) throw e;
      if (e.message === CLOSED) throw new Error(`${this.what}: ${CLOSED}`);
      throw new Error(`${this.what}: ${e.message}; ${this.consequence}`);
    }
  }
}
