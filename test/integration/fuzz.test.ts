/**
 * The fuzz run (scripts/fuzz.ts) in a small size, so the findings it found stay fixed: no 500
 * GW_ERR_INTERNAL, no crash, the in-flight gauge back to 0, RSS bounded. Bigger by hand:
 * `npm run fuzz -- --count 10000`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFuzz } from '../../scripts/fuzz.js';

test('fuzz: 400 seeded cases of malformed bodies, bad framing, slow clients, bursts and upstream faults', async () => {
  const report = await runFuzz({ count: 400, seed: 20261129, concurrency: 16 });
  console.log(`fuzz: ${report.cases} cases in ${report.durationMs} ms; statuses ${JSON.stringify(report.byStatus)}; rss ${report.rssStartMb} → ${report.rssEndMb} MB`);
  assert.deepEqual(report.failures, []);
  assert.ok(report.cases >= 400);
  for (const kind of ['mutated', 'malformed-json', 'framing']) assert.ok((report.byKind[kind] ?? 0) > 0, `no ${kind} cases`);
});
