import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type Anthropic from '@anthropic-ai/sdk';
import type { GatewayError } from '../../core/errors.js';
import type { StreamEvent } from '../../core/stream-event.js';
import { createAnthropicStreamEncoder } from '../../dialects/anthropic-messages/encode-anthropic-stream.js';
import { parseAnthropicRequest } from '../../dialects/anthropic-messages/parse-anthropic-request.js';
import { startAnthropicSdkServer } from '../../dialects/anthropic-messages/test-anthropic-sdk-server.js';
import type { SdkServer } from '../../dialects/anthropic-messages/test-anthropic-sdk-server.js';
import type { StreamFrame } from '../provider-adapter.js';
import { createSseUpstreamStream } from '../shared/sse-stream.js';
import { createAnthropicStreamMapper } from './map-anthropic-stream.js';
import { chunkedBody, chunkLines, FIXTURES_SKIP, frameAsSse, readFixture } from './test-anthropic-fixtures.js';

interface Replayed {
  frames: StreamFrame[];
  events: StreamEvent[];
  ended: boolean;
  error?: GatewayError;
}

/** Runs SSE text through createSseUpstreamStream + the Anthropic mapper, `size` bytes at a time. */
function replay(sse: string, size = 7): Promise<Replayed> {
  const stream = createSseUpstreamStream({
    body: chunkedBody(sse, size),
    mapper: createAnthropicStreamMapper({ provider: 'anthropic' }),
    provider: 'anthropic',
    signal: new AbortController().signal,
    timeouts: { connectMs: 1000, firstByteMs: 1000, idleMs: 1000 },
    rawDialect: 'anthropic-messages',
  });
  const frames: StreamFrame[] = [];
  const done = (ended: boolean, error?: GatewayError): Replayed => {
    const r: Replayed = { frames, events: frames.flatMap((f) => f.events), ended };
    if (error) r.error = error;
    return r;
  };
  return new Promise((resolve) =>
    stream.start({
      frame: (f) => frames.push(f),
      end: () => resolve(done(true)),
      error: (e) => resolve(done(false, e)),
    }),
  );
}

const sseOf = (payloads: unknown[]) => frameAsSse(payloads.map((p) => JSON.stringify(p)));

function textOf(events: StreamEvent[]): string {
  return events.map((e) => (e.type === 'text-delta' ? e.text : '')).join('');
}

function encodeForAnthropicClient(events: StreamEvent[]): string {
  const enc = createAnthropicStreamEncoder({
    requestModel: 'claude',
    request: parseAnthropicRequest({ model: 'claude', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });
  return events.map((e) => enc.encode(e)).join('') + enc.end();
}

describe('createAnthropicStreamMapper', () => {
  it('maps every event kind, whatever the chunk boundaries', async () => {
    const sse = sseOf([
      { type: 'message_start', message: { id: 'msg_1', model: 'claude-x', usage: { input_tokens: 10, cache_read_input_tokens: 90, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Hmm ÷ ✓' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'SIG' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'redacted_thinking', data: 'ENC' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'ping' },
      { type: 'content_block_start', index: 2, content_block: { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} } },
      { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"query":"x"}' } },
      { type: 'content_block_stop', index: 2 },
      { type: 'content_block_start', index: 3, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 3, delta: { type: 'text_delta', text: 'Answer' } },
      { type: 'content_block_delta', index: 3, delta: { type: 'citations_delta', citation: {} } },
      { type: 'content_block_stop', index: 3 },
      { type: 'content_block_start', index: 4, content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} } },
      { type: 'content_block_delta', index: 4, delta: { type: 'input_json_delta', partial_json: '' } },
      { type: 'content_block_delta', index: 4, delta: { type: 'input_json_delta', partial_json: '{"a":' } },
      { type: 'content_block_delta', index: 4, delta: { type: 'input_json_delta', partial_json: '1}' } },
      { type: 'content_block_stop', index: 4 },
      { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 42 } },
      { type: 'message_stop' },
    ]);
    const expected: StreamEvent[] = [
      { type: 'start', id: 'msg_1', model: 'claude-x', usage: { inputTokens: 100, outputTokens: 1, cachedInputTokens: 90 } },
      { type: 'reasoning-start', index: 0 },
      { type: 'reasoning-delta', index: 0, text: 'Hmm ÷ ✓' },
      { type: 'reasoning-signature', index: 0, signature: 'SIG' },
      { type: 'reasoning-end', index: 0 },
      { type: 'reasoning-start', index: 1, redactedData: 'ENC' },
      { type: 'reasoning-end', index: 1 },
      { type: 'text-start', index: 3 },
      { type: 'text-delta', index: 3, text: 'Answer' },
      { type: 'text-end', index: 3 },
      { type: 'tool-call-start', index: 4, id: 'toolu_1', name: 'f' },
      { type: 'tool-call-delta', index: 4, argumentsDelta: '{"a":' },
      { type: 'tool-call-delta', index: 4, argumentsDelta: '1}' },
      { type: 'tool-call-end', index: 4 },
      {
        type: 'finish',
        finishReason: 'tool-calls',
        rawFinishReason: 'tool_use',
        usage: { inputTokens: 100, outputTokens: 42, cachedInputTokens: 90 },
      },
    ];
    for (const size of [1, 7, 64, 100_000]) {
      const r = await replay(sse, size);
      assert.equal(r.error, undefined);
      assert.equal(r.ended, true, `size ${size}`);
      assert.deepEqual(r.events, expected, `size ${size}`);
    }
  });

  it('passes every upstream event through as a raw frame', async () => {
    const payloads = [
      { type: 'message_start', message: { id: 'msg_1', model: 'm', usage: { input_tokens: 1, output_tokens: 1 } } },
      { type: 'ping' },
      { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } },
      { type: 'message_stop' },
    ];
    const body = sseOf(payloads);
    const r = await replay(body);
    // The upstream's bytes, whole messages at a time, however the network cut them (7-byte chunks).
    const raw = r.frames.flatMap((f) => (f.raw ? [f.raw] : []));
    assert.ok(raw.every((x) => x.dialect === 'anthropic-messages'));
    assert.equal(Buffer.concat(raw.map((x) => x.bytes)).toString(), body);
  });

  it('turns an error event into a typed error event', async () => {
    const r = await replay(
      sseOf([
        { type: 'message_start', message: { id: 'msg_1', model: 'm', usage: { input_tokens: 1, output_tokens: 1 } } },
        { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      ]),
    );
    const err = r.events.find((e) => e.type === 'error');
    assert.ok(err?.type === 'error');
    assert.equal(err.error.code, 'GW_ERR_UPSTREAM_OVERLOADED');
    assert.equal(err.error.retryable, true);
    assert.equal(err.error.message, 'anthropic: Overloaded');
    assert.equal(r.ended, true);
    const codes = ['rate_limit_error', 'api_error', 'invalid_request_error'];
    const want = ['GW_ERR_UPSTREAM_RATE_LIMITED', 'GW_ERR_UPSTREAM_ERROR', 'GW_ERR_UPSTREAM_BAD_REQUEST'];
    for (let i = 0; i < codes.length; i++) {
      const ri = await replay(sseOf([{ type: 'error', error: { type: codes[i], message: 'x' } }]));
      const e = ri.events[0];
      assert.ok(e?.type === 'error');
      assert.equal(e.error.code, want[i]);
    }
  });

  it('reports a stream that ends before message_stop', async () => {
    const r = await replay(
      sseOf([
        { type: 'message_start', message: { id: 'msg_1', model: 'm', usage: { input_tokens: 1, output_tokens: 1 } } },
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'cut' } },
      ]),
    );
    assert.equal(r.ended, false);
    assert.equal(r.error?.code, 'GW_ERR_UPSTREAM_INCOMPLETE');
  });

  it('reports data that is not JSON as a protocol error', async () => {
    const r = await replay('event: message_start\ndata: {not json\n\n');
    assert.equal(r.error?.code, 'GW_ERR_UPSTREAM_PROTOCOL');
  });

  it('emits a finish at message_stop when message_delta never came', async () => {
    const r = await replay(
      sseOf([
        { type: 'message_start', message: { id: 'msg_1', model: 'm', usage: { input_tokens: 1, output_tokens: 1 } } },
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: 'hi' } },
        { type: 'message_stop' },
      ]),
    );
    assert.deepEqual(r.events.slice(1), [
      { type: 'text-start', index: 0 },
      { type: 'text-delta', index: 0, text: 'hi' },
      { type: 'text-end', index: 0 },
      { type: 'finish', finishReason: 'other', usage: { inputTokens: 1, outputTokens: 1 } },
    ]);
  });

  describe('recorded streams', { skip: FIXTURES_SKIP }, () => {
    const servers: SdkServer[] = [];
    after(async () => {
      for (const s of servers) await s.close();
    });
    const params = { model: 'claude', max_tokens: 10, messages: [{ role: 'user' as const, content: 'hi' }] };
    async function sdkFinalMessage(sse: string): Promise<Anthropic.Message> {
      const s = await startAnthropicSdkServer({ status: 200, body: sse, sse: true });
      servers.push(s);
      return s.client.messages.stream(params).finalMessage();
    }

    /** What an Anthropic SDK client sees: the recording itself, and the recording re-encoded by the gateway. */
    async function roundTrip(name: string): Promise<Replayed> {
      const text = readFixture(`${name}.chunks.txt`);
      assert.ok(text !== undefined, `fixture ${name}.chunks.txt missing`);
      const recorded = frameAsSse(chunkLines(text));
      const r = await replay(recorded, 7);
      assert.equal(r.error, undefined, r.error?.message);
      assert.equal(r.ended, true);
      const direct = await sdkFinalMessage(recorded);
      const viaGateway = await sdkFinalMessage(encodeForAnthropicClient(r.events));
      assert.equal(viaGateway.id, direct.id);
      assert.equal(viaGateway.model, direct.model);
      assert.deepEqual(JSON.parse(JSON.stringify(viaGateway.content)), JSON.parse(JSON.stringify(direct.content)));
      assert.equal(viaGateway.stop_reason, direct.stop_reason);
      assert.equal(viaGateway.stop_sequence, direct.stop_sequence);
      for (const k of ['input_tokens', 'output_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens'] as const) {
        assert.equal(viaGateway.usage[k] ?? 0, direct.usage[k] ?? 0, `usage.${k}`);
      }
      return r;
    }

    it('anthropic-text', async () => {
      const r = await roundTrip('anthropic-text');
      assert.deepEqual(r.events[0], {
        type: 'start',
        id: 'msg_01QC4g3HwBThD4BaNtBckFDJ',
        model: 'claude-sonnet-4-5-20250929',
        usage: { inputTokens: 12, outputTokens: 1, cachedInputTokens: 0, cacheWriteTokens: 0 },
      });
      assert.equal(textOf(r.events), "Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?");
      assert.deepEqual(
        r.events.filter((e) => e.type !== 'text-delta').map((e) => e.type),
        ['start', 'text-start', 'text-end', 'finish'],
      );
      assert.deepEqual(r.events.at(-1), {
        type: 'finish',
        finishReason: 'stop',
        rawFinishReason: 'end_turn',
        usage: { inputTokens: 12, outputTokens: 30, cachedInputTokens: 0, cacheWriteTokens: 0 },
      });
    });

    it('anthropic-tool-no-args', async () => {
      const r = await roundTrip('anthropic-tool-no-args');
      assert.deepEqual(
        r.events.filter((e) => e.type !== 'text-delta' && e.type !== 'start'),
        [
          { type: 'text-start', index: 0 },
          { type: 'text-end', index: 0 },
          { type: 'tool-call-start', index: 1, id: 'toolu_01QE1WLsSVp5hy5Q3GmGTmjP', name: 'updateIssueList' },
          { type: 'tool-call-end', index: 1 },
          {
            type: 'finish',
            finishReason: 'tool-calls',
            rawFinishReason: 'tool_use',
            usage: { inputTokens: 565, outputTokens: 48, cachedInputTokens: 0, cacheWriteTokens: 0 },
          },
        ],
      );
      assert.equal(textOf(r.events), "I'll update the issue list for you.");
    });

    it('anthropic-json-tool.1', async () => {
      const r = await roundTrip('anthropic-json-tool.1');
      const args = r.events.map((e) => (e.type === 'tool-call-delta' ? e.argumentsDelta : '')).join('');
      assert.deepEqual(JSON.parse(args), { elements: [{ location: 'San Francisco', temperature: 58, condition: 'sunny' }] });
      assert.deepEqual(r.events[1], { type: 'tool-call-start', index: 0, id: 'toolu_01KFbKqPYSuAKujiL6mTfzYA', name: 'json' });
      const finish = r.events.at(-1);
      assert.ok(finish?.type === 'finish');
      assert.equal(finish.finishReason, 'tool-calls');
    });

    it('anthropic-clear-thinking.1', async () => {
      const r = await roundTrip('anthropic-clear-thinking.1');
      const thinking = r.events.map((e) => (e.type === 'reasoning-delta' ? e.text : '')).join('');
      assert.equal(thinking, 'The previous result was 925. Now I need to divide that by 5.\n\n925 ÷ 5 = 185');
      const sig = r.events.find((e) => e.type === 'reasoning-signature');
      assert.ok(sig?.type === 'reasoning-signature');
      assert.match(sig.signature, /^EvQBCkYICxgCKkAxhD4N/);
      assert.equal(textOf(r.events), '925 ÷ 5 = 185');
      assert.deepEqual(
        r.events.filter((e) => e.type.endsWith('-start') || e.type.endsWith('-end')).map((e) => `${e.type}@${(e as { index: number }).index}`),
        ['reasoning-start@0', 'reasoning-end@0', 'text-start@1', 'text-end@1'],
      );
    });

    it('anthropic-refusal', async () => {
      const r = await roundTrip('anthropic-refusal');
      assert.deepEqual(
        r.events.map((e) => e.type),
        ['start', 'finish'],
      );
      const finish = r.events[1];
      assert.ok(finish?.type === 'finish');
      assert.equal(finish.finishReason, 'refusal');
      assert.deepEqual(finish.usage, { inputTokens: 18, outputTokens: 5, cachedInputTokens: 0, cacheWriteTokens: 0 });
    });

    it('anthropic-message-delta-input-tokens (message_delta updates the input count)', async () => {
      const r = await roundTrip('anthropic-message-delta-input-tokens');
      assert.equal(textOf(r.events), 'pong');
      const start = r.events[0];
      assert.ok(start?.type === 'start');
      assert.deepEqual(start.usage, { inputTokens: 43, outputTokens: 1 });
      assert.deepEqual(r.events.at(-1), { type: 'finish', finishReason: 'stop', rawFinishReason: 'end_turn', usage: { inputTokens: 61, outputTokens: 2 } });
    });

    it('anthropic-web-search-tool.1 (server tool blocks produce no canonical events)', async () => {
      const text = readFixture('anthropic-web-search-tool.1.chunks.txt');
      assert.ok(text !== undefined);
      const r = await replay(frameAsSse(chunkLines(text)), 13);
      assert.equal(r.ended, true);
      assert.ok(r.events.every((e) => !e.type.startsWith('tool-call')));
      assert.ok(textOf(r.events).length > 0);
      assert.equal(r.events.at(-1)?.type, 'finish');
    });

    it('duplicate-message-start is ignored', async () => {
      const text = readFixture('duplicate-message-start.chunks.txt');
      assert.ok(text !== undefined);
      const r = await replay(frameAsSse(chunkLines(text)));
      assert.equal(r.ended, true);
      assert.equal(r.events.filter((e) => e.type === 'start').length, 1);
      assert.equal(textOf(r.events), 'Hello, World!');
    });

    it('spliced-message-start is a protocol error', async () => {
      const text = readFixture('spliced-message-start.chunks.txt');
      assert.ok(text !== undefined);
      const r = await replay(frameAsSse(chunkLines(text)));
      assert.equal(r.ended, false);
      assert.equal(r.error?.code, 'GW_ERR_UPSTREAM_PROTOCOL');
      assert.match(r.error?.message ?? '', /msg_second/);
      assert.equal(r.events.filter((e) => e.type === 'finish').length, 0);
    });
  });
});
