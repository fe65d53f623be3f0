import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PacedCount } from './paced-count.js';

/** A count whose every take is settled by the test, on a clock the test moves. */
function rig(o: { minAgeMs?: number; costFactor?: number; waitMs?: number } = {}) {
  let now = 1_000_000;
  const takes: Array<{ resolve: (n: number) => void; reject: (e: Error) => void }> = [];
  const count = new PacedCount({
    now: () => now,
    take: () => new Promise<number>((resolve, reject) => takes.push({ resolve, reject })),
    minAgeMs: o.minAgeMs ?? 10_000,
    costFactor: o.costFactor ?? 50,
    waitMs: o.waitMs ?? 1_000,
  });
  return {
    count,
    takes,
    advance: (ms: number) => (now += ms),
    now: () => now,
  };
}

/** Lets settled promises' callbacks run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

describe('PacedCount', () => {
  test('the first caller waits for the count; later ones reuse it until it is due', async () => {
    const r = rig();
    const first = r.count.get();
    assert.equal(r.takes.length, 1);
    r.takes[0]!.resolve(7);
    assert.deepEqual(await first, { value: 7, at: r.now() });
    r.advance(9_999);
    assert.equal((await r.count.get())?.value, 7);
    assert.equal(r.takes.length, 1, 'not due yet: no second count');
  });

  test('callers asking at once share one count', async () => {
    const r = rig();
    const all = [r.count.get(), r.count.get(), r.count.get()];
    assert.equal(r.takes.length, 1);
    r.takes[0]!.resolve(3);
    for (const c of await Promise.all(all)) assert.equal(c?.value, 3);
  });

  test('a due count is answered at once with the old value while a new one is taken', async () => {
    const r = rig();
    const first = r.count.get();
    r.takes[0]!.resolve(5);
    await first;
    r.advance(10_000);
    assert.equal((await r.count.get())?.value, 5, 'the old count, without waiting');
    assert.equal(r.takes.length, 2);
    assert.equal((await r.count.get())?.value, 5);
    assert.equal(r.takes.length, 2, 'the running count is shared');
    r.takes[1]!.resolve(6);
    await settle();
    assert.equal((await r.count.get())?.value, 6);
  });

  test('a slow count is reused for costFactor times what it took', async () => {
    const r = rig({ minAgeMs: 10_000, costFactor: 50 });
    const first = r.count.get();
    r.advance(1_000); // the count took 1 s
    r.takes[0]!.resolve(1);
    await first;
    r.advance(49_000);
    await r.count.get();
    assert.equal(r.takes.length, 1, 'reused for 50 s, not 10');
    r.advance(1_000);
    await r.count.get();
    assert.equal(r.takes.length, 2);
  });

  test('a first count slower than waitMs gives undefined, then the value once taken', async () => {
    const r = rig({ waitMs: 5 });
    assert.equal(await r.count.get(), undefined);
    r.takes[0]!.resolve(9);
    await settle();
    assert.equal((await r.count.get())?.value, 9);
    assert.equal(r.takes.length, 1);
  });

  test('invalidate: the next caller waits for a fresh count; one under way at the clear is dropped', async () => {
    const r = rig();
    const first = r.count.get();
    r.takes[0]!.resolve(4);
    await first;
    r.advance(10_000);
    await r.count.get(); // starts take 1 (before the clear)
    r.count.invalidate();
    const after = r.count.get();
    assert.equal(r.takes.length, 3, 'a new count after the clear');
    r.takes[1]!.resolve(4); // the pre-clear count finishes late
    r.takes[2]!.resolve(0);
    assert.equal((await after)?.value, 0);
    await settle();
    assert.equal((await r.count.get())?.value, 0, 'the late pre-clear count was not kept');
  });

  test('a failed first count rejects; a failure after a count keeps the earlier one', async () => {
    const r = rig();
    const first = r.count.get();
    r.takes[0]!.reject(new Error('redis down'));
    await assert.rejects(first, /redis down/);
    const second = r.count.get();
    assert.equal(r.takes.length, 2, 'tried again on the next call');
    r.takes[1]!.resolve(2);
    assert.equal((await second)?.value, 2);
    r.advance(10_000);
    assert.equal((await r.count.get())?.value, 2);
    r.takes[2]!.reject(new Error('redis down'));
    await settle();
    assert.equal((await r.count.get())?.value, 2, 'the earlier count stands');
  });
});
