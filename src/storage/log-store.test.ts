/**
 * One contract, two real databases: SQLite in a temp file and a Postgres server started for the
 * test (skipped with the reason when Postgres cannot start here).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startPostgres } from '../../test/helpers/postgres.js';
import type { TestPostgres } from '../../test/helpers/postgres.js';
import type { LogRow, LogStore } from './log-store.js';
import { openLogStore, redactUrl } from './open-log-store.js';

const T0 = Date.UTC(2026, 0, 1);

export function makeRow(over: Partial<LogRow> = {}): LogRow {
  return {
    ts: T0,
    request_id: 'req-1',
    client_key_id: null,
    dialect: 'openai-chat',
    requested_model: 'review-model',
    alias: 'review-model',
    provider: 'openai',
    provider_type: 'openai',
    model: 'gpt-4o-mini',
    stream: false,
    status: 200,
    error_code: null,
    error_message: null,
    attempts: [{ target: 'openai/gpt-4o-mini', key_id: 'openai#0', outcome: 'ok', duration_ms: 12 }],
    attempt_count: 1,
    fallback_index: 0,
    latency_ms: 15,
    ttft_ms: 14,
    upstream_ms: 12,
    input_tokens: 10,
    output_tokens: 5,
    cached_input_tokens: 0,
    cost_usd: 0.0001,
    priced: true,
    finish_reason: 'stop',
    content: 'metadata',
    request_meta: { messages: 1 },
    request_body: null,
    response_body: null,
    cache: null,
    cache_similarity: null,
    cache_saved_usd: null,
    ...over,
  };
}

function contract(name: string, open: () => Promise<{ reopen: () => Promise<LogStore> } | string>) {
  describe(`${name} log store`, () => {
    let store: LogStore;
    let skip: string | undefined;
    let racers: LogStore[] = [];

    before(async () => {
      const r = await open();
      if (typeof r === 'string') skip = r;
      // Three connections migrating a fresh database at the same time (replicas starting together).
      else [store, ...racers] = await Promise.all([r.reopen(), r.reopen(), r.reopen()]);
    });
    after(async () => {
      await store?.close();
    });

    it('migrates idempotently, also from several connections at the same time', async (t) => {
      if (skip) return t.skip(skip);
      await Promise.all([...racers.map((s) => s.migrate()), store.migrate()]);
      for (const s of racers) await s.close();
    });

    it('inserts a batch and reads rows back newest first, with JSON and booleans intact', async (t) => {
      if (skip) return t.skip(skip);
      const rows = Array.from({ length: 25 }, (_, i) =>
        makeRow({
          ts: T0 + i * 1000,
          request_id: `req-${i}`,
          provider: i % 2 ? 'anthropic' : 'openai',
          model: i % 2 ? 'claude-sonnet-4-6' : 'gpt-4o-mini',
          status: i % 5 === 0 ? 502 : 200,
          error_code: i % 5 === 0 ? 'GW_ERR_ALL_TARGETS_FAILED' : null,
          latency_ms: i + 1,
          stream: i % 3 === 0,
          fallback_index: i === 7 ? 1 : 0,
          response_body: i === 3 ? { text: 'nul \u0000 here', n: [1, 2] } : null,
          ...(i === 4 ? { cache: 'semantic-hit', cache_similarity: 0.97, cache_saved_usd: 0.0025 } : {}),
        }),
      );
      await store.insert(rows);
      const page = await store.query({ limit: 100, from: T0, to: T0 + 25_000 });
      assert.equal(page.rows.length, 25);
      assert.equal(page.next, undefined);
      assert.equal(page.rows[0]!.request_id, 'req-24');
      assert.equal(typeof page.rows[0]!.id, 'number');
      assert.equal(typeof page.rows[0]!.ts, 'number');
      const r4 = page.rows.find((r) => r.request_id === 'req-4')!;
      assert.deepEqual([r4.cache, r4.cache_similarity, r4.cache_saved_usd], ['semantic-hit', 0.97, 0.0025]);
      const r3 = page.rows.find((r) => r.request_id === 'req-3')!;
      assert.equal(r3.stream, true);
      assert.deepEqual(r3.attempts, rows[3]!.attempts);
      assert.deepEqual(r3.request_meta, { messages: 1 });
      assert.equal((r3.response_body as { n: number[] }).n[1], 2);
      assert.equal(page.rows.find((r) => r.request_id === 'req-4')!.stream, false);
    });

    it('filters by provider, model, alias, status range and time, and pages with a cursor', async (t) => {
      if (skip) return t.skip(skip);
      const range = { from: T0, to: T0 + 25_000 };
      assert.equal((await store.query({ ...range, limit: 100, provider: 'anthropic' })).rows.length, 12);
      assert.equal((await store.query({ ...range, limit: 100, model: 'gpt-4o-mini' })).rows.length, 13);
      assert.equal((await store.query({ ...range, limit: 100, alias: 'nope' })).rows.length, 0);
      assert.equal((await store.query({ ...range, limit: 100, statusMin: 500, statusMax: 599 })).rows.length, 5);
      assert.equal((await store.query({ limit: 100, from: T0 + 10_000, to: T0 + 12_000 })).rows.length, 2);
      assert.equal((await store.query({ ...range, limit: 100, requestId: 'req-9' })).rows[0]!.request_id, 'req-9');

      const seen: string[] = [];
      let after: { ts: number; id: number } | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await store.query({ ...range, limit: 10, ...(after ? { after } : {}) });
        seen.push(...page.rows.map((r) => r.request_id));
        if (!page.next) break;
        after = page.next;
      }
      assert.equal(seen.length, 25);
      assert.equal(new Set(seen).size, 25);
      assert.equal(seen[0], 'req-24');
      assert.equal(seen[24], 'req-0');
    });

    it('computes stats: counts, nearest-rank p50/p99, tokens and cost by provider and model', async (t) => {
      if (skip) return t.skip(skip);
      const s = await store.stats({ from: T0, to: T0 + 25_000 });
      assert.equal(s.totals.requests, 25);
      assert.equal(s.totals.errors, 5);
      assert.equal(s.totals.fallbacks, 1);
      assert.equal(s.totals.p50_latency_ms, 13);
      assert.equal(s.totals.p99_latency_ms, 25);
      assert.equal(s.totals.input_tokens, 250);
      assert.ok(Math.abs(s.totals.cost_usd - 0.0025) < 1e-12);
      const anthropic = s.by_provider_model.find((g) => g.provider === 'anthropic')!;
      assert.equal(anthropic.model, 'claude-sonnet-4-6');
      assert.equal(anthropic.requests, 12);
      // anthropic rows have latencies 2,4,...,24: the 6th of 12 is 12.
      assert.equal(anthropic.p50_latency_ms, 12);
      assert.equal(anthropic.p99_latency_ms, 24);
      assert.deepEqual(s.errors_by_code, [{ code: 'GW_ERR_ALL_TARGETS_FAILED', count: 5 }]);
      const empty = await store.stats({ from: 0, to: 1 });
      assert.equal(empty.totals.requests, 0);
      assert.equal(empty.totals.p50_latency_ms, null);
      assert.deepEqual(empty.by_provider_model, []);
    });

    it('deletes rows older than a time', async (t) => {
      if (skip) return t.skip(skip);
      assert.equal(await store.deleteBefore(T0 + 5_000), 5);
      assert.equal((await store.query({ limit: 100 })).rows.length, 20);
    });
  });
}

let tmp: string;
contract('SQLite', async () => {
  tmp = mkdtempSync(join(tmpdir(), 'switchyard-sqlite-'));
  const storage = { sqlite_path: join(tmp, 'nested', 'dir', 'log.db') };
  return { reopen: () => openLogStore(storage) };
});
after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

let pgServer: TestPostgres | undefined;
contract('Postgres', async () => {
  const started = await startPostgres();
  if (!started.ok) return `Postgres unavailable here: ${started.reason}`;
  pgServer = started.pg;
  const url = await pgServer.createDatabase('store_contract');
  return { reopen: () => openLogStore({ sqlite_path: '', postgres_url: url }) };
});
after(async () => {
  await pgServer?.close();
});

describe('redactUrl', () => {
  it('hides URL passwords in messages', () => {
    assert.equal(redactUrl('connect postgres://app:s3cret@db:5432/x failed'), 'connect postgres://app:***@db:5432/x failed');
  });
});
