import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { GatewayError } from '../../core/errors.js';
import type { StreamEvent } from '../../core/stream-event.js';
import type { FormatContext } from '../client-dialect.js';
import { createAnthropicStreamEncoder } from './encode-anthropic-stream.js';
import { parseAnthropicRequest } from './parse-anthropic-request.js';
import { startAnthropicSdkServer } from './test-anthropic-sdk-server.js';
import type { SdkServer } from './test-anthropic-sdk-server.js';

const ctx: FormatContext = {
  requestModel: 'fast',
  request: parseAnthropicRequest({ model: 'fast', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
};

function encodeAll(events: StreamEvent[]): string {
  const enc = createAnthropicStreamEncoder(ctx);
  return events.map((e) => enc.encode(e)).join('') + enc.end();
}

const frame = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;

/** Parses SSE text back into [event, data] pairs. */
function frames(sse: string): Array<[string, any]> {
  return sse
    .split('\n\n')
    .filter((f) => f.length > 0)
    .map((f) => {
      const [ev, data] = f.split('\n');
      assert.ok(ev?.startsWith('event: ') && data?.startsWith('data: '), `bad frame ${f}`);
      return [ev.slice(7), JSON.parse(data.slice(6))];
    });
}

/** An OpenAI upstream's shape: no start usage, text at 1, tools at 2+n, no text-end, usage after finish. */
const openAIShaped: StreamEvent[] = [
  { type: 'start', id: 'chatcmpl-abc', model: 'gpt-4o-2024-08-06' },
  { type: 'text-start', index: 1 },
  { type: 'text-delta', index: 1, text: 'Let me ' },
  { type: 'text-delta', index: 1, text: 'check.' },
  { type: 'tool-call-start', index: 2, id: 'call_1', name: 'weather' },
  { type: 'tool-call-delta', index: 2, argumentsDelta: '{"city":' },
  { type: 'tool-call-delta', index: 2, argumentsDelta: '"Paris"}' },
  { type: 'tool-call-end', index: 2 },
  { type: 'tool-call-start', index: 3, id: 'call_2', name: 'time' },
  { type: 'tool-call-end', index: 3 },
  { type: 'finish', finishReason: 'tool-calls', rawFinishReason: 'tool_calls' },
  { type: 'usage', usage: { inputTokens: 50, outputTokens: 20, cachedInputTokens: 10 } },
];

describe('createAnthropicStreamEncoder', () => {
  it('writes the exact Anthropic event sequence', () => {
    const sse = encodeAll([
      { type: 'start', id: 'msg_01', model: 'claude-x', usage: { inputTokens: 12, outputTokens: 1 } },
      { type: 'text-start', index: 0 },
      { type: 'text-delta', index: 0, text: 'Hi' },
      { type: 'text-end', index: 0 },
      { type: 'finish', finishReason: 'stop', rawFinishReason: 'end_turn', usage: { inputTokens: 12, outputTokens: 5 } },
    ]);
    assert.equal(
      sse,
      frame('message_start', {
        type: 'message_start',
        message: {
          id: 'msg_01',
          type: 'message',
          role: 'assistant',
          model: 'claude-x',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 12, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        },
      }) +
        frame('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }) +
        frame('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } }) +
        frame('content_block_stop', { type: 'content_block_stop', index: 0 }) +
        frame('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: 'end_turn', stop_sequence: null },
          usage: { output_tokens: 5, input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        }) +
        frame('message_stop', { type: 'message_stop' }),
    );
  });

  it('renumbers sparse canonical indexes, closes blocks one at a time, and waits for usage sent after finish', () => {
    const enc = createAnthropicStreamEncoder(ctx);
    const out = openAIShaped.map((e) => enc.encode(e));
    // finish alone writes no message_delta yet (usage still to come) ...
    assert.deepEqual(frames(out[10] as string), []);
    // ... the usage event does.
    assert.deepEqual(frames(out[11] as string), [
      [
        'message_delta',
        {
          type: 'message_delta',
          delta: { stop_reason: 'tool_use', stop_sequence: null },
          usage: { output_tokens: 20, input_tokens: 40, cache_creation_input_tokens: 0, cache_read_input_tokens: 10 },
        },
      ],
      ['message_stop', { type: 'message_stop' }],
    ]);
    assert.equal(enc.end(), '');
    const seq = frames(out.join('')).map(([ev, d]) => `${ev}${d.index !== undefined ? `@${d.index}` : ''}`);
    assert.deepEqual(seq, [
      'message_start',
      'content_block_start@0',
      'content_block_delta@0',
      'content_block_delta@0',
      'content_block_stop@0',
      'content_block_start@1',
      'content_block_delta@1',
      'content_block_delta@1',
      'content_block_stop@1',
      'content_block_start@2',
      'content_block_stop@2',
      'message_delta',
      'message_stop',
    ]);
    const start = frames(out[0] as string)[0]?.[1];
    assert.equal(start.message.id, 'msg_chatcmpl-abc');
    assert.equal(start.message.model, 'gpt-4o-2024-08-06');
    assert.deepEqual(frames(out[4] as string)[1]?.[1].content_block, { type: 'tool_use', id: 'call_1', name: 'weather', input: {} });
  });

  it('flushes message_delta from end() when no usage ever comes', () => {
    const enc = createAnthropicStreamEncoder(ctx);
    enc.encode({ type: 'text-delta', index: 0, text: 'x' });
    assert.equal(enc.encode({ type: 'finish', finishReason: 'length' }), frame('content_block_stop', { type: 'content_block_stop', index: 0 }));
    assert.equal(
      enc.end(),
      frame('message_delta', { type: 'message_delta', delta: { stop_reason: 'max_tokens', stop_sequence: null }, usage: { output_tokens: 0 } }) +
        frame('message_stop', { type: 'message_stop' }),
    );
    assert.equal(enc.end(), '');
  });

  it('starts the message and blocks lazily when start / *-start events never came', () => {
    const got = frames(
      encodeAll([
        { type: 'text-delta', index: 5, text: 'a' },
        { type: 'tool-call-delta', index: 9, argumentsDelta: '{}' },
        { type: 'finish', finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 2 } },
      ]),
    );
    assert.equal(got[0]?.[0], 'message_start');
    assert.equal(got[0]?.[1].message.model, 'fast');
    assert.match(got[0]?.[1].message.id, /^msg_[0-9a-f]{24}$/);
    assert.deepEqual(
      got.slice(1).map(([ev, d]) => [ev, d.index, d.content_block?.type ?? d.delta?.type]),
      [
        ['content_block_start', 0, 'text'],
        ['content_block_delta', 0, 'text_delta'],
        ['content_block_stop', 0, undefined],
        ['content_block_start', 1, 'tool_use'],
        ['content_block_delta', 1, 'input_json_delta'],
        ['content_block_stop', 1, undefined],
        ['message_delta', undefined, undefined],
        ['message_stop', undefined, undefined],
      ],
    );
  });

  it('writes thinking (with signature), redacted thinking, stop sequences and keeps an Anthropic raw stop reason', () => {
    const got = frames(
      encodeAll([
        { type: 'start', id: 'msg_x', model: 'm' },
        { type: 'reasoning-start', index: 0 },
        { type: 'reasoning-delta', index: 0, text: 'think' },
        { type: 'reasoning-signature', index: 0, signature: 'SIG' },
        { type: 'reasoning-end', index: 0 },
        { type: 'reasoning-start', index: 1, redactedData: 'ENC' },
        { type: 'reasoning-end', index: 1 },
        { type: 'finish', finishReason: 'stop-sequence', rawFinishReason: 'stop_sequence', stopSequence: '###', usage: { outputTokens: 4 } },
      ]),
    );
    assert.deepEqual(got[1]?.[1].content_block, { type: 'thinking', thinking: '', signature: '' });
    assert.deepEqual(got[2]?.[1].delta, { type: 'thinking_delta', thinking: 'think' });
    assert.deepEqual(got[3]?.[1].delta, { type: 'signature_delta', signature: 'SIG' });
    assert.deepEqual(got[5]?.[1], { type: 'content_block_start', index: 1, content_block: { type: 'redacted_thinking', data: 'ENC' } });
    assert.deepEqual(got[7]?.[1].delta, { stop_reason: 'stop_sequence', stop_sequence: '###' });

    const ctxExceeded = frames(encodeAll([{ type: 'finish', finishReason: 'length', rawFinishReason: 'model_context_window_exceeded', usage: {} }]));
    assert.equal(ctxExceeded.find(([ev]) => ev === 'message_delta')?.[1].delta.stop_reason, 'model_context_window_exceeded');
    const openAILength = frames(encodeAll([{ type: 'finish', finishReason: 'length', rawFinishReason: 'length', usage: {} }]));
    assert.equal(openAILength.find(([ev]) => ev === 'message_delta')?.[1].delta.stop_reason, 'max_tokens');
  });

  it('opens a fresh block for text that arrives after its block was closed by another one', () => {
    const got = frames(
      encodeAll([
        { type: 'text-delta', index: 0, text: 'a' },
        { type: 'reasoning-delta', index: 1, text: 'r' },
        { type: 'text-delta', index: 0, text: 'b' },
        { type: 'finish', finishReason: 'stop', usage: {} },
      ]),
    );
    assert.deepEqual(
      got.filter(([ev]) => ev.startsWith('content_block')).map(([ev, d]) => `${ev}@${d.index}`),
      [
        'content_block_start@0',
        'content_block_delta@0',
        'content_block_stop@0',
        'content_block_start@1',
        'content_block_delta@1',
        'content_block_stop@1',
        'content_block_start@2',
        'content_block_delta@2',
        'content_block_stop@2',
      ],
    );
  });

  it('writes errors as an Anthropic error event and nothing after them', () => {
    const enc = createAnthropicStreamEncoder(ctx);
    enc.encode({ type: 'text-delta', index: 0, text: 'a' });
    const err = new GatewayError('GW_ERR_UPSTREAM_OVERLOADED', 'anthropic: Overloaded');
    assert.equal(enc.encodeError(err), 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"anthropic: Overloaded"}}\n\n');
    assert.equal(enc.encode({ type: 'finish', finishReason: 'stop', usage: {} }), '');
    assert.equal(enc.end(), '');
  });

  describe('read back by @anthropic-ai/sdk', () => {
    const servers: SdkServer[] = [];
    after(async () => {
      for (const s of servers) await s.close();
    });
    const serve = async (sse: string) => {
      const s = await startAnthropicSdkServer({ status: 200, body: sse, sse: true });
      servers.push(s);
      return s.client;
    };
    const params = { model: 'fast', max_tokens: 100, messages: [{ role: 'user' as const, content: 'hi' }] };

    it('accumulates text, tool_use input, stop_reason and usage', async () => {
      const client = await serve(encodeAll(openAIShaped));
      const texts: string[] = [];
      const stream = client.messages.stream(params).on('text', (t) => texts.push(t));
      const msg = await stream.finalMessage();
      assert.equal(msg.id, 'msg_chatcmpl-abc');
      assert.equal(msg.model, 'gpt-4o-2024-08-06');
      assert.deepEqual(JSON.parse(JSON.stringify(msg.content)), [
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_use', id: 'call_1', name: 'weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'call_2', name: 'time', input: {} },
      ]);
      assert.deepEqual(texts, ['Let me ', 'check.']);
      assert.equal(msg.stop_reason, 'tool_use');
      assert.equal(msg.stop_sequence, null);
      assert.equal(msg.usage.input_tokens, 40);
      assert.equal(msg.usage.cache_read_input_tokens, 10);
      assert.equal(msg.usage.output_tokens, 20);
    });

    it('accumulates thinking with its signature', async () => {
      const client = await serve(
        encodeAll([
          { type: 'start', id: 'msg_t', model: 'claude-x', usage: { inputTokens: 7 } },
          { type: 'reasoning-delta', index: 0, text: 'step 1. ' },
          { type: 'reasoning-delta', index: 0, text: 'step 2.' },
          { type: 'reasoning-signature', index: 0, signature: 'SIG' },
          { type: 'text-delta', index: 1, text: '42' },
          { type: 'finish', finishReason: 'stop', rawFinishReason: 'end_turn', usage: { inputTokens: 7, outputTokens: 9 } },
        ]),
      );
      const msg = await client.messages.stream(params).finalMessage();
      assert.deepEqual(JSON.parse(JSON.stringify(msg.content)), [
        { type: 'thinking', thinking: 'step 1. step 2.', signature: 'SIG' },
        { type: 'text', text: '42' },
      ]);
      assert.equal(msg.stop_reason, 'end_turn');
      assert.deepEqual([msg.usage.input_tokens, msg.usage.output_tokens], [7, 9]);
    });

    it('surfaces a mid-stream error as an APIError of the right type', async () => {
      const enc = createAnthropicStreamEncoder(ctx);
      const sse =
        enc.encode({ type: 'start', id: 'msg_e', model: 'm' }) +
        enc.encode({ type: 'text-delta', index: 0, text: 'partial' }) +
        enc.encodeError(new GatewayError('GW_ERR_STREAM_INTERRUPTED', 'upstream went away'));
      const client = await serve(sse);
      await assert.rejects(client.messages.stream(params).finalMessage(), (err: unknown) => {
        assert.ok(err instanceof Anthropic.APIError);
        assert.equal(err.type, 'api_error');
        assert.match(err.message, /upstream went away/);
        return true;
      });
    });
  });
});
