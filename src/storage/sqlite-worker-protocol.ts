/**
 * The messages between the gateway's main thread and the worker thread that owns the embedded
 * SQLite request log (sqlite-worker-log-store.ts ⇄ sqlite-log-worker.ts). One request per
 * LogStore call, one reply per request, matched by id. Errors cross the thread boundary as plain
 * data (name, message, code) and are rebuilt as Errors with the same message on the main thread.
 */
import type { LogPage, LogQuery, LogRow, Stats } from './log-store.js';

/** Each operation's argument and result. */
export interface WorkerOps {
  open: { arg: string; result: void };
  migrate: { arg: undefined; result: void };
  insert: { arg: readonly LogRow[]; result: void };
  query: { arg: LogQuery; result: LogPage };
  stats: { arg: { from: number; to: number }; result: Stats };
  deleteBefore: { arg: number; result: number };
  /** Waits for the operations under way, then closes the database. */
  close: { arg: undefined; result: void };
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
