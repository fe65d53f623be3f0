/**
 * The operations kit in deploy/: the Prometheus rules pass `promtool check rules` and their unit
 * tests (`promtool test rules`: each alert fires on the data it is meant for and not on the rest),
 * and the Grafana dashboard is well-formed and shows every alerted view. The promtool checks are
 * skipped, with the reason, where promtool is not installed (Debian: apt-get install prometheus).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { findBinary } from '../helpers/prometheus.js';

const deploy = fileURLToPath(new URL('../../deploy/', import.meta.url));
const promtool = findBinary('promtool');
const SKIP = 'promtool is not installed (apt-get install -y prometheus)';

function run(args: string[]) {
  const r = spawnSync(promtool!, args, { cwd: join(deploy, 'prometheus'), encoding: 'utf8', timeout: 60_000 });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

describe('Prometheus rules', () => {
  it('pass promtool check rules', (t) => {
    if (!promtool) return t.skip(SKIP);
    const r = run(['check', 'rules', 'switchyard-rules.yml']);
    assert.ok(r.ok, r.out);
    assert.match(r.out, /SUCCESS: \d+ rules found/);
  });

  it('pass their promtool unit tests', (t) => {
    if (!promtool) return t.skip(SKIP);
    const r = run(['test', 'rules', 'switchyard-rules.test.yml']);
    assert.ok(r.ok, r.out);
  });

  it('include the alerts the runbook names', () => {
    const text = readFileSync(join(deploy, 'prometheus/switchyard-rules.yml'), 'utf8');
    for (const alert of ['SwitchyardHighFallbackRate', 'SwitchyardProviderLatencyHigh', 'SwitchyardCircuitBreakerOpen', 'SwitchyardHighErrorRate', 'SwitchyardRequestLogDropping']) {
      assert.match(text, new RegExp(`alert: ${alert}\\b`), alert);
    }
  });

  it('the example Prometheus config passes promtool check config', (t) => {
    if (!promtool) return t.skip(SKIP);
    const r = run(['check', 'config', '--syntax-only', 'prometheus.yml']);
    assert.ok(r.ok, r.out);
  });
});

describe('Grafana dashboard', () => {
  const dash = JSON.parse(readFileSync(join(deploy, 'grafana/switchyard-dashboard.json'), 'utf8')) as {
    uid: string;
    title: string;
    __inputs: Array<{ name: string }>;
    panels: Array<{ id: number; type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; datasource?: { uid: string }; targets?: Array<{ expr: string; refId: string }> }>;
  };

  it('is importable: uid, datasource input, unique panel ids inside the 24-column grid', () => {
    assert.equal(dash.uid, 'switchyard-overview');
    assert.ok(dash.__inputs.some((i) => i.name === 'DS_PROMETHEUS'));
    const ids = dash.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const p of dash.panels) {
      assert.ok(p.gridPos.x + p.gridPos.w <= 24, p.title);
      if (p.type === 'row') continue;
      assert.equal(p.datasource?.uid, '${DS_PROMETHEUS}', p.title);
      assert.ok(p.targets && p.targets.length > 0, p.title);
      for (const t of p.targets) assert.match(t.expr, /switchyard_/, p.title);
    }
  });

  it('shows every alerted view', () => {
    const exprs = dash.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr).join('\n');
    for (const metric of ['switchyard_fallbacks_total', 'switchyard_upstream_duration_seconds_bucket', 'switchyard_circuit_breaker_state', 'switchyard_errors_total', 'switchyard_request_log_dropped_total', 'switchyard_cost_usd_total', 'switchyard_time_to_first_token_seconds_bucket', 'switchyard_gateway_overhead_seconds_bucket']) {
      assert.ok(exprs.includes(metric), metric);
    }
  });
});
