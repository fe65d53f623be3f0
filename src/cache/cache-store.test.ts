import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../routing/clock.js';
import { encodeAnswer, MemoryCacheStore } from './cache-store.js';
import type { CachedAnswer } from './cache-store.js';

/** An answer whose text is `text` (the store's byte accounting counts it). */
function answer(text: string): string {
  const a: CachedAnswer = { v: 1, storedAt: 0, response: { id: 'r', model: 'm', content: [{ type: 'text', text }], finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 1 } } };
  return encodeAnswer(a);
}
const textOf = (a: CachedAnswer | undefined) => (a?.response.content[0] as { text: string } | undefined)?.text;

function clock() {
  let t = 1_000_000;
  return { ...systemClock, now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('MemoryCacheStore', () => {
  it('expires entries by the clock', async () => {
    const c = clock();
    const s = new MemoryCacheStore({ maxBytes: 1e6, clock: c });
    await s.set('ns', 'k', answer('v'), 1000);
    assert.equal(textOf(await s.get('ns', 'k')), 'v');
    c.advance(999);
    assert.equal(textOf(await s.get('ns', 'k')), 'v');
    c.advance(1);
    assert.equal(await s.get('ns', 'k'), undefined);
  });

  it('keeps namespaces apart and clears one or all', async () => {
    const s = new MemoryCacheStore({ maxBytes: 1e6, clock: clock() });
    await s.set('a', 'k1', answer('1'), 1000);
    await s.set('b', 'k2', answer('2'), 1000);
    assert.equal(textOf(await s.get('a', 'k1')), '1');
    assert.equal(textOf(await s.get('b', 'k2')), '2');
    assert.equal(await s.get('b', 'k1'), undefined, 'a key read from another namespace is a miss');
    assert.equal(await s.clear('a'), 1);
    assert.equal(await s.get('a', 'k1'), undefined);
    assert.equal((await s.stats()).entries, 1);
    assert.equal(await s.clear(), 1);
    assert.equal((await s.stats()).entries, 0);
  });

  it('evicts the least recently used past max_bytes', async () => {
    const s = new MemoryCacheStore({ maxBytes: 2000, clock: clock() });
    const v = answer('x'.repeat(150));
    await s.set('n', 'a', v, 1e6);
    await s.set('n', 'b', v, 1e6);
    await s.get('n', 'a'); // a is now the most recently used
    await s.set('n', 'c', v, 1e6);
    assert.equal(await s.get('n', 'b'), undefined);
    assert.equal(textOf(await s.get('n', 'a')), 'x'.repeat(150));
    assert.equal(textOf(await s.get('n', 'c')), 'x'.repeat(150));
    assert.ok(((await s.stats()).bytes ?? 0) <= 2000);
  });

  it('keeps evicting in least-recently-used order through many rounds of a full store', async () => {
    // A handful of entries fit. Keep inserting while reading the entry inserted three steps
    // earlier: it was the least recently used one just before, and the read keeps it.
    const s = new MemoryCacheStore({ maxBytes: 5200, clock: clock() });
    const v = answer('y'.repeat(150));
    for (let i = 0; i < 500; i++) {
      await s.set('n', `k${String(i).padStart(3, '0')}`, v, 1e9);
      if (i >= 3) assert.ok(await s.get('n', `k${String(i - 3).padStart(3, '0')}`), `k${i - 3} was read and stays`);
    }
    const st = await s.stats();
    const perEntry = (st.bytes ?? 0) / st.entries;
    assert.equal(st.entries, Math.floor(5200 / perEntry), 'the store stays full');
    assert.ok(await s.get('n', 'k499'));
    assert.equal(await s.get('n', 'k400'), undefined, 'an entry nobody read again went first');
  });

  it('sweeps expired entries from the least recently used end as it inserts', async () => {
    const c = clock();
    const s = new MemoryCacheStore({ maxBytes: 1e6, clock: c });
    for (let i = 0; i < 10; i++) await s.set('n', `old${String(i).padStart(2, '0')}`, answer('o'), 1000);
    c.advance(1000);
    for (let i = 0; i < 64; i++) await s.set('n', `new${String(i).padStart(2, '0')}`, answer('n'), 1e6);
    // The old entries were neither read nor counted as live, and their bytes are gone too.
    const st = await s.stats();
    assert.equal(st.entries, 64);
    const one = new MemoryCacheStore({ maxBytes: 1e6, clock: c });
    await one.set('n', 'new00', answer('n'), 1e6);
    assert.equal(st.bytes, 64 * (await one.stats()).bytes!, 'only the 64 new entries are kept');
  });

  it('gives each hit its own copy, so no reader can change what the next one gets', async () => {
    const s = new MemoryCacheStore({ maxBytes: 1e6, clock: clock() });
    await s.set('n', 'k', answer('kept'), 1e6);
    const a = (await s.get('n', 'k'))!;
    (a.response.content[0] as { text: string }).text = 'changed';
    assert.equal(textOf(await s.get('n', 'k')), 'kept');
  });

  it('refuses an answer larger than max_bytes and keeps what it had', async () => {
    const s = new MemoryCacheStore({ maxBytes: 1000, clock: clock() });
    await s.set('n', 'small', answer('s'), 1e6);
    await s.set('n', 'big', answer('x'.repeat(1000)), 1e6);
    assert.equal(await s.get('n', 'big'), undefined);
    assert.equal(textOf(await s.get('n', 'small')), 's');
  });
});
