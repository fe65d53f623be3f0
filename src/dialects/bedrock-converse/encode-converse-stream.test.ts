import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { GatewayError } from '../../core/errors.js';
import type { StreamEvent } from '../../core/stream-event.js';
import { createConverseStreamEncoder, loadConverseCodec } from './encode-converse-stream.js';
import { parseConverseRequest } from './parse-converse-request.js';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const ctx = { requestModel: 'm', request: parseConverseRequest({ model: 'm', stream: true, body: { messages: [{ role: 'user', content: [{ text: 'x' }] }] } }) };

/** Splits concatenated frames and decodes each (CRC-checked) to [type, payload]. */
function decode(bytes: Uint8Array): Array<[string, any]> {
  const out: Array<[string, any]> = [];
  let off = 0;
  while (off < bytes.length) {
    const len = new DataView(bytes.buffer, bytes.byteOffset + off, 4).getUint32(0);
    const msg = codec.decode(bytes.subarray(off, off + len));
    const type = (msg.headers[':event-type'] ?? msg.headers[':exception-type'])!.value as string;
    out.push([type, JSON.parse(toUtf8(msg.body))]);
    off += len;
  }
  return out;
}

describe('createConverseStreamEncoder', () => {
  before(loadConverseCodec);

  it('frames a tool-call answer as the AWS SDK expects, usage last', () => {
    const enc = createConverseStreamEncoder(ctx);
    const events: StreamEvent[] = [
      { type: 'start', id: 'x', model: 'm' },
      { type: 'text-start', index: 0 },
      { type: 'text-delta', index: 0, text: 'Hi' },
      { type: 'text-end', index: 0 },
      { type: 'tool-call-start', index: 5, id: 't1', name: 'f' },
      { type: 'tool-call-delta', index: 5, argumentsDelta: '{}' },
      { type: 'tool-call-end', index: 5 },
      { type: 'finish', finishReason: 'tool-calls' },
      { type: 'usage', usage: { inputTokens: 2, outputTokens: 3 } },
    ];
    const bytes = Buffer.concat([...events.map((e) => enc.encode(e)), enc.end()]);
    const frames = decode(bytes);
    assert.deepEqual(frames.map(([t]) => t), ['messageStart', 'contentBlockDelta', 'contentBlockStop', 'contentBlockStart', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata']);
    assert.deepEqual(frames[3]![1], { contentBlockIndex: 1, start: { toolUse: { toolUseId: 't1', name: 'f' } } });
    assert.deepEqual(frames[6]![1], { stopReason: 'tool_use' });
    assert.deepEqual(frames[7]![1].usage, { inputTokens: 2, outputTokens: 3, totalTokens: 5 });
  });

  it('ends with an exception frame on an error after the commit point', () => {
    const enc = createConverseStreamEncoder(ctx);
    const [frame] = decode(enc.encodeError(new GatewayError('GW_ERR_UPSTREAM_RATE_LIMITED', 'slow down')));
    assert.deepEqual(frame, ['throttlingException', { message: 'slow down' }]);
  });
});
