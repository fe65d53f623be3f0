/**
 * Stored Responses-API responses (`store: true`), for `previous_response_id`, GET / DELETE
 * /v1/responses/{id} and its input_items. Same database as the request log (`storage.*`): SQLite
 * by default, Postgres when `storage.postgres_url` is set, so replicas share conversations.
 *
 * A row is one response: its `response` object as the client received it and the full input the
 * model saw for it (the earlier conversation included), so continuing it is one read. Each row
 * belongs to the client key that created it (`owner`, a hash of the key, never the key): another
 * key can neither read, continue nor delete it.
 */
import type { StorageConfig } from './open-log-store.js';
import { redactUrl } from './open-log-store.js';

export interface StoredResponse {
  id: string;
  /** sha256 of the client key that created it; '' when the gateway has no client keys. */
  owner: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** The `response` object. */
  response: Record<string, unknown>;
  /** Every input item of this response, in order, each with an id. */
  inputItems: Record<string, unknown>[];
}

export interface ResponseStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Creates the table when missing (idempotent; safe from several replicas at once). */
  migrate(): Promise<void>;
  /** Inserts, or replaces a response with the same id. */
  put(r: StoredResponse): Promise<void>;
  get(id: string, owner: string): Promise<StoredResponse | undefined>;
  /** True when a response was deleted. */
  delete(id: string, owner: string): Promise<boolean>;
  /** Deletes responses created before `ts` (ms); returns how many. */
  deleteOlderThan(ts: number): Promise<number>;
  close(): Promise<void>;
}

export const RESPONSES_TABLE = 'stored_responses';

/** Postgres when `postgres_url` is set, else SQLite at `sqlite_path`. Drivers load only when used. */
export async function openResponseStore(storage: StorageConfig): Promise<ResponseStore> {
  const kind = storage.postgres_url ? 'Postgres' : `SQLite (${storage.sqlite_path})`;
  let store: ResponseStore | undefined;
  try {
    if (storage.postgres_url) {
      const { openPostgresResponseStore } = await import('./postgres-response-store.js');
      store = openPostgresResponseStore({ url: storage.postgres_url });
    } else {
      const { openSqliteResponseStore } = await import('./sqlite-response-store.js');
      store = await openSqliteResponseStore(storage.sqlite_path);
    }
    await store.migrate();
    return store;
  } catch (e) {
    await store?.close().catch(() => {});
    throw new Error(`stored responses: cannot open the ${kind} database (storage.*): ${redactUrl((e as Error).message)}`, { cause: e });
  }
}

/** A row's JSON columns back to objects. */
export function rowToStored(row: { id: string; owner: string; created_at: number | string; response: string; input_items: string }): StoredResponse {
  return {
    id: row.id,
    owner: row.owner,
    createdAt: Number(row.created_at),
    response: JSON.parse(row.response) as Record<string, unknown>,
    inputItems: JSON.parse(row.input_items) as Record<string, unknown>[],
  };
}
