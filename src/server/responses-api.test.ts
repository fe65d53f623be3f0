import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StreamWriter } from '../gateway.js';
import { listPage, ownerOf, tapTerminalEvent } from './responses-api.js';

describe('listPage', () => {
  const items = ['a', 'b', 'c', 'd'].map((id) => ({ id }));
  const page = (q: string) => listPage(items, new URLSearchParams(q));
  it('lists newest first by default, pages with after/before and limit', () => {
    assert.deepEqual(page(''), { object: 'list', data: [{ id: 'd' }, { id: 'c' }, { id: 'b' }, { id: 'a' }], first_id: 'd', last_id: 'a', has_more: false });
    assert.deepEqual(page('order=asc&limit=2'), { object: 'list', data: [{ id: 'a' }, { id: 'b' }], first_id: 'a', last_id: 'b', has_more: true });
    assert.deepEqual(page('order=asc&after=b').data, [{ id: 'c' }, { id: 'd' }]);
    assert.deepEqual(page('before=b').data, [{ id: 'd' }, { id: 'c' }]);
    assert.throws(() => page('limit=0'), /limit/);
    assert.throws(() => page('order=up'), /order/);
  });
});

describe('ownerOf', () => {
  it('hashes the presented key; never the key itself', () => {
    const a = ownerOf({ authorization: 'Bearer secret-1' });
    assert.equal(a, ownerOf({ 'x-api-key': 'secret-1' }));
    assert.notEqual(a, ownerOf({ authorization: 'Bearer secret-2' }));
    assert.ok(!a.includes('secret'));
    assert.equal(ownerOf({}), '');
  });
});

describe('tapTerminalEvent', () => {
  it('holds the terminal event and what follows until the response is stored', async () => {
    const written: string[] = [];
    let ended = false;
    const writer: StreamWriter = { write: (c) => (written.push(String(c)), true), onDrain: () => {}, end: (c) => { if (c !== undefined) written.push(String(c)); ended = true; } };
    let release!: () => void;
    const stored: unknown[] = [];
    const tapped = tapTerminalEvent(writer, (r) => new Promise<void>((resolve) => { stored.push(r); release = resolve; }));
    tapped.write('event: response.created\ndata: {"type":"response.created","response":{"id":"r"}}\n\n');
    tapped.write('event: response.completed\ndata: {"type":"response.completed","response":{"id":"r","status":"completed"}}\n\n');
    tapped.end();
    assert.equal(written.length, 1, 'the terminal event waits');
    assert.deepEqual(stored, [{ id: 'r', status: 'completed' }]);
    release();
    await new Promise((r) => setImmediate(r));
    assert.equal(written.length, 2);
    assert.ok(ended);
  });
});
