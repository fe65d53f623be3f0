/**
 * The worker thread that owns an embedded SQLite file: its request log, its stored Responses, or
 * both (each store its own connection). SQLite calls are synchronous, and a write waits for any
 * other connection's write lock; running them here keeps both the work and the waiting off the
 * gateway's event loop, and running the file's stores in one thread means they never wait for
 * each other. It wraps SqliteLogStore and SqliteResponseStore unchanged: each message from
 * sqlite-worker-client.ts is one store call, answered with its result or its error, started in
 * the order sent (so a read sent after a write sees it). Nothing here may throw out of a handler:
 * a failing call is a rejected promise on the main thread, never a dead thread.
 */
import { parentPort } from 'node:worker_threads';
import { openSqliteLogStore } from './sqlite-log-store.js';
import type { SqliteLogStore } from './sqlite-log-store.js';
import { openSqliteResponseStore } from './sqlite-response-store.js';
import type { SqliteResponseStore } from './sqlite-response-store.js';
import { toErrorData } from './sqlite-worker-protocol.js';
import type { WorkerOp, WorkerOps, WorkerReply, WorkerRequest } from './sqlite-worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('sqlite-worker.js runs as a worker thread (see sqlite-worker-client.ts)');

let log: SqliteLogStore | undefined;
let responses: SqliteResponseStore | undefined;
/** Calls under way (deletes yield between chunks); close waits for them. */
const underWay = new Set<Promise<unknown>>();

function opened<T>(store: T | undefined): T {
  if (!store) throw new Error('the SQLite database is not open');
  return store;
}


type Handlers = { [K in WorkerOp]: (arg: WorkerOps[K]['arg'], before: Array<Promise<unknown>>) => Promise<WorkerOps[K]['result']> | WorkerOps[K]['result'] };

const handlers: Handlers = {
  open: async ({ kind, path }) => {
    if (kind === 'log' ? log : responses) throw new Error(`the SQLite ${kind} store is already open`);
    if (kind === 'log') log = await openSqliteLogStore(path);
    else responses = await openSqliteResponseStore(path);
  },
  migrate: (kind) => (kind === 'log' ? opened(log) : opened(responses)).migrate(),
  insert: (rows) => opened(log).insert(rows),
  query: (q) => opened(log).query(q),
  stats: (range) => opened(log).stats(range),
  deleteBefore: (before) => opened(log).deleteBefore(before),
  putResponse: (r) => opened(responses).put(r),
  getResponse: ({ id, owner }) => opened(responses).get(id, owner),
  deleteResponse: ({ id, owner }) => opened(responses).delete(id, owner),
  deleteResponsesBefore: (ts) => opened(responses).deleteOlderThan(ts),
  close: async (kind, before) => {
    await Promise.allSettled(before);
    const store = kind === 'log' ? log : responses;
    if (kind === 'log') log = undefined;
    else responses = undefined;
    await store?.close();
  },
};

/** Starts the call at once (in the order the messages came); `before` is what close waits for. */
async function run(m: WorkerRequest, before: Array<Promise<unknown>>): Promise<unknown> {
  const handler = handlers[m.op] as ((arg: unknown, before: Array<Promise<unknown>>) => unknown) | undefined;
  if (!handler) throw new Error(`unknown SQLite worker operation ${String(m.op)}`);
  return handler(m.arg, before);
}

port.on('message', (m: WorkerRequest) => {
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
