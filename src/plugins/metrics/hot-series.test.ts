import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { HotCounter, HotHistogram } from './hot-series.js';

const BUCKETS = [0.025, 0.1, 1, 5];

/** The same updates into prom-client's metrics and ours, each in its own registry. */
function both() {
  const theirs = new Registry();
  const ours = new Registry();
  const common = { help: 'Help with "quotes" and \\ backslash.' };
  return {
    theirs,
    ours,
    counters: [
      new Counter({ ...common, name: 't_total', labelNames: ['a', 'b'] as const, registers: [theirs] }),
      new HotCounter({ ...common, name: 't_total', labelNames: ['a', 'b'] as const, registers: [ours] }),
    ] as const,
    histograms: [
      new Histogram({ ...common, name: 't_seconds', labelNames: ['a'] as const, buckets: BUCKETS, registers: [theirs] }),
      new HotHistogram({ ...common, name: 't_seconds', labelNames: ['a'] as const, buckets: BUCKETS, registers: [ours] }),
    ] as const,
  };
}

describe('HotCounter and HotHistogram', () => {
  it('write the exposition prom-client writes for the same updates, line for line', async () => {
    const m = both();
    for (const c of m.counters) {
      c.labels('x', 'y').inc();
      c.labels('x', 'y').inc(2.5);
      c.labels('new\nline "q"', 'z').inc(0);
      c.labels('x', 'other').inc(7);
    }
    for (const h of m.histograms) {
      for (const v of [0, 0.025, 0.0251, 0.1, 3, 5, 5.0001, 99]) h.labels('x').observe(v);
      h.labels('y').observe(0.5);
    }
    assert.equal(await m.ours.metrics(), await m.theirs.metrics());
  });

  it('refuse what prom-client refuses: a wrong label count, a negative increment, a value that is not finite', () => {
    const m = both();
    const [, counter] = m.counters;
    const [, histogram] = m.histograms;
    assert.throws(() => counter.labels('only-one'), /expected 2 label values/);
    assert.throws(() => counter.labels('x', 'y').inc(-1), TypeError);
    assert.throws(() => histogram.labels('x').observe(Number.NaN), TypeError);
    assert.throws(() => new HotHistogram({ name: 'h', help: 'h', labelNames: ['le'], buckets: [1], registers: [] }), /le is a reserved/);
  });

  it('start over on resetMetrics', async () => {
    const m = both();
    m.counters[1].labels('x', 'y').inc();
    m.ours.resetMetrics();
    assert.doesNotMatch(await m.ours.metrics(), /t_total\{/);
    m.counters[1].labels('x', 'y').inc();
    assert.match(await m.ours.metrics(), /^t_total\{a="x",b="y"\} 1$/m);
  });
});
