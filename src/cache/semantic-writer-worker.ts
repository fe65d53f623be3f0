/**
 * The thread that writes the embedded semantic index's rows to SQLite (semantic-rows.ts), so the
 * event loop that serves requests never runs them: an add with a 1,536-dimension vector costs
 * SQLite about 0.1 ms, and a batch of a busy quarter second held the loop for 20-40 ms. Here the
 * connection may also wait for the file's lock (the request log's writer shares the file) instead
 * of failing at once. A batch that fails (the lock held past the wait, a full disk) stays queued
 * and is tried again FLUSH_MS later; the main thread hears when writing starts failing (after
 * `failingReportedAfterMs`) and when it works again. Nothing here throws out of a handler.
 *
 * Messages in: open {path, failingReportedAfterMs}, write {writes}, close. Out: opened {error?},
 * state {ok, error?}, closed {unwritten}.
 */
import { parentPort } from 'node:worker_threads';
import { openSqlite } from '../storage/sqlite-driver.js';
import type { SqliteDb } from '../storage/sqlite-driver.js';
import { FLUSH_MS, MAX_QUEUED_ADDS, SemanticRows } from './semantic-rows.js';
import { WriteHealth } from '../storage/write-health.js';
import type { RowWrite } from './semantic-rows.js';

export type WriterRequest = { op: 'open'; path: string; failingReportedAfterMs: number } | { op: 'write'; writes: RowWrite[] } | { op: 'close' };
export type WriterReply = { op: 'opened'; error?: string } | { op: 'state'; ok: boolean; error?: string } | { op: 'closed'; unwritten: number };

/** How long this connection waits for the file's lock (in this thread, so nothing else waits). */
const BUSY_TIMEOUT_MS = 2_000;

const port = parentPort;
if (!port) throw new Error('semantic-writer-worker runs as a worker thread (see embedded-semantic-index.ts)');

let db: SqliteDb | undefined;
let rows: SemanticRows | undefined;
let queue: RowWrite[] = [];
let queuedAdds = 0;
let retry: NodeJS.Timeout | undefined;
let health = new WriteHealth(0);

function send(m: WriterReply): void {
  port!.postMessage(m);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Writes what is queued; true when nothing is left. */
function drain(): boolean {
  if (!rows || queue.length === 0) return true;
  try {
    rows.apply(queue);
  } catch (e) {
    if (health.failed(Date.now())) send({ op: 'state', ok: false, error: message(e) });
    retry ??= setTimeout(() => {
      retry = undefined;
      drain();
    }, FLUSH_MS);
    return false;
  }
  queue = [];
  queuedAdds = 0;
  if (health.worked()) send({ op: 'state', ok: true });
  return true;
}

async function open(path: string): Promise<void> {
  db = await openSqlite(path);
  db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.exec('PRAGMA journal_mode = WAL');
  // Commits do not fsync: a crash may lose the last moments of a cache, never corrupt it.
  db.exec('PRAGMA synchronous = NORMAL');
  rows = new SemanticRows(db);
}

/** Settles once the database is open (or could not be): writes and close wait for it. */
let opened: Promise<void> = Promise.resolve();

port.on('message', (m: WriterRequest) => {
  if (m.op === 'open') {
    health = new WriteHealth(m.failingReportedAfterMs);
    opened = open(m.path).then(
      () => send({ op: 'opened' }),
      (e: unknown) => send({ op: 'opened', error: message(e) }),
    );
  } else if (m.op === 'write') {
    for (const w of m.writes) {
      if (w.kind === 'add') {
        if (queuedAdds >= MAX_QUEUED_ADDS) continue;
        queuedAdds++;
      }
      queue.push(w);
    }
    void opened.then(() => {
      if (!retry) drain();
    });
  } else {
    void opened.then(() => {
      clearTimeout(retry);
      retry = undefined;
      drain();
      const unwritten = queue.length;
      try {
        db?.close();
      } catch {
        // closing anyway
      }
      db = undefined;
      rows = undefined;
      send({ op: 'closed', unwritten });
      port!.close();
    });
  }
});
