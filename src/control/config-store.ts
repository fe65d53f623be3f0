/**
 * The config store: entities created through the admin API and the revisions that changed them,
 * in the database the request log uses (SQLite by default, Postgres for replicas). Every commit is
 * one transaction under a write lock: it reads the current state, lets the caller plan the change
 * against it (and refuse it: stale revision, invalid config), then writes the entities and one
 * revision row holding what changed and the whole state after it (enough to restore it).
 * Secrets are stored as env references or sealed (secret-box.ts), never in clear.
 */
import type { JsonObject } from './secret-fields.js';

export interface StoredEntity {
  kind: string;
  name: string;
  /** The entity as written in the config file (sealed secrets), without name and revision. */
  body: JsonObject;
  /** The config revision that last changed it. */
  revision: number;
}

export interface StoreState {
  /** The latest revision (0: nothing was ever committed). */
  revision: number;
  entities: StoredEntity[];
}

export interface EntityChange {
  kind: string;
  name: string;
  action: 'create' | 'update' | 'delete';
  before?: JsonObject;
  after?: JsonObject;
}

export interface Actor {
  /** Which credential made the change: "admin" (server.admin_token). */
  token: string;
  /** The x-switchyard-actor header, when sent. */
  name?: string;
}

export interface RevisionRecord {
  revision: number;
  /** Epoch milliseconds. */
  at: number;
  actor: Actor;
  summary: string;
  changes: EntityChange[];
  restoredFrom?: number;
}

export interface RevisionDetail extends RevisionRecord {
  /** Every store entity as it was after this revision. */
  state: StoredEntity[];
}

/** What a commit writes: the entity's new body, or null to delete it. */
export interface PlannedChange {
  kind: string;
  name: string;
  body: JsonObject | null;
}

export interface CommitPlan {
  changes: PlannedChange[];
  summary: string;
  restoredFrom?: number;
}

export interface CommitResult {
  revision: number;
  changes: EntityChange[];
  state: StoreState;
}

export interface ConfigStore {
  readonly kind: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  load(): Promise<StoreState>;
  /** The latest revision; cheap (the poll). */
  head(): Promise<number>;
  /**
   * Runs `plan` against the current state under the write lock and commits what it returns as one
   * revision. `plan` throws to refuse; an empty plan commits nothing (the result has the current
   * revision and no changes).
   */
  commit(actor: Actor, plan: (current: StoreState) => CommitPlan): Promise<CommitResult>;
  revisions(q: { limit: number; before?: number }): Promise<RevisionRecord[]>;
  revision(n: number): Promise<RevisionDetail | undefined>;
  /**
   * Postgres: calls `onRevision` when another replica commits (LISTEN/NOTIFY), and `onReconnect`
   * after the listening connection came back (a notification may have been missed). SQLite: no-op.
   */
  listen(handlers: { onRevision(revision: number): void; onReconnect(): void; onLost(err: Error): void }): void;
  close(): Promise<void>;
}

/** Applies planned changes to a state: what the commit writes, and the diff it records. */
export function applyPlan(current: StoreState, planned: PlannedChange[], revision: number): { entities: StoredEntity[]; changes: EntityChange[] } {
  const map = new Map(current.entities.map((e) => [`${e.kind}\u0000${e.name}`, e]));
  const changes: EntityChange[] = [];
  for (const p of planned) {
    const key = `${p.kind}\u0000${p.name}`;
    const before = map.get(key);
    if (p.body === null) {
      if (!before) continue;
      map.delete(key);
      changes.push({ kind: p.kind, name: p.name, action: 'delete', before: before.body });
    } else {
      if (before && JSON.stringify(before.body) === JSON.stringify(p.body)) continue;
      map.set(key, { kind: p.kind, name: p.name, body: p.body, revision });
      changes.push(before ? { kind: p.kind, name: p.name, action: 'update', before: before.body, after: p.body } : { kind: p.kind, name: p.name, action: 'create', after: p.body });
    }
  }
  return { entities: [...map.values()].sort(byKindName), changes };
}

export function byKindName(a: { kind: string; name: string }, b: { kind: string; name: string }): number {
  return a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Row text → objects, shared by both stores. */
export function parseRevisionRow(row: { revision: number; at: number; actor: string; summary: string; changes: string; restored_from: number | null }): RevisionRecord {
  const r: RevisionRecord = {
    revision: Number(row.revision),
    at: Number(row.at),
    actor: JSON.parse(row.actor) as Actor,
    summary: row.summary,
    changes: JSON.parse(row.changes) as EntityChange[],
  };
  if (row.restored_from !== null && row.restored_from !== undefined) r.restoredFrom = Number(row.restored_from);
  return r;
}
