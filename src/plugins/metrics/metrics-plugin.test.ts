import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig, defaultConfig } from '../../../test/helpers/stack.js';
import { parseMetrics, sumOf } from '../../../test/helpers/prometheus.js';
import { PriceTable } from '../../pricing/price-table.js';
import { SpendCalculator } from '../../pricing/spend.js';
import type { BreakerSnapshot } from '../../routing/circuit-breaker.js';
import { compileRuntime } from '../../routing/runtime.js';
import type { RequestRecord } from '../plugin.js';
import { createMetricsPlugin } from './metrics-plugin.js';

function setup(breakers: BreakerSnapshot[] = []) {
  const runtime = compileRuntime(buildConfig(defaultConfig('http://127.0.0.1:9')));
  const plugin = createMetricsPlugin({ runtime, spend: new SpendCalculator(new PriceTable()), processMetrics: false });
  plugin.attach({ currentRuntime: runtime, breakers: { snapshot: () => breakers } });
  const scrape = async () => parseMetrics((await plugin.render()).body);
  return { plugin, scrape, runtime };
}

function record(over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    requestId: 'r1',
    startedAt: Date.now(),
    dialect: 'openai-chat',
    requestedModel: 'review-model',
    alias: 'review-model',
    provider: 'anthropic',
    providerType: 'anthropic',
    upstreamModel: 'claude-sonnet-4-6',
    stream: false,
    status: 200,
    attempts: [{ target: 'anthropic/claude-sonnet-4-6', keyId: 'anthropic#0', outcome: 'ok', durationMs: 40 }],
    fallbackIndex: 0,
    latencyMs: 50,
    ttftMs: 48,
    upstreamMs: 40,
    usage: { inputTokens: 1000, outputTokens: 100, cachedInputTokens: 200 },
    ...over,
  };
}

describe('metrics plugin', () => {
  it('counts requests, latency, tokens and cost with config-only labels', async () => {
    const { plugin, scrape } = setup();
    plugin.onRequestStart!({ requestId: 'r1', dialect: 'openai-chat' });
    assert.equal(sumOf(await scrape(), 'switchyard_in_flight_requests'), 1);
    plugin.onRequestEnd!(record());
    const m = await scrape();
    assert.equal(sumOf(m, 'switchyard_in_flight_requests'), 0);
    assert.equal(sumOf(m, 'switchyard_requests_total', { dialect: 'openai-chat', alias: 'review-model', provider: 'anthropic', model: 'claude-sonnet-4-6', status: '200' }), 1);
    assert.equal(sumOf(m, 'switchyard_request_duration_seconds_count'), 1);
    assert.equal(sumOf(m, 'switchyard_upstream_duration_seconds_sum', { provider: 'anthropic', outcome: 'ok' }), 0.04);
    assert.ok(Math.abs(sumOf(m, 'switchyard_gateway_overhead_seconds_sum') - 0.01) < 1e-9);
    assert.equal(sumOf(m, 'switchyard_time_to_first_token_seconds_count', { stream: 'false' }), 1);
    assert.equal(sumOf(m, 'switchyard_tokens_total', { type: 'input' }), 1000);
    assert.equal(sumOf(m, 'switchyard_tokens_total', { type: 'cached_input' }), 200);
    assert.equal(sumOf(m, 'switchyard_tokens_total', { type: 'output' }), 100);
    // Sonnet: 800 × $3 + 200 × $0.30 + 100 × $15 per million.
    const expected = (800 * 3 + 200 * 0.3 + 100 * 15) / 1e6;
    assert.ok(Math.abs(sumOf(m, 'switchyard_cost_usd_total', { provider: 'anthropic' }) - expected) < 1e-12);
  });

  it('labels a model the client made up "unknown" and never exposes it', async () => {
    const { plugin, scrape } = setup([{ id: 'openai/made-up-model-xyz', state: 'open', consecutiveFailures: 3 }]);
    plugin.onRequestEnd!(
      record({
        requestedModel: 'openai/made-up-model-xyz',
        alias: undefined,
        provider: 'openai',
        providerType: 'openai',
        upstreamModel: 'made-up-model-xyz',
        attempts: [{ target: 'openai/made-up-model-xyz', outcome: 'error', code: 'GW_ERR_UPSTREAM_NOT_FOUND', status: 404, durationMs: 5 }],
        status: 404,
        errorCode: 'GW_ERR_UPSTREAM_NOT_FOUND',
        fallbackIndex: undefined,
        usage: undefined,
      }),
    );
    plugin.onRequestEnd!(record({ requestedModel: 'nonsense', alias: undefined, provider: undefined, upstreamModel: undefined, attempts: [], status: 404, errorCode: 'GW_ERR_UNKNOWN_MODEL', usage: undefined, fallbackIndex: undefined }));
    const text = (await plugin.render()).body;
    assert.ok(!text.includes('made-up-model-xyz'));
    assert.ok(!text.includes('nonsense'));
    const m = parseMetrics(text);
    assert.equal(sumOf(m, 'switchyard_requests_total', { provider: 'openai', model: 'unknown', status: '404' }), 1);
    assert.equal(sumOf(m, 'switchyard_requests_total', { provider: '', model: '', status: '404' }), 1);
    assert.equal(sumOf(m, 'switchyard_errors_total', { code: 'GW_ERR_UNKNOWN_MODEL' }), 1);
    assert.equal(sumOf(m, 'switchyard_circuit_breaker_state', { target: 'openai/unknown' }), 2);
  });

  it('counts a fallback from the first target to the answering one, retries and attempt outcomes', async () => {
    const { plugin, scrape } = setup();
    const before = await scrape();
    // The fallback series exists at 0 before any fallback, so rate() sees the first one.
    assert.ok(before.some((s) => s.name === 'switchyard_fallbacks_total' && s.labels['from'] === 'anthropic/claude-sonnet-4-6' && s.value === 0));
    plugin.onRequestEnd!(
      record({
        provider: 'openai',
        providerType: 'openai',
        upstreamModel: 'gpt-4o-mini',
        fallbackIndex: 1,
        attempts: [
          { target: 'anthropic/claude-sonnet-4-6', outcome: 'error', code: 'GW_ERR_UPSTREAM_OVERLOADED', status: 503, durationMs: 10 },
          { target: 'anthropic/claude-sonnet-4-6', outcome: 'error', code: 'GW_ERR_UPSTREAM_OVERLOADED', status: 503, durationMs: 10 },
          { target: 'openai/gpt-4o-mini', outcome: 'ok', durationMs: 20 },
        ],
      }),
    );
    const m = await scrape();
    assert.equal(sumOf(m, 'switchyard_fallbacks_total', { alias: 'review-model', from: 'anthropic/claude-sonnet-4-6', to: 'openai/gpt-4o-mini' }), 1);
    assert.equal(sumOf(m, 'switchyard_retries_total', { provider: 'anthropic' }), 1);
    assert.equal(sumOf(m, 'switchyard_upstream_attempts_total', { provider: 'anthropic', outcome: 'error', code: 'GW_ERR_UPSTREAM_OVERLOADED' }), 2);
    assert.equal(sumOf(m, 'switchyard_upstream_attempts_total', { provider: 'openai', outcome: 'ok' }), 1);
    assert.equal(sumOf(m, 'switchyard_circuit_breaker_state', { target: 'anthropic/claude-sonnet-4-6' }), 0);
  });

  it('reads breaker states and request-log counters at scrape time', async () => {
    const snap: BreakerSnapshot[] = [];
    const { plugin, scrape } = setup(snap);
    let counters = { written: 1, dropped: 0, failed: 0, queued: 2 };
    plugin.observeRequestLog(() => counters);
    snap.push({ id: 'anthropic/claude-sonnet-4-6', state: 'open', consecutiveFailures: 5, retryInMs: 100 }, { id: 'key:openai:openai#0', state: 'half-open', consecutiveFailures: 1 });
    let m = await scrape();
    assert.equal(sumOf(m, 'switchyard_circuit_breaker_state', { target: 'anthropic/claude-sonnet-4-6' }), 2);
    assert.equal(sumOf(m, 'switchyard_key_circuit_breaker_state', { provider: 'openai', key_id: 'openai#0' }), 1);
    assert.equal(sumOf(m, 'switchyard_request_log_queue_length'), 2);
    counters = { written: 10, dropped: 3, failed: 1, queued: 0 };
    m = await scrape();
    assert.equal(sumOf(m, 'switchyard_request_log_dropped_total'), 3);
    assert.equal(sumOf(m, 'switchyard_request_log_written_total'), 10);
    assert.equal(sumOf(m, 'switchyard_request_log_queue_length'), 0);
  });

  it('counts unpriced models', async () => {
    const { plugin, scrape } = setup();
    plugin.onRequestEnd!(record({ provider: 'openai', providerType: 'openai', upstreamModel: 'gpt-4o-mini' }));
    const runtimeUnpriced = createMetricsPlugin({
      runtime: compileRuntime(buildConfig({ ...defaultConfig('http://127.0.0.1:9'), models: { m: { targets: ['openai/house-model'] } } })),
      spend: new SpendCalculator(new PriceTable()),
      processMetrics: false,
    });
    runtimeUnpriced.onRequestEnd!(record({ alias: 'm', provider: 'openai', providerType: 'openai', upstreamModel: 'house-model' }));
    const m = parseMetrics((await runtimeUnpriced.render()).body);
    assert.equal(sumOf(m, 'switchyard_unpriced_requests_total', { model: 'house-model' }), 1);
    assert.equal(sumOf(m, 'switchyard_cost_usd_total'), 0);
    assert.equal(sumOf(await scrape(), 'switchyard_unpriced_requests_total'), 0);
  });
});
