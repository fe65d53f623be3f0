import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from './errors.js';
import type { CoreResponse } from './response.js';
import { responseToEvents } from '../pipeline/event-stream.js';
import { ResponseAssembler } from './assemble-response.js';

const answer: CoreResponse = {
  id: 'r1',
  model: 'm',
  content: [
    { type: 'reasoning', text: 'thinking', signature: 'sig' },
    { type: 'text', text: 'Hello' },
    { type: 'tool-call', id: 'c1', name: 'f', arguments: '{"a":1}' },
  ],
  finishReason: 'tool-calls',
  usage: { inputTokens: 3, outputTokens: 4 },
};

describe('ResponseAssembler', () => {
  it('rebuilds the response its events came from', () => {
    const a = new ResponseAssembler();
    for (const e of responseToEvents(answer)) a.event(e);
    assert.deepEqual(a.result(), answer);
  });

  it('gives nothing for a stream without its finish, or with an error', () => {
    const events = responseToEvents(answer);
    const cut = new ResponseAssembler();
    for (const e of events.slice(0, -1)) cut.event(e);
    assert.equal(cut.result(), undefined);
    const failed = new ResponseAssembler();
    for (const e of events) failed.event(e);
    failed.event({ type: 'error', error: new GatewayError('GW_ERR_STREAM_INTERRUPTED', 'x') });
    assert.equal(failed.result(), undefined);
  });

  it('keeps a second choice apart: the whole response has it, the single answer is refused', () => {
    const a = new ResponseAssembler();
    a.event({ type: 'start', id: 'r2', model: 'm' });
    a.event({ type: 'text-delta', index: 0, text: 'red' });
    a.event({ type: 'text-delta', index: 10, text: 'blue', choice: 1 });
    a.event({ type: 'finish', finishReason: 'stop', choice: 1 });
    a.event({ type: 'finish', finishReason: 'stop' });
    assert.equal(a.result(), undefined);
    const res = a.response();
    assert.deepEqual(res.content, [{ type: 'text', text: 'red' }]);
    assert.deepEqual(res.choices, [{ index: 1, content: [{ type: 'text', text: 'blue' }], finishReason: 'stop' }]);
  });
});
