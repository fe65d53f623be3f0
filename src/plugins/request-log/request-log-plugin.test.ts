import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../observability/logger.js';
import { PriceTable } from '../../pricing/price-table.js';
import { SpendCalculator } from '../../pricing/spend.js';
import type { LogPage, LogRow, LogStore, Stats } from '../../storage/log-store.js';
import { openLogStore } from '../../storage/open-log-store.js';
import { openSqliteLogStore } from '../../storage/sqlite-log-store.js';
import type { RequestRecord } from '../plugin.js';
import { buildLogRow } from './build-log-row.js';
import { createRequestLogPlugin } from './request-log-plugin.js';

const spend = new SpendCalculator(new PriceTable());

function record(over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    requestId: 'req-1',
    startedAt: 1_700_000_000_000,
    dialect: 'openai-chat',
    requestedModel: 'review-model',
    alias: 'review-model',
    provider: 'openai',
    providerType: 'openai',
    upstreamModel: 'gpt-4o-mini',
    stream: false,
    status: 200,
    attempts: [
      { target: 'anthropic/claude-sonnet-4-6', keyId: 'anthropic#0', outcome: 'error', code: 'GW_ERR_UPSTREAM_OVERLOADED', status: 503, message: 'overloaded: secret prompt echo', durationMs: 3.21 },
      { target: 'openai/gpt-4o-mini', keyId: 'openai#0', outcome: 'ok', durationMs: 7 },
    ],
    fallbackIndex: 1,
    latencyMs: 12.3456,
    ttftMs: 11,
    upstreamMs: 10.21,
    usage: { inputTokens: 100, outputTokens: 10 },
    finishReason: 'stop',
    request: {
      model: 'review-model',
      system: [{ type: 'text', text: 'be brief' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'the user text' }] }],
      maxTokens: 50,
      temperature: 0.2,
      stream: false,
      raw: { model: 'review-model', messages: [{ role: 'user', content: 'the user text' }] },
      dialect: 'openai-chat',
    } as unknown as RequestRecord['request'],
    response: { id: 'r', model: 'gpt-4o-mini', content: [{ type: 'text', text: 'the answer' }], finishReason: 'stop', usage: { inputTokens: 100, outputTokens: 10 } },
    ...over,
  };
}

describe('buildLogRow', () => {
  it('keeps routing, timing, tokens and cost at every level', () => {
    const row = buildLogRow({ record: record(), spend: spend.of(record()), content: 'none' });
    assert.equal(row.request_id, 'req-1');
    assert.equal(row.fallback_index, 1);
    assert.equal(row.attempt_count, 2);
    assert.equal(row.attempts[0]!.code, 'GW_ERR_UPSTREAM_OVERLOADED');
    assert.equal(row.latency_ms, 12.346);
    assert.equal(row.input_tokens, 100);
    assert.ok(row.cost_usd > 0);
    assert.equal(row.priced, true);
  });

  it('none: no text at all; metadata: parameters but no text; full: bodies', () => {
    const none = JSON.stringify(buildLogRow({ record: record({ errorMessage: 'failed on the user text' }), spend: spend.of(record()), content: 'none' }));
    assert.ok(!none.includes('secret prompt echo'));
    assert.ok(!none.includes('user text'));
    assert.ok(!none.includes('"max_tokens"'));

    const meta = buildLogRow({ record: record(), spend: spend.of(record()), content: 'metadata' });
    assert.deepEqual(meta.request_meta, { messages: 1, system: true, tools: 0, max_tokens: 50, temperature: 0.2 });
    assert.equal(meta.attempts[0]!.message, 'overloaded: secret prompt echo');
    const metaText = JSON.stringify({ ...meta, attempts: [] });
    assert.ok(!metaText.includes('user text') && !metaText.includes('the answer') && !metaText.includes('be brief'));

    const full = buildLogRow({ record: record(), spend: spend.of(record()), content: 'full' });
    assert.deepEqual(full.request_body, { model: 'review-model', messages: [{ role: 'user', content: 'the user text' }] });
    assert.deepEqual((full.response_body as { content: unknown }).content, [{ type: 'text', text: 'the answer' }]);
    const streamed = buildLogRow({ record: record({ response: undefined, stream: true, streamedText: 'hello world' }), spend: spend.of(record()), content: 'full' });
    assert.deepEqual(streamed.response_body, { text: 'hello world' });
  });
});

/** A store that records inserts and fails on demand. */
class FakeStore implements LogStore {
  readonly kind = 'sqlite' as const;
  rows: LogRow[] = [];
  failNext = 0;
  closed = false;
  deletedBefore: number[] = [];
  async migrate() {}
  async insert(rows: readonly LogRow[]) {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('disk I/O error');
    }
    this.rows.push(...rows);
  }
  async query(): Promise<LogPage> {
    return { rows: this.rows };
  }
  async stats(): Promise<Stats> {
    throw new Error('unused');
  }
  async deleteBefore(before: number) {
    this.deletedBefore.push(before);
    return 0;
  }
  async close() {
    this.closed = true;
  }
}

const base = { spend, logger: silentLogger(), content: 'metadata' as const, flushIntervalMs: 3_600_000, retentionDays: 0 };

describe('request log plugin', () => {
  it('drops and counts rows beyond the queue size instead of blocking', async () => {
    const store = new FakeStore();
    const log = createRequestLogPlugin({ ...base, store, queueSize: 3 });
    for (let i = 0; i < 5; i++) log.onRequestEnd!(record({ requestId: `r${i}` }));
    assert.deepEqual(log.counters(), { written: 0, dropped: 2, failed: 0, queued: 3 });
    await log.flush();
    assert.deepEqual(log.counters(), { written: 3, dropped: 2, failed: 0, queued: 0 });
    assert.deepEqual(store.rows.map((r) => r.request_id), ['r0', 'r1', 'r2']);
    await log.close();
  });

  it('keeps a failed batch and writes it on the next flush', async () => {
    const store = new FakeStore();
    const log = createRequestLogPlugin({ ...base, store, queueSize: 100 });
    log.onRequestEnd!(record({ requestId: 'a' }));
    store.failNext = 1;
    await log.flush();
    assert.deepEqual(log.counters(), { written: 0, dropped: 0, failed: 1, queued: 1 });
    log.onRequestEnd!(record({ requestId: 'b' }));
    await log.flush();
    assert.deepEqual(store.rows.map((r) => r.request_id), ['a', 'b']);
    assert.equal(log.counters().written, 2);
    await log.close();
  });

  it('drops a batch the database keeps refusing, so it cannot block the log', async () => {
    const store = new FakeStore();
    const log = createRequestLogPlugin({ ...base, store, queueSize: 100 });
    log.onRequestEnd!(record({ requestId: 'poison' }));
    store.failNext = 5;
    for (let i = 0; i < 5; i++) await log.flush();
    assert.deepEqual(log.counters(), { written: 0, dropped: 1, failed: 5, queued: 0 });
    log.onRequestEnd!(record({ requestId: 'next' }));
    await log.flush();
    assert.deepEqual(store.rows.map((r) => r.request_id), ['next']);
    await log.close();
  });

  it('writes everything queued on close, then counts late rows as dropped', async () => {
    const store = new FakeStore();
    const log = createRequestLogPlugin({ ...base, store, queueSize: 10_000 });
    for (let i = 0; i < 1234; i++) log.onRequestEnd!(record({ requestId: `r${i}` }));
    await log.close();
    assert.equal(store.rows.length, 1234);
    assert.ok(store.closed);
    log.onRequestEnd!(record());
    assert.equal(log.counters().dropped, 1);
  });

  it('writes full batches in the background and leaves the rest for the next flush', async () => {
    const store = new FakeStore();
    const sizes: number[] = [];
    let release!: () => void;
    let inserting!: () => void;
    const firstCall = new Promise<void>((r) => (inserting = r));
    const held = new Promise<void>((r) => (release = r));
    const insert = store.insert.bind(store);
    store.insert = async (rows) => {
      sizes.push(rows.length);
      inserting();
      if (sizes.length === 1) await held;
      return insert(rows);
    };
    const log = createRequestLogPlugin({ ...base, store, queueSize: 1000 });
    for (let i = 0; i < 100; i++) log.onRequestEnd!(record({ requestId: `a${i}` }));
    await firstCall;
    // Rows arriving while the first batch is being written wait until a full batch or a flush.
    for (let i = 0; i < 30; i++) log.onRequestEnd!(record({ requestId: `b${i}` }));
    release();
    // Event-loop turns, not time: the writer yields once (setImmediate) between batches.
    for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
    assert.deepEqual(sizes, [100]);
    assert.deepEqual(log.counters(), { written: 100, dropped: 0, failed: 0, queued: 30 });
    await log.flush();
    assert.deepEqual(sizes, [100, 30]);
    assert.deepEqual(log.counters(), { written: 130, dropped: 0, failed: 0, queued: 0 });
    await log.close();
  });

  it('deletes rows older than the retention', async () => {
    const store = new FakeStore();
    const log = createRequestLogPlugin({ ...base, store, queueSize: 10, retentionDays: 7, now: () => 10 * 86_400_000 });
    await log.applyRetention();
    assert.equal(store.deletedBefore.at(-1), 3 * 86_400_000);
    await log.close();
  });

  it('writes real rows to SQLite that read back through query and stats', async () => {
    const store = await openSqliteLogStore(':memory:');
    await store.migrate();
    const log = createRequestLogPlugin({ ...base, store, queueSize: 100, content: 'full' });
    assert.equal(log.wantsStreamedText, true);
    log.onRequestEnd!(record());
    const page = await log.query({ limit: 10 });
    assert.equal(page.rows.length, 1);
    assert.equal(page.rows[0]!.fallback_index, 1);
    assert.deepEqual((page.rows[0]!.response_body as { content: unknown }).content, [{ type: 'text', text: 'the answer' }]);
    const stats = await log.stats({ from: 0, to: Date.now() });
    assert.equal(stats.totals.requests, 1);
    assert.equal(stats.totals.fallbacks, 1);
    await log.close();
  });

  it('through the SQLite worker thread: drops a batch the database refuses, writes the rest, flushes on close', async () => {
    const store = await openLogStore({ sqlite_path: ':memory:' });
    const log = createRequestLogPlugin({ ...base, store, queueSize: 1000 });
    log.onRequestEnd!(record({ requestId: 'poison', dialect: null as unknown as RequestRecord['dialect'] }));
    for (let i = 0; i < 5; i++) await log.flush();
    assert.deepEqual(log.counters(), { written: 0, dropped: 1, failed: 5, queued: 0 });
    for (let i = 0; i < 250; i++) log.onRequestEnd!(record({ requestId: `r${i}` }));
    const page = await log.query({ limit: 1000 });
    assert.equal(page.rows.length, 250);
    assert.equal(page.rows.some((r) => r.request_id === 'poison'), false);
    log.onRequestEnd!(record({ requestId: 'last' }));
    await log.close();
    assert.deepEqual(log.counters(), { written: 251, dropped: 1, failed: 5, queued: 0 });
    await assert.rejects(store.query({ limit: 1 }), /request log: the SQLite store is closed/);
  });
});
