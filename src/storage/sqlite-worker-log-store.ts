/**
 * The embedded SQLite request log as the gateway uses it: a LogStore whose database lives in a
 * worker thread (sqlite-worker.ts, reached through sqlite-worker-client.ts; the thread the stored
 * Responses of the same file use), so SQLite's synchronous inserts and the admin API's reads never
 * block the event loop that serves requests.
 * Each call posts one message (rows go by structured clone; JSON encoding happens in the worker)
 * and resolves on the reply.
 */
import type { Worker } from 'node:worker_threads';
import type { LogPage, LogQuery, LogRow, LogStore, Stats } from './log-store.js';
import { SQLITE_WORKER_URL, SqliteWorkerClient } from './sqlite-worker-client.js';

/**
 * Starts the worker thread and opens the database at `path` in it (':memory:' lives in the
 * thread). `entry` replaces the worker script (tests).
 */
export async function openSqliteWorkerLogStore(path: string, entry: URL = SQLITE_WORKER_URL): Promise<SqliteWorkerLogStore> {
  const store = new SqliteWorkerLogStore(path, entry);
  try {
    await store.client.open();
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}

export class SqliteWorkerLogStore implements LogStore {
  readonly kind = 'sqlite' as const;
  readonly client: SqliteWorkerClient;

  constructor(path: string, entry: URL = SQLITE_WORKER_URL) {
    this.client = new SqliteWorkerClient(path, 'log', 'request log', 'request-log writes and reads fail until the gateway restarts', entry);
  }

  /** The thread that owns the database (exposed for tests that stop it). */
  get thread(): Worker {
    return this.client.thread;
  }

  migrate(): Promise<void> {
    return this.client.call('migrate', 'log');
  }

  async insert(rows: readonly LogRow[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.client.call('insert', rows);
    } catch (e) {
      if ((e as Error).name !== 'DataCloneError') throw e;
      // A value structured clone refuses (a function, say): send what JSON encoding would have kept.
      await this.client.call('insert', JSON.parse(JSON.stringify(rows)) as LogRow[]);
    }
  }

  query(q: LogQuery): Promise<LogPage> {
    return this.client.call('query', q);
  }

  stats(range: { from: number; to: number }): Promise<Stats> {
    return this.client.call('stats', range);
  }

  deleteBefore(before: number): Promise<number> {
    return this.client.call('deleteBefore', before);
  }

  /** Everything sent before close() is written first. Resolves also when the thread is already gone. */
  close(): Promise<void> {
    return this.client.close();
  }
}
