/**
 * The stored Responses in SQLite as the gateway uses them: a ResponseStore whose database lives in
 * a worker thread (sqlite-worker.ts; the request log's thread when both use the same file), so
 * neither the JSON work of a stored conversation nor a wait for a write lock blocks the event
 * loop. The thread starts calls in the order they were sent, so a response read after it was
 * stored is found.
 */
import type { Worker } from 'node:worker_threads';
import type { ResponseStore, StoredResponse } from './response-store.js';
import { SQLITE_WORKER_URL, SqliteWorkerClient } from './sqlite-worker-client.js';

/** Starts the worker thread (or joins the file's) and opens the database at `path` in it; `thread` is for tests. */
export async function openSqliteWorkerResponseStore(path: string, entry: URL = SQLITE_WORKER_URL): Promise<ResponseStore & { readonly thread: Worker }> {
  const client = new SqliteWorkerClient(path, 'responses', 'stored responses', 'storing and reading responses fails until the gateway restarts', entry);
  try {
    await client.open();
  } catch (e) {
    await client.close();
    throw e;
  }
  return {
    kind: 'sqlite',
    thread: client.thread,
    migrate: () => client.call('migrate', 'responses'),
    put: (r: StoredResponse) => client.call('putResponse', r),
    get: (id, owner) => client.call('getResponse', { id, owner }),
    delete: (id, owner) => client.call('deleteResponse', { id, owner }),
    deleteOlderThan: (ts) => client.call('deleteResponsesBefore', ts),
    close: () => client.close(),
  };
}
