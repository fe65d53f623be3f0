import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LinkedEntries } from './linked-entries.js';
import type { Linked } from './linked-entries.js';

class Entry implements Linked<Entry> {
  linkPrev: Entry | undefined = undefined;
  linkNext: Entry | undefined = undefined;
  linked = false;
  constructor(readonly name: string) {}
}

const names = (l: LinkedEntries<Entry>) => l.toArray().map((e) => e.name);

describe('LinkedEntries', () => {
  test('adds newest first, deletes from the head, the middle and the tail', () => {
    const l = new LinkedEntries<Entry>();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => new Entry(n)) as [Entry, Entry, Entry, Entry];
    for (const e of [a, b, c, d]) l.add(e);
    assert.deepEqual(names(l), ['d', 'c', 'b', 'a']);
    assert.equal(l.size, 4);
    assert.equal(l.delete(c), true);
    assert.deepEqual(names(l), ['d', 'b', 'a']);
    assert.equal(l.delete(d), true);
    assert.deepEqual(names(l), ['b', 'a']);
    assert.equal(l.delete(a), true);
    assert.deepEqual(names(l), ['b']);
    assert.equal(l.delete(b), true);
    assert.deepEqual(names(l), []);
    assert.equal(l.size, 0);
  });

  test('an entry that left points at nothing (a dead entry keeps no other entry reachable)', () => {
    const l = new LinkedEntries<Entry>();
    const [a, b, c] = ['a', 'b', 'c'].map((n) => new Entry(n)) as [Entry, Entry, Entry];
    for (const e of [a, b, c]) l.add(e);
    l.delete(b);
    assert.equal(b.linkPrev, undefined);
    assert.equal(b.linkNext, undefined);
    assert.equal(b.linked, false);
    assert.equal(c.linkNext, a);
    assert.equal(a.linkPrev, c);
  });

  test('adding twice and deleting twice change nothing', () => {
    const l = new LinkedEntries<Entry>();
    const a = new Entry('a');
    l.add(a);
    l.add(a);
    assert.equal(l.size, 1);
    assert.equal(l.delete(a), true);
    assert.equal(l.delete(a), false);
    assert.equal(l.size, 0);
    assert.deepEqual(names(l), []);
  });

  test('toArray is a copy: deleting while going through it is safe', () => {
    const l = new LinkedEntries<Entry>();
    const all = ['a', 'b', 'c'].map((n) => new Entry(n));
    for (const e of all) l.add(e);
    const seen: string[] = [];
    for (const e of l.toArray()) {
      seen.push(e.name);
      l.delete(e);
    }
    assert.deepEqual(seen, ['c', 'b', 'a']);
    assert.equal(l.size, 0);
  });
});
