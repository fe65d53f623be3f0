/**
 * The benchmark's report: ratios between rows of one run. With --rounds, a ratio is the median of
 * the per-round ratios (each row against the other's window of the same round), not a ratio of
 * medians; with --baseline-root, each Switchyard scenario has a `@base` twin compared with it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summarize } from '../bench/lib/report.js';
import type { PhaseRecord } from '../bench/lib/report.js';
import { allScenarios, roundOrder, withBaselineTwins } from '../bench/lib/scenarios.js';

const IDS = ['bare', 'switchyard', 'switchyard-unique', 'switchyard-cache-miss', 'switchyard-cache-hit'];

function run(throughputs: Record<string, number[]>) {
  const scenarios = allScenarios('http://127.0.0.1:1').filter((s) => IDS.includes(s.id));
  const records: PhaseRecord[] = [];
  for (const s of scenarios) {
    (throughputs[s.id] ?? []).forEach((t, i, all) => {
      const rec = { mode: 'json', phase: 'throughput', scenario: s.id, server: s.server, result: { throughput: t, errors: 0 }, cpuUsPerRequest: 100 + i };
      records.push({ ...(all.length > 1 ? { round: i } : {}), ...rec } as unknown as PhaseRecord);
    });
  }
  return { summary: summarize({ records, scenarios, memory: [], rate: 1000 }), scenarios };
}

const target = (s: ReturnType<typeof summarize>, name: string) => s.targets.find((t) => t.target.startsWith(name));

test('rounds: each ratio is the median of per-round ratios', () => {
  // Per round the miss costs 5 % and 25 % or gains 12.5 %: median 95 %. A ratio of the medians
  // (38 / 60) would compare windows of different rounds.
  const { summary } = run({
    bare: [100, 200, 100],
    switchyard: [60, 100, 40],
    'switchyard-unique': [40, 80, 60],
    'switchyard-cache-miss': [38, 90, 30],
    'switchyard-cache-hit': [120, 150, 80],
  });
  const sw = summary.rows.find((r) => r.scenario === 'switchyard')!;
  assert.equal(sw.throughput, 60);
  assert.equal(sw.ratioToBare, 0.5); // 0.6, 0.5, 0.4 (a ratio of medians: 0.6)
  assert.deepEqual(sw.throughputRounds, [60, 100, 40]);
  assert.equal(sw.cpuUsPerRequestThroughput, 101);
  assert.equal(target(summary, 'cache on, 0 % hits')?.measured, '95.0 %');
  assert.equal(target(summary, 'cache on, 0 % hits')?.met, true);
  assert.equal(target(summary, 'cache hit')?.measured, '2.00x'); // 2, 1.5, 2 (a ratio of medians: 2.4)
});

test('one window per phase: plain ratios, no rounds kept', () => {
  const { summary } = run({ bare: [100], switchyard: [50], 'switchyard-unique': [40], 'switchyard-cache-miss': [36] });
  const sw = summary.rows.find((r) => r.scenario === 'switchyard')!;
  assert.equal(sw.ratioToBare, 0.5);
  assert.equal(sw.throughputRounds, undefined);
  assert.equal(target(summary, 'cache on, 0 % hits')?.measured, '90.0 %');
  assert.equal(target(summary, 'cache on, 0 % hits')?.met, false);
});

test('baseline twins: one per Switchyard scenario, right after it, compared round by round', () => {
  const twins = withBaselineTwins(allScenarios('http://127.0.0.1:1').filter((s) => ['bare', 'switchyard', 'switchyard-cross'].includes(s.id)));
  assert.deepEqual(
    twins.map((s) => `${s.id}:${s.server}`),
    ['bare:bare', 'switchyard:switchyard', 'switchyard@base:switchyard-base', 'switchyard-cross:switchyard', 'switchyard-cross@base:switchyard-base'],
  );
  const records: PhaseRecord[] = [];
  const tp: Record<string, number[]> = { bare: [100, 100, 100], switchyard: [60, 40, 50], 'switchyard@base': [40, 50, 60] };
  for (const s of twins) {
    for (const [round, t] of (tp[s.id] ?? []).entries()) {
      records.push({ mode: 'stream', phase: 'throughput', round, scenario: s.id, server: s.server, result: { throughput: t, errors: 0 }, cpuUsPerRequest: 1 } as unknown as PhaseRecord);
    }
  }
  const summary = summarize({ records, scenarios: twins, memory: [], rate: 1000 });
  const t = summary.targets.find((x) => x.target.startsWith('share of bare: this tree / baseline tree'));
  assert.equal(t?.subject, 'switchyard stream');
  // 1.5, 0.8, 0.83 round by round; the two medians alone (50 and 50) would say 100 %.
  assert.equal(t?.measured, '83.3 %');
  assert.equal(t?.met, false);
});

test('rounds: of two scenarios on one server, each opens that server\'s turn in every other round', () => {
  const list = ['bare', 'switchyard-cache-miss', 'switchyard-unique'].map((id) => allScenarios('http://127.0.0.1:1').find((s) => s.id === id)!);
  const ids = (round: number) => roundOrder(list, round).map((s) => s.id);
  assert.deepEqual(ids(0), ['bare', 'switchyard-cache-miss', 'switchyard-unique']);
  assert.deepEqual(ids(1), ['bare', 'switchyard-unique', 'switchyard-cache-miss']);
  assert.deepEqual(ids(2), ids(0));
  // Twins stay next to each other, each server keeping its slots.
  const twins = withBaselineTwins(allScenarios('http://127.0.0.1:1').filter((s) => ['bare', 'switchyard', 'switchyard-cross'].includes(s.id)));
  assert.deepEqual(
    roundOrder(twins, 1).map((s) => s.id),
    ['bare', 'switchyard-cross', 'switchyard-cross@base', 'switchyard', 'switchyard@base'],
  );
});
