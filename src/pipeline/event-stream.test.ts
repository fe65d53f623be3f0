import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../core/errors.js';
import type { CoreResponse } from '../core/response.js';
import type { StreamEvent } from '../core/stream-event.js';
import type { StreamSink } from '../providers/provider-adapter.js';
import { responseToEvents, streamFromEvents, tapStream } from './event-stream.js';
import type { StreamEnd } from './event-stream.js';

function collector(): { sink: StreamSink; events: StreamEvent[]; done: Promise<string> } {
  const events: StreamEvent[] = [];
  let resolve!: (s: string) => void;
  const done = new Promise<string>((r) => (resolve = r));
  return {
    events,
    done,
    sink: {
      frame: (f) => void events.push(...f.events),
      end: () => resolve('end'),
      error: (e) => resolve(`error:${e.code}`),
    },
  };
}

const response: CoreResponse = {
  id: 'r1',
  model: 'm',
  content: [
    { type: 'reasoning', text: 'think', signature: 'sig' },
    { type: 'text', text: 'hi' },
    { type: 'tool-call', id: 't1', name: 'f', arguments: '{}' },
  ],
  finishReason: 'tool-calls',
  usage: { inputTokens: 3, outputTokens: 4 },
};

test('responseToEvents: blocks open, fill and close in order, then usage and finish', () => {
  const types = responseToEvents(response).map((e) => e.type);
  assert.deepEqual(types, [
    'start',
    'reasoning-start',
    'reasoning-delta',
    'reasoning-signature',
    'reasoning-end',
    'text-start',
    'text-delta',
    'text-end',
    'tool-call-start',
    'tool-call-delta',
    'tool-call-end',
    'usage',
    'finish',
  ]);
});

test('streamFromEvents delivers every event then ends; an error event ends it with the error', async () => {
  const c = collector();
  streamFromEvents(responseToEvents(response)).start(c.sink);
  assert.equal(await c.done, 'end');
  assert.equal(c.events.length, 13);

  const e = collector();
  streamFromEvents([{ type: 'start', id: 'x', model: 'm' }, { type: 'error', error: new GatewayError('GW_ERR_UPSTREAM_ERROR', 'boom') }]).start(e.sink);
  assert.equal(await e.done, 'error:GW_ERR_UPSTREAM_ERROR');
});

test('streamFromEvents holds back while paused', async () => {
  const c = collector();
  const s = streamFromEvents(
    (async function* () {
      yield* responseToEvents(response);
    })(),
  );
  s.pause();
  s.start(c.sink);
  await new Promise((r) => setImmediate(r));
  assert.equal(c.events.length, 0);
  s.resume();
  assert.equal(await c.done, 'end');
  assert.equal(c.events.length, 13);
});

test('tapStream sees each event and reports the end once; abort counts as aborted', async () => {
  const seen: string[] = [];
  const ends: StreamEnd[] = [];
  const c = collector();
  tapStream(streamFromEvents(responseToEvents(response)), { event: (e) => void seen.push(e.type), done: (d) => void ends.push(d) }).start(c.sink);
  assert.equal(await c.done, 'end');
  assert.equal(seen.length, 13);
  assert.deepEqual(ends, [{ kind: 'end' }]);

  const aborted: StreamEnd[] = [];
  const t = tapStream(streamFromEvents([]), { done: (d) => void aborted.push(d) });
  t.abort();
  t.abort();
  assert.deepEqual(aborted, [{ kind: 'aborted' }]);
});
