/**
 * The SQLite request log in its worker thread, driven for real: writes and reads through the
 * thread, close() writing what was sent before it, a refused insert, a thread that dies, and a
 * process that exits while the store is open but idle.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { LogRow } from './log-store.js';
import { openLogStore } from './open-log-store.js';
import { openSqliteWorkerLogStore } from './sqlite-worker-log-store.js';

const T0 = Date.UTC(2026, 2, 1);
let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'switchyard-sqlite-worker-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function row(i: number, over: Partial<LogRow> = {}): LogRow {
  return {
    ts: T0 + i * 1000,
    request_id: `req-${i}`,
    client_key_id: null,
    dialect: 'anthropic-messages',
    requested_model: 'm',
    alias: 'm',
    provider: i % 2 ? 'anthropic' : 'openai',
    provider_type: i % 2 ? 'anthropic' : 'openai',
    model: i % 2 ? 'claude-sonnet-4-6' : 'gpt-4o-mini',
    stream: i % 2 === 1,
    status: i % 4 === 0 ? 502 : 200,
    error_code: i % 4 === 0 ? 'GW_ERR_UPSTREAM_OVERLOADED' : null,
    error_message: null,
    attempts: [{ target: 'openai/gpt-4o-mini', outcome: 'ok', duration_ms: i }],
    attempt_count: 1,
    fallback_index: 0,
    latency_ms: i + 1,
    ttft_ms: null,
    upstream_ms: i,
    input_tokens: 3,
    output_tokens: 2,
    cached_input_tokens: 0,
    cost_usd: 0.5,
    priced: true,
    finish_reason: 'stop',
    content: 'full',
    request_meta: { messages: 1 },
    request_body: { messages: [{ role: 'user', content: `question ${i}` }] },
    response_body: { text: `answer ${i}`, when: new Date(T0) },
    cache: null,
    cache_similarity: null,
    cache_saved_usd: null,
    ...over,
  };
}

const rows = (from: number, n: number) => Array.from({ length: n }, (_, k) => row(from + k));

describe('SQLite request log in a worker thread', () => {
  it('inserts, queries, computes stats, deletes, and reads back after close and reopen', async () => {
    const storage = { sqlite_path: join(tmp, 'a', 'log.db') };
    const store = await openLogStore(storage);
    assert.equal(store.kind, 'sqlite');
    await store.insert(rows(0, 8));
    const page = await store.query({ limit: 5 });
    assert.equal(page.rows.length, 5);
    assert.equal(page.rows[0]!.request_id, 'req-7');
    assert.deepEqual(page.next, { ts: T0 + 3000, id: page.rows[4]!.id });
    const r7 = page.rows[0]!;
    assert.equal(r7.stream, true);
    assert.equal(r7.priced, true);
    assert.deepEqual(r7.attempts, [{ target: 'openai/gpt-4o-mini', outcome: 'ok', duration_ms: 7 }]);
    // JSON encoding happens in the worker, with JSON's rules (a Date becomes its ISO string).
    assert.deepEqual(r7.response_body, { text: 'answer 7', when: new Date(T0).toISOString() });
    const stats = await store.stats({ from: T0, to: T0 + 8000 });
    assert.equal(stats.totals.requests, 8);
    assert.equal(stats.totals.errors, 2);
    assert.equal(stats.totals.p50_latency_ms, 4);
    assert.deepEqual(stats.errors_by_code, [{ code: 'GW_ERR_UPSTREAM_OVERLOADED', count: 2 }]);
    assert.equal(await store.deleteBefore(T0 + 2000), 2);
    await store.close();

    const again = await openLogStore(storage);
    try {
      const back = await again.query({ limit: 100 });
      assert.deepEqual(back.rows.map((r) => r.request_id), ['req-7', 'req-6', 'req-5', 'req-4', 'req-3', 'req-2']);
    } finally {
      await again.close();
    }
  });

  it('close() writes every insert sent before it, without their promises being awaited', async () => {
    const storage = { sqlite_path: join(tmp, 'b', 'log.db') };
    const store = await openLogStore(storage);
    const inserts = [store.insert(rows(0, 100)), store.insert(rows(100, 100)), store.insert(rows(200, 34))];
    await store.close();
    await Promise.all(inserts);
    await assert.rejects(store.insert(rows(300, 1)), /request log: the SQLite store is closed/);
    await assert.rejects(store.query({ limit: 1 }), /request log: the SQLite store is closed/);
    await store.close();

    const again = await openLogStore(storage);
    try {
      assert.equal((await again.stats({ from: 0, to: T0 + 1e9 })).totals.requests, 234);
    } finally {
      await again.close();
    }
  });

  it('rejects an insert the database refuses, writes none of its batch, and keeps working', async () => {
    const store = await openLogStore({ sqlite_path: ':memory:' });
    try {
      const bad = [row(1), row(2, { dialect: null as unknown as string }), row(3)];
      await assert.rejects(store.insert(bad), /NOT NULL constraint failed: request_logs\.dialect/);
      assert.equal((await store.query({ limit: 10 })).rows.length, 0);
      await store.insert([row(4)]);
      assert.deepEqual((await store.query({ limit: 10 })).rows.map((r) => r.request_id), ['req-4']);
    } finally {
      await store.close();
    }
  });

  it('still writes a row holding a value structured clone refuses, as JSON would have', async () => {
    const store = await openLogStore({ sqlite_path: ':memory:' });
    try {
      await store.insert([row(1, { response_body: { text: 'hi', toString: () => 'a function' } })]);
      assert.deepEqual((await store.query({ limit: 1 })).rows[0]!.response_body, { text: 'hi' });
    } finally {
      await store.close();
    }
  });

  it('rejects every call, without hanging, once its thread is killed; close() still resolves', async () => {
    const store = await openSqliteWorkerLogStore(':memory:');
    await store.migrate();
    await store.insert([row(1)]);
    await store.thread.terminate();
    for (const call of [store.insert([row(2)]), store.query({ limit: 1 }), store.stats({ from: 0, to: 1 }), store.deleteBefore(1)]) {
      await assert.rejects(call, /request log: the SQLite worker thread exited unexpectedly \(exit code 1\); request-log writes and reads fail until the gateway restarts/);
    }
    await store.close();
  });

  it('rejects the call under way when the thread dies during it', async () => {
    const store = await openSqliteWorkerLogStore(':memory:', new URL('./test-exiting-log-worker.ts', import.meta.url));
    await assert.rejects(store.insert([row(1)]), /request log: the SQLite worker thread exited unexpectedly \(exit code 7\)/);
    await assert.rejects(store.query({ limit: 1 }), /exited unexpectedly \(exit code 7\)/);
    await store.close();
  });

  it('fails to open with the storage error naming the path and the cause', async () => {
    writeFileSync(join(tmp, 'a-file'), '');
    const path = join(tmp, 'a-file', 'log.db');
    await assert.rejects(openLogStore({ sqlite_path: path }), (e: Error) => {
      assert.match(e.message, /^request log: cannot open the SQLite \(.*a-file\/log\.db\) database \(storage\.\*\): E(EXIST|NOTDIR)/);
      return true;
    });
  });

  it('lets the process wait for a reply, then exit on its own with the store still open', async () => {
    const script = join(tmp, 'idle-exit.mjs');
    const module = new URL('./open-log-store.ts', import.meta.url).href;
    writeFileSync(
      script,
      `const { openLogStore } = await import(${JSON.stringify(module)});
const store = await openLogStore({ sqlite_path: ${JSON.stringify(join(tmp, 'c', 'log.db'))} });
await store.insert(${JSON.stringify([row(1)])});
console.log((await store.query({ limit: 5 })).rows.length);
`,
    );
    // Top-level awaits left unsettled would end the child with code 13; no close() is called.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd() });
    assert.equal(stdout.trim(), '1');
  });
});
