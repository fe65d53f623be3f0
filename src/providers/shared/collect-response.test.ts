import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { GatewayError } from '../../core/errors.js';
import { formatOpenAIChatResponse } from '../../dialects/openai-chat/format-openai-chat-response.js';
import { createOpenAIStreamMapper } from '../openai/map-openai-stream.js';
import type { StreamFrame } from '../provider-adapter.js';
import { collectResponse } from './collect-response.js';
import { peekBeforeCommit } from './peek-before-commit.js';
import { createSseUpstreamStream } from './sse-stream.js';
import type { UpstreamResponse } from './upstream-client.js';

/** An OpenAI SSE body (one write per string) through the real mapper, held at its commit point. */
async function openAIStream(chunks: string[], choices = 1) {
  const body = new PassThrough();
  const stream = createSseUpstreamStream({
    body: body as unknown as UpstreamResponse['body'],
    mapper: createOpenAIStreamMapper({ provider: 'openai', clientWantsUsage: false, choices }),
    provider: 'openai',
    signal: new AbortController().signal,
    timeouts: { connectMs: 1000, firstByteMs: 1000, idleMs: 1000 },
    rawDialect: 'openai-chat',
  });
  const peeking = peekBeforeCommit(stream);
  for (const c of chunks) body.write(c);
  return { peeking, body };
}

const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => `data: ${JSON.stringify({ id: 'c1', model: 'm', created: 1, choices, ...extra })}\n\n`;
const delta = (index: number, d: Record<string, unknown>, finish: string | null = null) => chunk([{ index, delta: d, finish_reason: finish }]);

describe('collectResponse', () => {
  it('keeps every choice of n apart, whatever the interleaving', async () => {
    const { peeking, body } = await openAIStream(
      [
        delta(0, { role: 'assistant', content: '' }),
        delta(1, { role: 'assistant', content: '' }),
        delta(0, { content: 'red' }),
        delta(1, { content: 'blue' }),
        // Two choices in one chunk, and a tool call in choice 1.
        chunk([
          { index: 0, delta: { content: ' and green' }, finish_reason: null },
          { index: 1, delta: { tool_calls: [{ index: 0, id: 'call_1', function: { name: 'paint', arguments: '{"c":' } }] }, finish_reason: null },
        ]),
        delta(1, { tool_calls: [{ index: 0, function: { arguments: '1}' } }] }),
        delta(0, {}, 'stop'),
        delta(1, {}, 'tool_calls'),
        chunk([], { usage: { prompt_tokens: 3, completion_tokens: 9 } }),
        'data: [DONE]\n\n',
      ],
      2,
    );
    body.end();
    const res = await collectResponse(await peeking);
    assert.deepEqual(res.content, [{ type: 'text', text: 'red and green' }]);
    assert.equal(res.finishReason, 'stop');
    assert.deepEqual(res.choices, [
      { index: 1, content: [{ type: 'text', text: 'blue' }, { type: 'tool-call', id: 'call_1', name: 'paint', arguments: '{"c":1}' }], finishReason: 'tool-calls', rawFinishReason: 'tool_calls' },
    ]);
    assert.deepEqual(res.usage, { inputTokens: 3, outputTokens: 9 });
    const formatted = formatOpenAIChatResponse(res) as { choices: Array<{ index: number; message: { content: string | null }; finish_reason: string }> };
    assert.deepEqual(
      formatted.choices.map((c) => [c.index, c.message.content, c.finish_reason]),
      [
        [0, 'red and green', 'stop'],
        [1, 'blue', 'tool_calls'],
      ],
    );
  });

  it('waits for every choice: a stream that ends after the first finish is incomplete', async () => {
    const { peeking, body } = await openAIStream([delta(0, { content: 'red' }), delta(0, {}, 'stop'), delta(1, { content: 'bl' })], 2);
    body.end();
    await assert.rejects(collectResponse(await peeking), (e: GatewayError) => e.code === 'GW_ERR_UPSTREAM_INCOMPLETE' && e.retryable);
  });
});

describe('the commit point', () => {
  it('reports a stream broken after commit to a client as GW_ERR_STREAM_INTERRUPTED, the cause kept', async () => {
    const { peeking, body } = await openAIStream([delta(0, { content: 'red' })]);
    const peeked = await peeking;
    const seen: { frames: StreamFrame[]; error?: GatewayError } = { frames: [] };
    const ended = new Promise<void>((resolve) =>
      peeked.commit({
        frame: (f) => seen.frames.push(f),
        end: resolve,
        error: (e) => {
          seen.error = e;
          resolve();
        },
      }),
    );
    body.end();
    await ended;
    assert.equal(seen.error?.code, 'GW_ERR_STREAM_INTERRUPTED');
    assert.equal(seen.error?.retryable, false);
    assert.match(seen.error!.message, /ended before the response was complete .*GW_ERR_UPSTREAM_INCOMPLETE, after content had reached the client/);
  });
});
