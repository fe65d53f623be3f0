import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SemanticGroups } from './semantic-groups.js';

/** A deterministic vector of `dims` around direction `seed` (nearby seeds are nearby vectors). */
function vec(seed: number, dims = 16): number[] {
  return Array.from({ length: dims }, (_, i) => Math.sin(seed * 0.001 * (i + 1)) + (i === seed % dims ? 1 : 0));
}

function cosine(a: number[], b: number[]): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return d / Math.sqrt(na * nb);
}

const turn = () => new Promise((r) => setImmediate(r));

describe('SemanticGroups', () => {
  it('keeps small groups as lists (no graph), exact and in their own group only', () => {
    const s = new SemanticGroups();
    for (let i = 0; i < 300; i++) s.add({ namespace: 'n', contextKey: `conv${i}`, vector: vec(i), value: `v${i}`, expiresAt: 100 });
    assert.equal(s.groupCount, 300);
    assert.equal(s.graphs, 0, 'a conversation of its own costs no graph');
    const m = s.search({ namespace: 'n', contextKey: 'conv7', vector: vec(7), threshold: 0.99, now: 0 });
    assert.equal(m?.value, 'v7');
    assert.ok(Math.abs(m!.similarity - 1) < 1e-5);
    assert.equal(s.search({ namespace: 'n', contextKey: 'conv7', vector: vec(9), threshold: 0.9999, now: 0 }), undefined, 'below the threshold');
    assert.equal(s.search({ namespace: 'm', contextKey: 'conv7', vector: vec(7), threshold: 0.5, now: 0 }), undefined, 'another namespace');
  });

  it('gives a group past the list size a graph, built between turns while the list answers', async () => {
    const s = new SemanticGroups({ flatMax: 8, buildSliceMs: 0 });
    for (let i = 0; i < 9; i++) s.add({ namespace: 'n', contextKey: 'faq', vector: vec(i * 50), value: `v${i}`, expiresAt: 100 });
    assert.equal(s.graphs, 1, 'building');
    // While it builds: answers from the list, and what is added meanwhile joins.
    assert.equal(s.search({ namespace: 'n', contextKey: 'faq', vector: vec(100), threshold: 0.99, now: 0 })?.value, 'v2');
    for (let i = 9; i < 40; i++) s.add({ namespace: 'n', contextKey: 'faq', vector: vec(i * 50), value: `v${i}`, expiresAt: 100 });
    for (let t = 0; t < 200 && s.graphSlots < 40; t++) await turn();
    assert.equal(s.graphSlots, 40, 'every entry reached the graph');
    await turn();
    for (let i = 0; i < 40; i += 7) {
      const want = `v${i}`;
      const m = s.search({ namespace: 'n', contextKey: 'faq', vector: vec(i * 50), threshold: 0.99, now: 0 });
      assert.equal(m?.value, want);
      assert.ok(Math.abs(m!.similarity - cosine(vec(i * 50), vec(i * 50))) < 1e-4);
    }
  });

  it('reuses deleted graph slots, and drops a group (and its graph) once it is empty', async () => {
    const s = new SemanticGroups({ flatMax: 8, buildSliceMs: 0 });
    for (let round = 0; round < 5; round++) {
      // Three entries outlive every round: above a quarter of flatMax, so the group keeps its graph.
      for (let i = 0; i < 30; i++) s.add({ namespace: 'n', contextKey: 'faq', vector: vec(round * 1000 + i * 7), value: `r${round}`, expiresAt: round === 0 && i < 3 ? 1000 : round * 10 + 5 });
      for (let t = 0; t < 200 && s.graphs > 0 && s.graphSlots < 30; t++) await turn();
      s.sweep(round * 10 + 6);
    }
    assert.equal(s.size, 3);
    assert.equal(s.graphs, 1, 'three entries outlived every round, so the group and its graph stayed');
    assert.ok(s.graphSlots <= 33, `slots reused: ${s.graphSlots} for 150 entries added`);
    s.sweep(2000);
    assert.equal(s.groupCount, 0, 'the empty group went');
    assert.equal(s.graphs, 0);
  });

  it('a group that shrinks to a quarter of the list size goes back to a list, searched as before', async () => {
    const s = new SemanticGroups({ flatMax: 8, buildSliceMs: 0 });
    for (let i = 0; i < 20; i++) s.add({ namespace: 'n', contextKey: 'faq', vector: vec(i * 50), value: `v${i}`, expiresAt: i < 2 ? 1000 : 10 });
    await s.idle();
    assert.equal(s.graphs, 1);
    const before = s.search({ namespace: 'n', contextKey: 'faq', vector: vec(50), threshold: 0.9, now: 0 });
    s.sweep(20);
    assert.equal(s.size, 2);
    assert.equal(s.graphs, 0, 'two entries left: the graph went');
    const after = s.search({ namespace: 'n', contextKey: 'faq', vector: vec(50), threshold: 0.9, now: 20 });
    assert.equal(after?.value, 'v1');
    assert.equal(before?.value, 'v1');
    assert.ok(Math.abs(after!.similarity - cosine(vec(50), vec(50))) < 1e-4, `similarity from the read-back vector: ${after!.similarity}`);
    assert.ok(Math.abs(after!.similarity - before!.similarity) < 1e-4);
    const other = s.search({ namespace: 'n', contextKey: 'faq', vector: vec(0), threshold: 0.9, now: 20 });
    assert.equal(other?.value, 'v0');
    // It grows again: a new graph, with the two kept entries in it.
    for (let i = 20; i < 30; i++) s.add({ namespace: 'n', contextKey: 'faq', vector: vec(i * 50), value: `v${i}`, expiresAt: 1000 });
    await s.idle();
    assert.equal(s.graphs, 1);
    assert.equal(s.graphSlots, 12);
    assert.equal(s.search({ namespace: 'n', contextKey: 'faq', vector: vec(50), threshold: 0.9, now: 20 })?.value, 'v1');
  });

  it('a group that shrinks while its graph is being built stays a list', () => {
    const s = new SemanticGroups({ flatMax: 8, buildSliceMs: 0 });
    for (let i = 0; i < 9; i++) s.add({ namespace: 'n', contextKey: 'faq', vector: vec(i * 50), value: `v${i}`, expiresAt: i === 0 ? 1000 : 10 });
    assert.equal(s.graphs, 1, 'building');
    s.sweep(20);
    assert.equal(s.graphs, 0);
    assert.equal(s.search({ namespace: 'n', contextKey: 'faq', vector: vec(0), threshold: 0.99, now: 20 })?.value, 'v0');
  });

  it('keeps at most maxEntries, evicting the oldest first', () => {
    const s = new SemanticGroups({ maxEntries: 5 });
    for (let i = 0; i < 12; i++) s.add({ namespace: 'n', contextKey: `c${i % 3}`, vector: vec(i * 100), value: `v${i}`, expiresAt: 100 });
    assert.equal(s.size, 5);
    assert.equal(s.evicted, 7);
    const found = (i: number) => s.search({ namespace: 'n', contextKey: `c${i % 3}`, vector: vec(i * 100), threshold: 0.999, now: 0 })?.value;
    for (let i = 0; i < 7; i++) assert.notEqual(found(i), `v${i}`, `v${i} was among the oldest`);
    for (let i = 7; i < 12; i++) assert.equal(found(i), `v${i}`);
    s.setMaxEntries(2);
    assert.equal(s.size, 2);
    assert.equal(found(11), 'v11');
  });

  it('starts a group again when the embedding size changes, and clears by namespace', () => {
    const s = new SemanticGroups();
    s.add({ namespace: 'a', contextKey: 'c', vector: vec(1, 8), value: 'eight', expiresAt: 100 });
    s.add({ namespace: 'a', contextKey: 'c', vector: vec(1, 16), value: 'sixteen', expiresAt: 100 });
    assert.equal(s.size, 1);
    assert.equal(s.search({ namespace: 'a', contextKey: 'c', vector: vec(1, 16), threshold: 0.9, now: 0 })?.value, 'sixteen');
    s.add({ namespace: 'b', contextKey: 'c', vector: vec(1, 16), value: 'other', expiresAt: 100 });
    assert.equal(s.clear('a'), 1);
    assert.equal(s.size, 1);
    assert.equal(s.search({ namespace: 'b', contextKey: 'c', vector: vec(1, 16), threshold: 0.9, now: 0 })?.value, 'other');
  });
});
