/**
 * The memory counter store's file: budgets and rate-limit windows outlive the store (a restart, a
 * crash after a write), concurrency counts and ended windows do not, and a write that meets the
 * request log's lock is kept for the next one instead of waiting.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { silentLogger } from '../observability/logger.js';
import { openSqlite } from '../storage/sqlite-driver.js';
import { COUNTERS_TABLE, CounterFile } from './counter-file.js';
import type { CounterCheck } from './counter-store.js';
import type { GovernanceConfig } from './governance-schema.js';
import { GovernanceService } from './governance-service.js';
import { MemoryCounterStore } from './memory-counter-store.js';

async function withFile(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-counters-'));
  try {
    await fn(join(dir, 'switchyard.db'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const HOUR = 3_600_000;
/** A fake clock the store reads (its sweep and the file's expiry). */
function fakeClock(start: number) {
  const c = { now: start, read: () => c.now };
  return c;
}

/** A counter file on `path`, and a store on a fake clock to attach to it. */
async function opened(path: string) {
  const clock = fakeClock(1_000_000);
  return { clock, file: await CounterFile.open(path), store: new MemoryCounterStore(clock.read) };
}

/** A month's budget (kept), an hour's request limit (kept) and a concurrency count (not kept). */
function checks(now: number, usd: number): CounterCheck[] {
  return [
    { key: 'gov:k:bot:concurrent', limit: 10, amount: 1, expireAt: now + 15 * 60_000 },
    { key: 'gov:k:bot:requests:1h:0', limit: 100, amount: 1, expireAt: now + HOUR, refreshExpiry: false, keep: true },
    { key: 'gov:k:bot:usd:total', limit: 10_000, amount: usd, expireAt: Number.POSITIVE_INFINITY, refreshExpiry: false, keep: true },
  ];
}
const KEYS = ['gov:k:bot:concurrent', 'gov:k:bot:requests:1h:0', 'gov:k:bot:usd:total'];

describe('memory counters kept in a file', () => {
  it('a new store on the file starts from the kept counters; concurrency starts from zero', () =>
    withFile(async (path) => {
      const { clock, file, store: a } = await opened(path);
      assert.equal(a.attach({ file }), 0, 'nothing kept yet');
      assert.equal(a.reserveNow(checks(clock.now, 500), clock.now).ok, true);
      assert.equal(a.reserveNow(checks(clock.now, 500), clock.now).ok, true);
      // The second request used 120 of its 500: settled.
      a.adjustNow([{ key: 'gov:k:bot:usd:total', delta: -380, expires: false }, { key: 'gov:k:bot:concurrent', delta: -1, expires: true }]);
      await a.close(); // the last write
      file.close();

      const again = await CounterFile.open(path);
      const b = new MemoryCounterStore(clock.read);
      assert.equal(b.attach({ file: again }), 2);
      assert.deepEqual(await b.read(KEYS), [0, 2, 620]);
      // It goes on counting from there, and refuses what no longer fits.
      assert.deepEqual(b.reserveNow(checks(clock.now, 9_000), clock.now), { ok: true, values: [1, 3, 9_620] });
      assert.equal(b.reserveNow(checks(clock.now, 500), clock.now).ok, false);
      await b.close();
      again.close();
    }));

  it('a crash loses only what changed since the last write', () =>
    withFile(async (path) => {
      const { clock, file, store: a } = await opened(path);
      a.attach({ file, flushMs: 3_600_000 }); // only the explicit writes below
      a.reserveNow(checks(clock.now, 100), clock.now);
      a.flush(false);
      a.reserveNow(checks(clock.now, 100), clock.now); // not written: the process dies before the next write
      // No close(): another process opens the file.
      const other = await CounterFile.open(path);
      const b = new MemoryCounterStore(clock.read);
      b.attach({ file: other });
      assert.deepEqual(await b.read(KEYS), [0, 1, 100]);
      await b.close();
      other.close();
      file.close();
    }));

  it('forgets windows that ended: not read back, and deleted from the file', () =>
    withFile(async (path) => {
      const { clock, file, store: a } = await opened(path);
      a.attach({ file });
      a.reserveNow(checks(clock.now, 100), clock.now);
      await a.close();
      clock.now += 2 * HOUR; // the hour's window (and its slack) ended
      const b = new MemoryCounterStore(clock.read);
      b.attach({ file });
      assert.deepEqual(await b.read(KEYS), [0, 0, 100]);
      b.flush(false); // the first write also expires the file's ended windows
      const db = await openSqlite(path);
      const rows = db.prepare(`SELECT key FROM ${COUNTERS_TABLE} ORDER BY key`).all() as Array<{ key: string }>;
      assert.deepEqual(rows.map((r) => r.key), ['gov:k:bot:usd:total']);
      db.close();
      await b.close();
      file.close();
    }));

  it('a write that meets another writer\'s lock fails at once and goes with the next one; a long failure is reported once', () =>
    withFile(async (path) => {
      const { clock, file, store: a } = await opened(path);
      const told: boolean[] = [];
      a.attach({ file, flushMs: 3_600_000, onStatus: (ok) => told.push(ok) });
      const other = await openSqlite(path);
      other.exec('BEGIN IMMEDIATE'); // the request log's writer, in the gateway
      a.reserveNow(checks(clock.now, 100), clock.now);
      a.flush(false);
      clock.now += 5_000;
      a.flush(false);
      assert.deepEqual(told, [], 'a lock held for moments is not worth a report');
      clock.now += 6_000;
      a.flush(false);
      a.flush(false);
      assert.deepEqual(told, [false], 'reported once, after 10 s of failing');
      other.exec('COMMIT');
      a.flush(false);
      assert.deepEqual(told, [false, true]);
      const row = other.prepare(`SELECT value FROM ${COUNTERS_TABLE} WHERE key = ?`).get('gov:k:bot:usd:total') as { value: number };
      assert.equal(Number(row.value), 100, 'the rows that could not be written went with the next write');
      other.close();
      await a.close();
      file.close();
    }));
});

describe('memory counters kept in a file: a failed write', () => {
  it('is tried again within a fraction of a second, not at the next tick of the once-a-second timer', () =>
    withFile(async (path) => {
      const file = await CounterFile.open(path);
      const a = new MemoryCounterStore();
      a.attach({ file, flushMs: 3_600_000 }); // only the first write and its retries
      const other = await openSqlite(path);
      try {
        other.exec('BEGIN IMMEDIATE');
        a.reserveNow(checks(Date.now(), 100), Date.now());
        a.flush(false); // meets the lock
        other.exec('COMMIT');
        const read = () => other.prepare(`SELECT value FROM ${COUNTERS_TABLE} WHERE key = ?`).get('gov:k:bot:usd:total') as { value: number } | undefined;
        const deadline = Date.now() + 5_000;
        while (read() === undefined) {
          assert.ok(Date.now() < deadline, 'the failed write was never tried again');
          await new Promise((r) => setTimeout(r, 10));
        }
        assert.equal(Number(read()!.value), 100);
      } finally {
        other.close();
        await a.close();
        file.close();
      }
    }));
});

describe('GovernanceService with a counter file', () => {
  const memory = { on_counter_store_error: 'fail_open', counters: { type: 'memory' } } as unknown as GovernanceConfig;
  const usd = (amount: number): CounterCheck[] => [{ key: 'gov:t:platform:usd:1M:0', limit: 1_000, amount, expireAt: Date.now() + HOUR, refreshExpiry: false, keep: true }];

  it('a restarted service resumes the counters; requests wait until they are read', () =>
    withFile(async (path) => {
      const first = new GovernanceService(silentLogger());
      first.configure(memory, {}, path);
      assert.deepEqual((await first.reserve(usd(700), Date.now())).result, { ok: true, values: [700] });
      await first.close();

      const second = new GovernanceService(silentLogger());
      second.configure(memory, {}, path);
      // No ready(): the reservation itself waits for the file to be read.
      assert.equal((await second.reserve(usd(400), Date.now())).result.ok, false, 'the month already holds 700 of 1,000');
      assert.deepEqual(await second.read(['gov:t:platform:usd:1M:0']), [700]);
      await second.close();
    }));

  it('an unusable file is a warning, and counting goes on in memory', () =>
    withFile(async (path) => {
      const lines: string[] = [];
      const logger = silentLogger();
      logger.warn = ((_o: unknown, msg?: string) => void lines.push(String(msg))) as typeof logger.warn;
      const s = new GovernanceService(logger);
      // The file's directory is a file: neither it nor the database can be made.
      writeFileSync(path, 'not a directory');
      s.configure(memory, {}, join(path, 'switchyard.db'));
      assert.deepEqual((await s.reserve(usd(10), Date.now())).result, { ok: true, values: [10] });
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /cannot keep counters in .*; budgets and rate limits start from zero at each restart/);
      await s.close();
    }));

  it('turning governance off closes its store once the snapshots on it are retired', async () => {
    const s = new GovernanceService(silentLogger());
    const owner = {};
    s.configure(memory, owner);
    const { where } = await s.reserve(usd(5), Date.now());
    s.disable();
    assert.equal(s.status(), undefined);
    assert.equal(s.retiredOpen, 1, 'a request on the old snapshot may still settle in it');
    s.settle(where, [{ key: 'gov:t:platform:usd:1M:0', delta: -5, expires: true }]);
    s.release(owner);
    assert.equal(s.retiredOpen, 0);
    // A request of the old snapshot that reserves after the change is not counted.
    assert.deepEqual((await s.reserve(usd(5), Date.now())).result, { ok: true, values: [0] });
    await s.close();
  });
});
