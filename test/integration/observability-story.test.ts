/**
 * One story, four witnesses: mixed traffic through the real SDKs (aliases and direct models, JSON
 * and streams, a forced fallback, a request where every target fails, an unknown model), then
 * GET /metrics, a real Prometheus scraping the gateway (PromQL over its HTTP API, with the
 * shipped rules loaded), GET /api/logs and GET /api/stats must agree on requests, errors,
 * fallbacks, tokens and cost. The Prometheus part is skipped, with the reason, where the
 * `prometheus` binary is not installed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { PriceTable } from '../../src/pricing/price-table.js';
import type { LogRow } from '../../src/storage/log-store.js';
import { parseMetrics, pollUntil, startPrometheus, sumOf } from '../helpers/prometheus.js';
import type { PrometheusServer, Sample } from '../helpers/prometheus.js';
import { defaultConfig, startStack } from '../helpers/stack.js';
import type { Stack } from '../helpers/stack.js';

const ADMIN = 'story-admin-token';
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const RULES = join(repoRoot, 'deploy/prometheus/switchyard-rules.yml');
const DASHBOARD = join(repoRoot, 'deploy/grafana/switchyard-dashboard.json');

let stack: Stack;
let tmp: string;
let prom: PrometheusServer | undefined;
let promSkip: string | undefined;
let metrics: Sample[];
/** Every metric name /metrics declares (# TYPE lines), including ones without samples yet. */
let declared: Set<string>;
let rows: Array<LogRow & { time: string }>;
let stats: Record<string, any>;
/** Requests sent, and how they should end. */
const expected = { requests: 0, errors: 0, fallbacks: 0 };

const admin = async (path: string) => {
  const res = await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  assert.equal(res.status, 200, `${path}: ${res.status}`);
  return (await res.json()) as any;
};

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'switchyard-story-'));
  stack = await startStack({
    config: (mockUrl) => ({
      ...defaultConfig(mockUrl),
      server: { host: '127.0.0.1', port: 0, admin_token: ADMIN },
      storage: { sqlite_path: join(tmp, 'log.db') },
    }),
  });
  const openai = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'client', maxRetries: 0 });
  const anthropic = new Anthropic({ baseURL: `${stack.url}/anthropic`, apiKey: 'client', maxRetries: 0 });
  const chat = (model: string, text: string) => openai.chat.completions.create({ model, messages: [{ role: 'user', content: text }] });
  const count = (kind: 'ok' | 'error' | 'fallback') => {
    expected.requests++;
    if (kind === 'error') expected.errors++;
    if (kind === 'fallback') expected.fallbacks++;
  };

  // Warm-up: one request, so the main series exist before Prometheus first scrapes.
  await chat('review-model', 'warm up please');
  count('ok');

  const started = await startPrometheus({ targets: [`127.0.0.1:${stack.gw.port}`], ruleFiles: [RULES] });
  if (started.ok) {
    prom = started.prom;
    await prom.waitFor('sum(switchyard_requests_total)', (r) => Number(r[0]?.value[1]) === 1);
  } else promSkip = started.reason;

  for (const text of ['one two three', 'four five', 'six']) {
    await chat('review-model', text);
    count('ok');
  }
  const stream = anthropic.messages.stream({ model: 'review-model', max_tokens: 100, messages: [{ role: 'user', content: 'stream this answer please' }] });
  await stream.finalMessage();
  count('ok');
  for (const text of ['direct one', 'direct two words']) {
    await chat('openai/gpt-4o-mini', text);
    count('ok');
  }

  // Forced fallback: the primary answers 503 twice (first try and its retry), OpenAI answers.
  stack.mock.setFaults([{ fault: { kind: 'status', status: 503 }, times: 2, path: '/v1/messages' }]);
  const fb = await chat('review-model', 'this one falls back');
  assert.equal(fb.choices[0]!.message.content, 'mock reply to: this one falls back');
  count('fallback');

  // Every target fails.
  stack.mock.setFaults([
    { fault: { kind: 'status', status: 500 }, times: 2, path: '/v1/messages' },
    { fault: { kind: 'status', status: 500 }, times: 2, path: '/v1/chat/completions' },
  ]);
  await assert.rejects(chat('review-model', 'nobody answers'), (e: any) => e.status === 502);
  count('error');
  stack.mock.setFaults([]);

  // A model nobody configured.
  await assert.rejects(chat('no-such-model', 'hello'), (e: any) => e.status === 404);
  count('error');

  const text = await (await fetch(`${stack.url}/metrics`)).text();
  metrics = parseMetrics(text);
  declared = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!));
  rows = (await admin('/api/logs?limit=1000')).data;
  stats = await admin('/api/stats?window=1h');
});

after(async () => {
  await prom?.close();
  await stack?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Cost of the logged rows, priced independently from their tokens. */
function costFromRows(list: LogRow[]): number {
  const table = new PriceTable();
  let total = 0;
  for (const r of list) {
    if (!r.provider || !r.model || r.input_tokens + r.output_tokens === 0) continue;
    const p = table.lookup({ provider: r.provider, providerType: r.provider_type ?? '', model: r.model });
    assert.ok(p, `${r.provider}/${r.model} is priced`);
    total += (r.input_tokens * p.input + r.output_tokens * p.output) / 1e6;
  }
  return total;
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

describe('the observability story after mixed traffic with a forced fallback', () => {
  it('/api/logs has one row per request, with the fallback, its attempts and per-request cost', () => {
    assert.equal(rows.length, expected.requests);
    const fallbacks = rows.filter((r) => (r.fallback_index ?? 0) > 0);
    assert.equal(fallbacks.length, expected.fallbacks);
    const fb = fallbacks[0]!;
    assert.equal(fb.alias, 'review-model');
    assert.equal(fb.provider, 'openai');
    assert.equal(fb.model, 'gpt-4o-mini');
    assert.deepEqual(
      fb.attempts.map((a) => [a.target, a.outcome, a.status]),
      [
        ['anthropic/claude-sonnet-4-6', 'error', 503],
        ['anthropic/claude-sonnet-4-6', 'error', 503],
        ['openai/gpt-4o-mini', 'ok', undefined],
      ],
    );
    assert.equal(rows.filter((r) => r.error_code).length, expected.errors);
    assert.deepEqual(rows.filter((r) => r.error_code).map((r) => [r.status, r.error_code]).sort(), [
      [404, 'GW_ERR_UNKNOWN_MODEL'],
      [502, 'GW_ERR_ALL_TARGETS_FAILED'],
    ]);
    const streamed = rows.find((r) => r.stream)!;
    assert.equal(streamed.dialect, 'anthropic-messages');
    assert.ok(streamed.output_tokens > 0 && streamed.input_tokens > 0);
    for (const r of rows.filter((x) => !x.error_code)) assert.ok(r.cost_usd > 0 && r.priced, `${r.request_id} has a cost`);
    close(rows.reduce((n, r) => n + r.cost_usd, 0), costFromRows(rows), 'logged cost = tokens × prices');
  });

  it('/metrics tells the same story', () => {
    assert.equal(sumOf(metrics, 'switchyard_requests_total'), expected.requests);
    assert.equal(sumOf(metrics, 'switchyard_fallbacks_total'), expected.fallbacks);
    assert.equal(sumOf(metrics, 'switchyard_fallbacks_total', { alias: 'review-model', from: 'anthropic/claude-sonnet-4-6', to: 'openai/gpt-4o-mini' }), 1);
    assert.equal(sumOf(metrics, 'switchyard_errors_total'), expected.errors);
    assert.equal(sumOf(metrics, 'switchyard_requests_total', { status: '502' }), 1);
    assert.equal(sumOf(metrics, 'switchyard_requests_total', { status: '404', provider: '', model: '' }), 1);
    // Retries: the fallback's retry and the all-fail request's two retries.
    assert.equal(sumOf(metrics, 'switchyard_retries_total'), 3);
    assert.equal(sumOf(metrics, 'switchyard_in_flight_requests'), 0);
    const logged = (k: 'input_tokens' | 'output_tokens') => rows.reduce((n, r) => n + r[k], 0);
    assert.equal(sumOf(metrics, 'switchyard_tokens_total', { type: 'input' }), logged('input_tokens'));
    assert.equal(sumOf(metrics, 'switchyard_tokens_total', { type: 'output' }), logged('output_tokens'));
    close(sumOf(metrics, 'switchyard_cost_usd_total'), rows.reduce((n, r) => n + r.cost_usd, 0), 'metrics cost = logged cost');
    for (const provider of ['openai', 'anthropic']) {
      close(
        sumOf(metrics, 'switchyard_cost_usd_total', { provider }),
        rows.filter((r) => r.provider === provider).reduce((n, r) => n + r.cost_usd, 0),
        `${provider} cost`,
      );
    }
    assert.equal(sumOf(metrics, 'switchyard_request_log_dropped_total'), 0);
    assert.ok(metrics.some((s) => s.name === 'process_cpu_user_seconds_total'), 'default process metrics');
  });

  it('/api/stats tells the same story', () => {
    assert.equal(stats.requests, expected.requests);
    assert.equal(stats.errors, expected.errors);
    assert.equal(stats.fallbacks, expected.fallbacks);
    assert.equal(stats.fallback_rate, expected.fallbacks / expected.requests);
    assert.equal(stats.input_tokens, sumOf(metrics, 'switchyard_tokens_total', { type: 'input' }));
    assert.equal(stats.output_tokens, sumOf(metrics, 'switchyard_tokens_total', { type: 'output' }));
    close(stats.cost_usd, sumOf(metrics, 'switchyard_cost_usd_total'), 'stats cost = metrics cost');
    assert.ok(stats.p50_latency_ms > 0 && stats.p99_latency_ms >= stats.p50_latency_ms);
    const groups = stats.by_provider_model as Array<{ provider: string | null; model: string | null; requests: number; cost_usd: number }>;
    for (const g of groups.filter((x) => x.provider)) {
      close(g.cost_usd, sumOf(metrics, 'switchyard_cost_usd_total', { provider: g.provider!, model: g.model! }), `${g.provider}/${g.model} cost`);
      assert.equal(g.requests, sumOf(metrics, 'switchyard_requests_total', { provider: g.provider!, model: g.model! }));
    }
    assert.deepEqual(
      (stats.errors_by_code as Array<{ code: string; count: number }>).map((e) => e.code).sort(),
      ['GW_ERR_ALL_TARGETS_FAILED', 'GW_ERR_UNKNOWN_MODEL'],
    );
  });

  it('Prometheus, scraping the gateway, tells the same story (PromQL over its HTTP API)', async (t) => {
    if (!prom) return t.skip(`Prometheus unavailable: ${promSkip}`);
    const value = (r: Array<{ value: [number, string] }>) => Number(r[0]?.value[1]);
    await prom.waitFor('sum(switchyard_requests_total)', (r) => value(r) === expected.requests);
    assert.equal(value(await prom.query('sum(switchyard_fallbacks_total)')), expected.fallbacks);
    assert.equal(value(await prom.query('sum(switchyard_fallbacks_total) / sum(switchyard_requests_total)')), expected.fallbacks / expected.requests);
    close(value(await prom.query('sum(switchyard_cost_usd_total)')), sumOf(metrics, 'switchyard_cost_usd_total'), 'Prometheus cost');
    // The shipped recording rule sees the fallback as a rate, per alias.
    const rate = await prom.waitFor('switchyard:fallback_ratio:rate5m{alias="review-model"}', (r) => value(r) > 0);
    assert.ok(value(rate) > 0 && value(rate) <= 1, `fallback ratio ${value(rate)}`);
  });

  it('Prometheus evaluates every shipped rule and every dashboard query without error', async (t) => {
    if (!prom) return t.skip(`Prometheus unavailable: ${promSkip}`);
    type Rule = { name: string; health: string; lastError?: string };
    const url = prom.url;
    // Rules evaluate every second: wait until each has been evaluated once.
    const rules = await pollUntil('every rule to be evaluated', async () => {
      const res = (await (await fetch(`${url}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: Rule[] }> } };
      const list = res.data.groups.flatMap((g) => g.rules);
      return list.length > 0 && list.every((r) => r.health !== 'unknown') ? list : undefined;
    });
    assert.ok(rules.length >= 10);
    for (const r of rules) assert.equal(r.health, 'ok', `${r.name}: ${r.lastError}`);

    const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((x) => ({ title: p.title, expr: x.expr })));
    assert.ok(exprs.length > 20);
    for (const { title, expr } of exprs) {
      const promql = expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '5m').replaceAll('$provider', '.*').replaceAll('$alias', '.*');
      await prom.query(promql); // throws on a PromQL error
      for (const m of expr.match(/switchyard_[a-z_]+/g) ?? []) assert.ok(declared.has(m.replace(/_(bucket|sum|count)$/, '')), `${title}: ${m} is a metric the gateway exposes`);
    }
  });
});
