/**
 * The zone-failure drill: a code-review bot (the official Anthropic SDK, 30 s timeout, no client
 * retries) calls an alias whose Anthropic primary has gone dark. Every call must be answered by the
 * fallback well inside the bot's timeout, and once the breaker opens the dead primary is not paid
 * for at all. Then the variants: 500s, 429s, an error as the first stream event, a stream dying
 * mid-way, every target dead, and a client that walks away.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import type { FaultRule, MockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startGateway } from '../../src/start-gateway.js';
import type { RunningGateway } from '../../src/start-gateway.js';
import { buildConfig } from '../helpers/stack.js';

/** The drill's settings, as in the resilience issue. */
const FIRST_BYTE_MS = 2000;
const RETRIES = 1;
const BACKOFF_MAX_MS = 200;
/** Upper bound for a call whose primary is dark: (1 + retries) × first_byte_ms, plus backoff and slack. */
const DARK_PRIMARY_BOUND_MS = (1 + RETRIES) * FIRST_BYTE_MS + BACKOFF_MAX_MS + 1500;

interface Drill {
  primary: MockUpstream;
  fallback: MockUpstream;
  gw: RunningGateway;
  bot: Anthropic;
  close(): Promise<void>;
}

const open: Drill[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function startDrill(opts: { primaryFaults?: FaultRule[]; fallbackFaults?: FaultRule[]; primaryUrl?: string; deadlineMs?: number } = {}): Promise<Drill> {
  const primary = await startMockUpstream({ faults: opts.primaryFaults ?? [] });
  const fallback = await startMockUpstream({ faults: opts.fallbackFaults ?? [] });
  const provider = (type: string, url: string) => ({
    type,
    base_url: url,
    keys: [{ value: `key-${type}` }],
    timeouts: { connect_ms: 1000, first_byte_ms: FIRST_BYTE_MS, idle_ms: 2000 },
    retries: { max: RETRIES, backoff_initial_ms: 100, backoff_max_ms: BACKOFF_MAX_MS },
  });
  const config = buildConfig({
    server: { host: '127.0.0.1', port: 0, admin_token: 'drill-admin' },
    providers: {
      anthropic: provider('anthropic', opts.primaryUrl ?? primary.url),
      openai: provider('openai', `${fallback.url}/v1`),
    },
    models: { 'review-model': { targets: ['anthropic/claude-sonnet-4-6', 'openai/gpt-4o-mini'] } },
    routing: { deadline_ms: opts.deadlineMs ?? 25000, circuit_breaker: { failure_threshold: 3, cooldown_ms: 600000 } },
    logging: { level: 'silent' },
  });
  const gw = await startGateway({ config, port: 0, host: '127.0.0.1', logger: silentLogger() });
  const bot = new Anthropic({ baseURL: `${gw.url}/anthropic`, apiKey: 'bot-key', timeout: 30_000, maxRetries: 0 });
  const drill: Drill = {
    primary,
    fallback,
    gw,
    bot,
    async close() {
      await gw.close();
      await primary.close();
      await fallback.close();
    },
  };
  open.push(drill);
  return drill;
}

const review = { model: 'review-model', max_tokens: 200, messages: [{ role: 'user' as const, content: 'Review this diff' }] };

async function timedCall(bot: Anthropic, stream = false) {
  const t0 = performance.now();
  const { data, response } = stream
    ? { data: await bot.messages.stream(review).finalMessage(), response: undefined }
    : await bot.messages.create(review).withResponse();
  return { data, response, ms: performance.now() - t0 };
}

const primaryCalls = (d: Drill) => d.primary.requests.filter((r) => r.path === '/v1/messages').length;
const text = (m: Anthropic.Message) => (m.content[0] as Anthropic.TextBlock).text;

describe('the drill: blackholed Anthropic primary, healthy OpenAI fallback', () => {
  test('every concurrent call is answered by the fallback within the bound; then the breaker stops paying for the primary', async () => {
    const d = await startDrill({ primaryFaults: [{ fault: { kind: 'blackhole' } }] });
    const calls = await Promise.all(Array.from({ length: 12 }, (_, i) => timedCall(d.bot, i % 2 === 1)));
    for (const c of calls) {
      assert.equal(text(c.data), 'mock reply to: Review this diff');
      assert.ok(c.ms < DARK_PRIMARY_BOUND_MS, `answered in ${Math.round(c.ms)} ms, bound ${DARK_PRIMARY_BOUND_MS} ms`);
      if (c.response) {
        assert.equal(c.response.headers.get('x-switchyard-provider'), 'openai');
        assert.equal(c.response.headers.get('x-switchyard-fallback-index'), '1');
        assert.equal(c.response.headers.get('x-switchyard-attempts'), String(RETRIES + 2));
      }
    }
    const paidBefore = primaryCalls(d);
    assert.equal(paidBefore, 12 * (1 + RETRIES), 'each early call tried the primary (1 + retries) times');

    // The breaker is open now: later calls skip the dead primary and answer at once.
    const health = (await (await fetch(`${d.gw.url}/api/providers/health`, { headers: { authorization: 'Bearer drill-admin' } })).json()) as { data: Array<{ id: string; state: string }> };
    assert.equal(health.data.find((b) => b.id === 'anthropic/claude-sonnet-4-6')?.state, 'open');
    for (let i = 0; i < 5; i++) {
      const c = await timedCall(d.bot);
      assert.equal(c.response!.headers.get('x-switchyard-fallback-index'), '1');
      assert.equal(c.response!.headers.get('x-switchyard-attempts'), '1');
      assert.ok(c.ms < FIRST_BYTE_MS, `with the breaker open a call costs no primary timeout (${Math.round(c.ms)} ms)`);
    }
    assert.equal(primaryCalls(d), paidBefore, 'no request reached the dead primary once the breaker opened');
  });
});

describe('drill variants', () => {
  test('primary 500: retried, then the fallback answers', async () => {
    const d = await startDrill({ primaryFaults: [{ fault: { kind: 'status', status: 500 } }] });
    const c = await timedCall(d.bot);
    assert.equal(text(c.data), 'mock reply to: Review this diff');
    assert.equal(primaryCalls(d), 1 + RETRIES);
    assert.equal(c.response!.headers.get('x-switchyard-attempts'), String(RETRIES + 2));
  });

  test('primary 429 with a Retry-After that fits: waited for, retried, answered by the primary', async () => {
    const d = await startDrill({ primaryFaults: [{ fault: { kind: 'status', status: 429, retryAfterMs: 300 }, times: 1 }] });
    const c = await timedCall(d.bot);
    assert.equal(c.response!.headers.get('x-switchyard-provider'), 'anthropic');
    assert.equal(c.response!.headers.get('x-switchyard-attempts'), '2');
    assert.ok(c.ms >= 300, 'the Retry-After was honoured');
  });

  test('primary 429 with a Retry-After beyond the deadline: moves on to the fallback at once', async () => {
    const d = await startDrill({ primaryFaults: [{ fault: { kind: 'status', status: 429, retryAfterSeconds: 120 } }] });
    const c = await timedCall(d.bot);
    assert.equal(c.response!.headers.get('x-switchyard-provider'), 'openai');
    assert.equal(primaryCalls(d), 1);
  });

  for (const stream of [false, true]) {
    test(`error as the first stream event falls back (${stream ? 'stream' : 'non-stream'} client)`, async () => {
      const d = await startDrill({ primaryFaults: [{ fault: { kind: 'error-first-event' } }] });
      const c = await timedCall(d.bot, stream);
      assert.equal(text(c.data), 'mock reply to: Review this diff');
      assert.equal(primaryCalls(d), 1 + RETRIES);
    });
  }

  test('a stream that dies mid-way: a streaming client gets an error promptly, never a complete-looking end', async () => {
    const d = await startDrill({ primaryFaults: [{ fault: { kind: 'cut-mid-stream', afterEvents: 2 } }] });
    const stream = d.bot.messages.stream({ ...review, messages: [{ role: 'user', content: 'one two three four five six seven' }] });
    let received = '';
    stream.on('text', (t) => (received += t));
    await assert.rejects(stream.finalMessage(), (e: unknown) => {
      assert.ok(e instanceof Anthropic.APIError, String(e));
      return true;
    });
    assert.ok(received.length > 0, 'content had reached the client before the cut');
    // The OpenAI SDK sees the same break as an error, not as a normal end.
    const oai = new OpenAI({ baseURL: `${d.gw.url}/v1`, apiKey: 'bot-key', maxRetries: 0 });
    const s = await oai.chat.completions.create({ model: 'anthropic/claude-sonnet-4-6', stream: true, messages: [{ role: 'user', content: 'one two three four five six' }] });
    await assert.rejects(async () => {
      for await (const _ of s) void _;
    });
  });

  test('a stream that dies mid-way before a whole response was assembled is retried for a non-stream client', async () => {
    const d = await startDrill({ primaryFaults: [{ fault: { kind: 'cut-mid-stream', afterEvents: 2 } }] });
    const c = await timedCall(d.bot);
    assert.equal(text(c.data), 'mock reply to: Review this diff');
    assert.equal(c.response!.headers.get('x-switchyard-provider'), 'openai');
  });

  test('every target dead: a clean 504 in the client dialect within the deadline, saying what was tried', async () => {
    const d = await startDrill({
      primaryFaults: [{ fault: { kind: 'blackhole' } }],
      fallbackFaults: [{ fault: { kind: 'blackhole' } }],
      deadlineMs: 3000,
    });
    const t0 = performance.now();
    await assert.rejects(d.bot.messages.create(review), (e: unknown) => {
      assert.ok(e instanceof Anthropic.APIError);
      assert.equal(e.status, 504);
      assert.match(e.message, /deadline exceeded/);
      assert.match(e.message, /anthropic\/claude-sonnet-4-6/);
      return true;
    });
    assert.ok(performance.now() - t0 < 3000 + 1500, 'the deadline bounds the whole chain');
  });

  test('every target failing fast: 502 listing each attempt', async () => {
    const d = await startDrill({
      primaryFaults: [{ fault: { kind: 'status', status: 503 } }],
      fallbackFaults: [{ fault: { kind: 'status', status: 500 } }],
    });
    await assert.rejects(d.bot.messages.create(review), (e: unknown) => {
      assert.ok(e instanceof Anthropic.APIError);
      assert.ok(e.status! >= 500);
      assert.match(e.message, /all targets failed: anthropic\/claude-sonnet-4-6 .*openai\/gpt-4o-mini/);
      return true;
    });
  });

  test('client abort closes the upstream request promptly', async () => {
    // An upstream that never answers and tells us when its request goes away.
    let arrived!: () => void;
    let closed!: () => void;
    const gotRequest = new Promise<void>((r) => (arrived = r));
    const upstreamClosed = new Promise<void>((r) => (closed = r));
    const upstream = createServer((req) => {
      arrived();
      req.socket.on('close', () => closed());
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    after(() => new Promise<void>((r) => upstream.close(() => r())));
    const d = await startDrill({ primaryUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` });
    const ac = new AbortController();
    const call = d.bot.messages.create({ ...review, model: 'anthropic/claude-sonnet-4-6' }, { signal: ac.signal });
    await gotRequest;
    ac.abort();
    await assert.rejects(call);
    await upstreamClosed; // resolves only when the gateway closed its upstream connection
    upstream.closeAllConnections();
  });

  test('hedging: a slow primary is raced by the next target; the first to answer wins, the other is cancelled', async () => {
    const primary = await startMockUpstream({ faults: [{ fault: { kind: 'latency', ms: 3000 } }] });
    const fallback = await startMockUpstream();
    const config = buildConfig({
      server: { host: '127.0.0.1', port: 0 },
      providers: {
        anthropic: { type: 'anthropic', base_url: primary.url, keys: [{ value: 'k' }] },
        openai: { type: 'openai', base_url: `${fallback.url}/v1`, keys: [{ value: 'k' }] },
      },
      models: { hedged: { targets: ['anthropic/claude-sonnet-4-6', 'openai/gpt-4o-mini'], hedge_after_ms: 200 } },
      logging: { level: 'silent' },
    });
    const gw = await startGateway({ config, port: 0, host: '127.0.0.1', logger: silentLogger() });
    open.push({ primary, fallback, gw, bot: undefined as never, close: async () => (await gw.close(), await primary.close(), await fallback.close()) });
    const bot = new Anthropic({ baseURL: `${gw.url}/anthropic`, apiKey: 'k', maxRetries: 0 });
    const t0 = performance.now();
    const { data, response } = await bot.messages.create({ ...review, model: 'hedged' }).withResponse();
    assert.equal(text(data), 'mock reply to: Review this diff');
    assert.equal(response.headers.get('x-switchyard-provider'), 'openai');
    assert.ok(performance.now() - t0 < 3000, 'the hedge answered before the slow primary would have');
  });
});
