/**
 * One SQLite file, one worker thread: the request log and the stored Responses of a file share it,
 * and a store that must wait for another connection's write lock waits there, not on the event
 * loop.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { StoredResponse } from './response-store.js';
import { openSqlite } from './sqlite-driver.js';
import { openSqliteWorkerLogStore } from './sqlite-worker-log-store.js';
import { openSqliteWorkerResponseStore } from './sqlite-worker-response-store.js';

const dir = mkdtempSync(join(tmpdir(), 'sy-sqlite-thread-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const response = (id: string): StoredResponse => ({ id, owner: 'o', createdAt: Date.now(), response: { id, object: 'response' }, inputItems: [] });

describe('SQLite worker thread of a file', () => {
  it('serves the request log and the stored Responses of one file in one thread; the last close stops it', async () => {
    const path = join(dir, 'shared.db');
    const log = await openSqliteWorkerLogStore(path);
    await log.migrate();
    const responses = await openSqliteWorkerResponseStore(path);
    await responses.migrate();
    assert.equal(responses.thread, log.thread, 'one thread for the file');
    const other = await openSqliteWorkerResponseStore(join(dir, 'other.db'));
    assert.notEqual(other.thread, log.thread, 'another file has its own thread');
    await other.close();

    const exited = once(log.thread, 'exit');
    await log.close();
    await responses.put(response('resp_after_log_closed'));
    assert.ok(await responses.get('resp_after_log_closed', 'o'), 'the responses keep working after the log closed');
    await assert.rejects(log.query({ limit: 1 }), /request log: the SQLite store is closed/);
    await responses.close();
    await exited;
  });

  it('waits for another connection\'s write lock in the thread, with the event loop free, and stores once it is released', async () => {
    const path = join(dir, 'locked.db');
    const responses = await openSqliteWorkerResponseStore(path);
    await responses.migrate();
    const holder = await openSqlite(path);
    holder.exec('BEGIN IMMEDIATE');
    let settled = false;
    const put = responses.put(response('resp_locked')).finally(() => (settled = true));
    // Several turns of the event loop run while the write waits (a put on this thread would block
    // here until the lock is free or its busy timeout ends).
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, 'the write waits for the lock');
    holder.exec('COMMIT');
    holder.close();
    await put;
    assert.ok(await responses.get('resp_locked', 'o'));
    await responses.close();
  });
});
