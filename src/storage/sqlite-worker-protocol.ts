/**
 * The messages between the gateway's main thread and a worker thread that owns an embedded SQLite
 * database (sqlite-worker-client.ts ⇄ sqlite-worker.ts): the request log's (LogStore calls) or
 * the stored Responses' (ResponseStore calls). One request per store call, one reply per request,
 * matched by id. Errors cross the thread boundary as plain
 * data (name, message, code) and are rebuilt as Errors with the same message on the main thread.
 */
import type { LogPage, LogQuery, LogRow, Stats } from './log-store.js';
import type { StoredResponse } from './response-store.js';

/** The stores a thread can hold: the request log and the stored Responses. */
export type StoreKind = 'log' | 'responses';

/** Each operation's argument and result. */
export interface WorkerOps {
  /** Opens a store of the database at `path` (each store its own connection). */
  open: { arg: { kind: StoreKind; path: string }; result: void };
  /** Brings a store's schema up to date. */
  migrate: { arg: StoreKind; result: void };
  insert: { arg: readonly LogRow[]; result: void };
  query: { arg: LogQuery; result: LogPage };
  stats: { arg: { from: number; to: number }; result: Stats };
  deleteBefore: { arg: number; result: number };
  putResponse: { arg: StoredResponse; result: void };
  getResponse: { arg: { id: string; owner: string }; result: StoredResponse | undefined };
  deleteResponse: { arg: { id: string; owner: string }; result: boolean };
  deleteResponsesBefore: { arg: number; result: number };
  /** Waits for the operations under way, then closes a store's connection. */
  close: { arg: StoreKind; result: void };
}

export type WorkerOp = keyof WorkerOps;

export interface WorkerRequest<K extends WorkerOp = WorkerOp> {
  id: number;
  op: K;
  arg: WorkerOps[K]['arg'];
}

export interface WorkerErrorData {
  name: string;
  message: string;
  code?: string;
}

export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WorkerErrorData };

export function toErrorData(e: unknown): WorkerErrorData {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? { name: e.name, message: e.message, code } : { name: e.name, message: e.message };
}

export function fromErrorData(d: WorkerErrorData): Error {
  const e = new Error(d.message);
  if (d.name !== 'Error') e.name = d.name;
  if (d.code !== undefined) (e as Error & { code?: string }).code = d.code;
  return e;
}
