/**
 * Opens the configured request-log store and brings its schema up to date. SQLite runs in a worker
 * thread (sqlite-worker-log-store.ts) so its synchronous calls stay off the event loop.
 */
import type { LogStore } from './log-store.js';

export interface StorageConfig {
  sqlite_path: string;
  postgres_url?: string | undefined;
}

/** Postgres when `postgres_url` is set, else SQLite at `sqlite_path`. Drivers load only when used. */
export async function openLogStore(storage: StorageConfig): Promise<LogStore> {
  const kind = storage.postgres_url ? 'Postgres' : `SQLite (${storage.sqlite_path})`;
  let store: LogStore | undefined;
  try {
    if (storage.postgres_url) {
      const { openPostgresLogStore } = await import('./postgres-log-store.js');
      store = openPostgresLogStore({ url: storage.postgres_url });
    } else {
      const { openSqliteWorkerLogStore } = await import('./sqlite-worker-log-store.js');
      store = await openSqliteWorkerLogStore(storage.sqlite_path);
    }
    await store.migrate();
    return store;
  } catch (e) {
    await store?.close().catch(() => {});
    throw new Error(`request log: cannot open the ${kind} database (storage.*): ${redactUrl((e as Error).message.replace(/^request log: /, ''))}`, { cause: e });
  }
}

/** Removes a password from any URL in a message (postgres://user:secret@host → postgres://user:***@host). */
export function redactUrl(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@\s]+@/gi, '$1***@');
}
