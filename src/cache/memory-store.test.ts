import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { systemClock } from '../routing/clock.js';
import { encodeAnswer } from './cache-store.js';
import type { CachedAnswer } from './cache-store.js';
import { MemoryCacheStore } from './memory-store.js';

/** An answer whose text is `text`. */
function answer(text: string): string {
  const a: CachedAnswer = { v: 1, storedAt: 0, response: { id: 'r', model: 'm', content: [{ type: 'text', text }], finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 1 } } };
  return encodeAnswer(a);
}
const textOf = (a: CachedAnswer | undefined) => (a?.response.content[0] as { text: string } | undefined)?.text;

function clock() {
  let t = 1_000_000;
  return { ...systemClock, now: () => t, advance: (ms: number) => void (t += ms) };
}

/** The ring bytes one entry takes (the store reports live bytes in its stats). */
async function entryBytes(ns: string, key: string, json: string): Promise<number> {
  const s = new MemoryCacheStore({ maxBytes: 1e6, clock: clock() });
  await s.set(ns, key, json, 1e6);
  return (await s.stats()).bytes!;
}

/** A small deterministic generator, so a failing sequence can be replayed. */
function random(seed: number) {
  return () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
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
    await s.set('a', 'k1', answer('again'), 1000);
    assert.equal(textOf(await s.get('a', 'k1')), 'again', 'a cleared store takes entries again');
  });

  it('keeps what is read and evicts what nobody read, oldest first, within max_bytes', async () => {
    const v = answer('x'.repeat(150));
    const size = await entryBytes('n', 'k00', v);
    const s = new MemoryCacheStore({ maxBytes: size * 10, clock: clock() });
    for (let i = 0; i < 10; i++) await s.set('n', `k0${i}`, v, 1e6);
    assert.equal((await s.stats()).entries, 10, 'ten entries fill it exactly');
    assert.ok(await s.get('n', 'k00'), 'k00 read while it is the oldest');
    // The read wrote k00 again at the head; five more entries push out k01..k05, not k00.
    for (let i = 0; i < 5; i++) await s.set('n', `k1${i}`, v, 1e6);
    for (let i = 1; i <= 5; i++) assert.equal(await s.get('n', `k0${i}`), undefined, `k0${i} went`);
    assert.ok(await s.get('n', 'k00'), 'k00 stayed');
    for (let i = 6; i <= 9; i++) assert.ok(await s.get('n', `k0${i}`), `k0${i} stayed`);
    const st = await s.stats();
    assert.ok(st.bytes! <= size * 10);
  });

  it('once closed, misses and keeps nothing (a request that outlived its config)', async () => {
    const s = new MemoryCacheStore({ maxBytes: 1e6, clock: clock() });
    s.setNow('g', 'k', answer('kept'), 1000);
    assert.equal(textOf(s.getNow('g', 'k')), 'kept');
    await s.close();
    assert.equal(s.getNow('g', 'k'), undefined);
    s.setNow('g', 'k2', answer('late'), 1000);
    assert.equal(s.getNow('g', 'k2'), undefined);
    assert.deepEqual(await s.stats(), { entries: 0, bytes: 0 });
  });

  it('overwrites a key with its new answer', async () => {
    const s = new MemoryCacheStore({ maxBytes: 1e6, clock: clock() });
    await s.set('n', 'k', answer('old'), 1e6);
    await s.set('n', 'k', answer('new'), 1e6);
    assert.equal(textOf(await s.get('n', 'k')), 'new');
    assert.equal((await s.stats()).entries, 1);
  });

  it("clears a namespace's entries from anywhere in the index, a few or most, counts included", async () => {
    for (const [aShare, label] of [
      [0.1, 'a few'],
      [0.9, 'most'],
    ] as const) {
      const s = new MemoryCacheStore({ maxBytes: 4e6, clock: clock() });
      const rnd = random(11);
      const keys = { a: [] as string[], b: [] as string[] };
      for (let i = 0; i < 3000; i++) {
        const ns = rnd() < aShare ? 'a' : 'b';
        const key = `k${i}`;
        s.setNow(ns, key, answer(key), 1e6);
        keys[ns].push(key);
      }
      const before = await s.stats();
      assert.equal(await s.clear('a'), keys.a.length, label);
      for (const k of keys.a) assert.equal(s.getNow('a', k), undefined, `${label}: ${k} went`);
      for (const k of keys.b) assert.equal(textOf(s.getNow('b', k)), k, `${label}: ${k} stayed`);
      let bBytes = 0;
      for (const k of keys.b) bBytes += await entryBytes('b', k, answer(k));
      assert.deepEqual(await s.stats(), { entries: keys.b.length, bytes: bBytes }, label);
      assert.ok(before.entries! > keys.b.length);
      assert.equal(await s.clear('a'), 0, 'nothing left to clear');
      assert.equal(await s.clear('nobody'), 0);
    }
  });

  it('keeps text, keys and namespaces that are not ASCII', async () => {
    const s = new MemoryCacheStore({ maxBytes: 1e6, clock: clock() });
    await s.set('équipe-東京', 'clé-🔑', answer('réponse: 答え 🙂'), 1e6);
    assert.equal(textOf(await s.get('équipe-東京', 'clé-🔑')), 'réponse: 答え 🙂');
    assert.equal(await s.get('équipe-東京', 'clé-🔒'), undefined);
    assert.equal(await s.get('equipe-東京', 'clé-🔑'), undefined);
    assert.equal(await s.clear('équipe-東京'), 1);
  });

  it('never returns a wrong answer through many wraps of a ring of several buffers', async () => {
    // Random sets, reads and namespace clears against a model of the last answer set per key. The
    // store may have evicted a key (a miss), but whatever it returns must be that key's last answer,
    // and the last key set must always be there. Answers of varied sizes make the buffers' ends
    // padded in every way; 600 keys make the index grow and delete with displaced neighbours.
    const rnd = random(7);
    const c = clock();
    const s = new MemoryCacheStore({ maxBytes: 40_000, chunkBytes: 3_001, clock: c });
    const model = new Map<string, { ns: string; text: string }>();
    let hits = 0;
    for (let step = 0; step < 20_000; step++) {
      const key = `key-${Math.floor(rnd() * 600)}`;
      const op = rnd();
      if (op < 0.5) {
        // 'c' is small: its clears remove a few entries among many, 'a' and 'b' about half.
        const r = rnd();
        const ns = r < 0.47 ? 'a' : r < 0.94 ? 'b' : 'c';
        const text = `${key}@${step}:` + 'z'.repeat(Math.floor(rnd() * 700));
        s.setNow(ns, key, answer(text), 1e9);
        model.set(key, { ns, text });
        assert.equal(textOf(s.getNow(ns, key)), text, 'the answer just stored is there');
      } else if (op < 0.997) {
        const want = model.get(key);
        const got = want ? s.getNow(want.ns, key) : s.getNow('a', key);
        if (got) {
          hits++;
          assert.ok(want, `${key} was never stored`);
          assert.equal(textOf(got), want.text, `${key} at step ${step}`);
        }
        if (want) assert.equal(s.getNow(want.ns === 'a' ? 'b' : 'a', key), undefined, 'never from another namespace');
      } else {
        const r = rnd();
        const ns = r < 0.4 ? 'a' : r < 0.8 ? 'b' : 'c';
        await s.clear(ns);
        for (const [k, m] of model) if (m.ns === ns) model.delete(k);
      }
    }
    const st = await s.stats();
    assert.ok(hits > 500, `the store kept answers (${hits} hits)`);
    assert.ok(st.bytes! <= 40_000 && st.entries! > 10, `${st.entries} entries in ${st.bytes} bytes`);
    let found = 0;
    let bytes = 0;
    for (const [k, m] of model) {
      if (!s.getNow(m.ns, k)) continue;
      found++;
      bytes += await entryBytes(m.ns, k, answer(m.text));
    }
    assert.equal(found, st.entries, 'stats count what can be read');
    assert.equal(bytes, st.bytes, 'and the bytes of exactly those entries');
  });

  it('reclaims expired entries, counting them until a read or the ring drops them', async () => {
    const c = clock();
    const size = await entryBytes('n', 'old00', answer('o'));
    const s = new MemoryCacheStore({ maxBytes: size * 20, clock: c });
    for (let i = 0; i < 10; i++) await s.set('n', `old${String(i).padStart(2, '0')}`, answer('o'), 1000);
    c.advance(1000);
    assert.deepEqual(await s.stats(), { entries: 10, bytes: size * 10 }, 'held until reclaimed (stats keep counters, not a walk)');
    assert.equal(await s.get('n', 'old03'), undefined, 'never served once expired');
    assert.deepEqual(await s.stats(), { entries: 9, bytes: size * 9 }, 'the read dropped it');
    // They are the oldest bytes in the ring, so they are the first to make room.
    for (let i = 0; i < 20; i++) await s.set('n', `new${String(i).padStart(2, '0')}`, answer('o'), 1e6);
    assert.deepEqual(await s.stats(), { entries: 20, bytes: size * 20 });
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

  it('keeps nothing on the heap per entry', async () => {
    // The point of the store (memory-store.ts): whatever it holds, the heap holds a few objects.
    const s = new MemoryCacheStore({ maxBytes: 64 * 1024 * 1024, clock: clock() });
    const v = answer('h'.repeat(400));
    // A full collection on demand, so the figures are what is kept, not this loop's garbage.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 50_000; i++) s.setNow('global', `k${i}`.padEnd(43, 'x'), v, 1e9);
    gc();
    const grew = process.memoryUsage().heapUsed - before;
    assert.equal((await s.stats()).entries, 50_000);
    // 50,000 answers of about 500 bytes would be 25 MB of strings on the heap.
    assert.ok(grew < 1024 * 1024, `heap grew ${grew} bytes for 50,000 entries`);
  });
});
