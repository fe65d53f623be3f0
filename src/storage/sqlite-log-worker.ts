/**
 * The worker thread that owns the embedded SQLite request log. SQLite calls are synchronous, so
 * running them here keeps inserts (JSON encoding of the JSON columns included) and admin reads
 * off the gateway's event loop. It wraps SqliteLogStore unchanged: each message from
 * sqlite-worker-log-store.ts is one store call, answered with its result or its error. Nothing
 * here may throw out of a handler: a failing call is a rejected promise on the main thread, never
 * a dead thread.
 */
import { parentPort } from 'node:worker_threads';
import { openSqliteLogStore } from './sqlite-log-store.js';
import type { SqliteLogStore } from './sqlite-log-store.js';
import { toErrorData } from './sqlite-worker-protocol.js';
import type { WorkerOps, WorkerReply, WorkerRequest } from './sqlite-worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('sqlite-log-worker.js runs as a worker thread (see sqlite-worker-log-store.ts)');

let store: SqliteLogStore | undefined;
/** Calls under way (deleteBefore yields between chunks); close waits for them. */
const underWay = new Set<Promise<unknown>>();

function opened(): SqliteLogStore {
  if (!store) throw new Error('the SQLite database is not open');
  return store;
}

async function run(m: WorkerRequest, before: Array<Promise<unknown>>): Promise<unknown> {
  switch (m.op) {
    case 'open':
      if (store) throw new Error('the SQLite database is already open');
      store = await openSqliteLogStore((m as WorkerRequest<'open'>).arg);
      return undefined;
    case 'migrate':
      return opened().migrate();
    case 'insert':
      return opened().insert((m as WorkerRequest<'insert'>).arg);
    case 'query':
      return opened().query((m as WorkerRequest<'query'>).arg);
    case 'stats':
      return opened().stats((m as WorkerRequest<'stats'>).arg);
    case 'deleteBefore':
      return opened().deleteBefore((m as WorkerRequest<'deleteBefore'>).arg);
    case 'close': {
      await Promise.allSettled(before);
      const s = store;
      store = undefined;
      return s?.close();
    }
    default:
      throw new Error(`unknown request-log operation ${String((m as { op: unknown }).op)}`);
  }
}

port.on('message', (m: WorkerRequest<keyof WorkerOps>) => {
  const before = m.op === 'close' ? [...underWay] : [];
  const done = run(m, before).then(
    (value) => reply({ id: m.id, ok: true, value }),
    (e: unknown) => reply({ id: m.id, ok: false, error: toErrorData(e) }),
  );
  underWay.add(done);
  void done.finally(() => underWay.delete(done));
});

function reply(r: WorkerReply): void {
  try {
    port!.postMessage(r);
  } catch (e) {
    // A result that cannot be cloned still gets an answer, so the caller never waits forever.
    port!.postMessage({ id: r.id, ok: false, error: toErrorData(e) } satisfies WorkerReply);
  }
}
