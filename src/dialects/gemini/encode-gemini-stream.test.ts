import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/errors.js';
import type { StreamEvent } from '../../core/stream-event.js';
import { createGeminiStreamEncoder } from './encode-gemini-stream.js';
import { parseGeminiRequest } from './parse-gemini-request.js';

const ctx = { requestModel: 'm', request: parseGeminiRequest({ model: 'm', stream: true, body: { contents: [{ parts: [{ text: 'x' }] }] } }) };
const chunks = (sse: string) => sse.split('\r\n\r\n').filter(Boolean).map((c) => JSON.parse(c.slice('data: '.length)));

describe('createGeminiStreamEncoder', () => {
  it('sends text deltas, a whole function call, then finish and usage last', () => {
    const enc = createGeminiStreamEncoder(ctx);
    const events: StreamEvent[] = [
      { type: 'start', id: 'r1', model: 'up' },
      { type: 'text-start', index: 0 },
      { type: 'text-delta', index: 0, text: 'Hi' },
      { type: 'text-end', index: 0 },
      { type: 'tool-call-start', index: 1, id: 'c1', name: 'f' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '{"a"' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: ':1}' },
      { type: 'tool-call-end', index: 1 },
      { type: 'finish', finishReason: 'tool-calls' },
      { type: 'usage', usage: { inputTokens: 3, outputTokens: 4 } },
    ];
    const out = chunks(events.map((e) => enc.encode(e)).join('') + enc.end());
    assert.equal(out.length, 3);
    assert.deepEqual(out[0].candidates[0].content.parts, [{ text: 'Hi' }]);
    assert.deepEqual(out[1].candidates[0].content.parts, [{ functionCall: { id: 'c1', name: 'f', args: { a: 1 } } }]);
    assert.equal(out[2].candidates[0].finishReason, 'STOP');
    assert.deepEqual(out[2].usageMetadata, { promptTokenCount: 3, candidatesTokenCount: 4, totalTokenCount: 7 });
    assert.equal(out[2].responseId, 'r1');
  });

  it('writes an error after the commit point as Google error JSON', () => {
    const enc = createGeminiStreamEncoder(ctx);
    const [e] = chunks(enc.encodeError(new GatewayError('GW_ERR_STREAM_INTERRUPTED', 'upstream went away')));
    assert.deepEqual({ code: e.error.code, status: e.error.status, message: e.error.message }, { code: 502, status: 'INTERNAL', message: 'upstream went away' });
  });
});
