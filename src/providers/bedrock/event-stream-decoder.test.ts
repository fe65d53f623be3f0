import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitBytes } from '../../../test/helpers/provider-replay.js';
import {
  decodeEventStreamFrame,
  encodeBedrockEvent,
  encodeBedrockException,
  encodeEventStreamFrame,
  EventStreamFrameError,
  EventStreamFramer,
} from './event-stream-decoder.js';

function frames(): Buffer {
  return Buffer.concat([
    encodeBedrockEvent('messageStart', { role: 'assistant' }),
    encodeBedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Grüße 🌍 ' + 'x'.repeat(300) } }),
    encodeBedrockEvent('contentBlockStop', { contentBlockIndex: 0 }),
    encodeBedrockException('throttlingException', 'slow down'),
  ]);
}

function decodeAll(pieces: Buffer[]) {
  const framer = new EventStreamFramer();
  const out: ReturnType<typeof decodeEventStreamFrame>[] = [];
  for (const p of pieces) framer.push(p, (f) => out.push(decodeEventStreamFrame(f)));
  return { out, pending: framer.pending };
}

describe('EventStreamFramer + decodeEventStreamFrame', () => {
  const whole = frames();
  const expected = decodeAll([whole]).out;

  it('decodes event and exception frames with their headers and UTF-8 bodies', () => {
    assert.equal(expected.length, 4);
    assert.equal(expected[0]!.messageType, 'event');
    assert.equal(expected[0]!.eventType, 'messageStart');
    assert.deepEqual(JSON.parse(expected[0]!.body), { role: 'assistant' });
    assert.match(JSON.parse(expected[1]!.body).delta.text, /^Grüße 🌍 x+$/);
    assert.equal(expected[3]!.messageType, 'exception');
    assert.equal(expected[3]!.exceptionType, 'throttlingException');
    assert.deepEqual(JSON.parse(expected[3]!.body), { message: 'slow down' });
  });

  it('gives the same messages when every byte arrives on its own', () => {
    const { out, pending } = decodeAll(splitBytes(whole, { size: 1 }));
    assert.deepEqual(out, expected);
    assert.equal(pending, false);
  });

  for (const seed of [1, 2, 3, 42, 1234]) {
    it(`gives the same messages for random splits (seed ${seed})`, () => {
      const { out, pending } = decodeAll(splitBytes(whole, { seed, max: 37 }));
      assert.deepEqual(out, expected);
      assert.equal(pending, false);
    });
  }

  it('holds a partial frame back and reports it as pending', () => {
    const { out, pending } = decodeAll([whole.subarray(0, whole.length - 5)]);
    assert.equal(out.length, 3);
    assert.equal(pending, true);
  });

  it('rejects a frame whose checksum is wrong', () => {
    const bad = Buffer.from(encodeEventStreamFrame({ ':message-type': 'event', ':event-type': 'x' }, '{"a":1}'));
    bad[bad.length - 6] ^= 0xff;
    assert.throws(() => decodeAll([bad]), EventStreamFrameError);
  });

  it('rejects an impossible length prefix', () => {
    const bad = Buffer.alloc(20);
    bad.writeUInt32BE(3, 0);
    assert.throws(() => new EventStreamFramer().push(bad, () => {}), EventStreamFrameError);
  });
});
