import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { CoreResponse } from '../../core/response.js';
import { anthropicMessagesDialect } from './index.js';
import { formatAnthropicResponse, toolInput } from './format-anthropic-response.js';
import { formatAnthropicStopReason } from './format-anthropic-stop-reason.js';
import { parseAnthropicRequest } from './parse-anthropic-request.js';
import { startAnthropicSdkServer } from './test-anthropic-sdk-server.js';
import type { SdkServer } from './test-anthropic-sdk-server.js';

const response: CoreResponse = {
  id: 'chatcmpl-123',
  model: 'gpt-4o-2024-08-06',
  content: [
    { type: 'reasoning', text: 'thinking...', signature: 'SIG' },
    { type: 'reasoning', text: '', redactedData: 'ENC' },
    { type: 'text', text: '' },
    { type: 'text', text: 'Sure.' },
    { type: 'tool-call', id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' },
    { type: 'tool-call', id: 'call_2', name: 'noargs', arguments: '' },
  ],
  finishReason: 'tool-calls',
  rawFinishReason: 'tool_calls',
  usage: { inputTokens: 100, outputTokens: 30, cachedInputTokens: 60, cacheWriteTokens: 10 },
  providerExtras: { system_fingerprint: 'fp' },
};

const expected = {
  id: 'msg_chatcmpl-123',
  type: 'message',
  role: 'assistant',
  model: 'gpt-4o-2024-08-06',
  content: [
    { type: 'thinking', thinking: 'thinking...', signature: 'SIG' },
    { type: 'redacted_thinking', data: 'ENC' },
    { type: 'text', text: 'Sure.' },
    { type: 'tool_use', id: 'call_1', name: 'weather', input: { city: 'Paris' } },
    { type: 'tool_use', id: 'call_2', name: 'noargs', input: {} },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: { input_tokens: 30, output_tokens: 30, cache_creation_input_tokens: 10, cache_read_input_tokens: 60 },
};

describe('formatAnthropicResponse', () => {
  it('writes the exact Anthropic message', () => {
    assert.deepEqual(formatAnthropicResponse(response), expected);
  });

  it('keeps msg_ ids, the stop sequence, and never reports negative input tokens', () => {
    const out = formatAnthropicResponse({
      id: 'msg_abc',
      model: 'm',
      content: [],
      finishReason: 'stop-sequence',
      stopSequence: 'END',
      usage: { inputTokens: 5, outputTokens: 1, cachedInputTokens: 8 },
    });
    assert.equal(out.id, 'msg_abc');
    assert.equal(out.stop_reason, 'stop_sequence');
    assert.equal(out.stop_sequence, 'END');
    assert.deepEqual(out.usage, { input_tokens: 0, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 8 });
  });

  it('maps every finish reason', () => {
    const table: Array<[Parameters<typeof formatAnthropicStopReason>[0], string]> = [
      ['stop', 'end_turn'],
      ['stop-sequence', 'stop_sequence'],
      ['length', 'max_tokens'],
      ['tool-calls', 'tool_use'],
      ['content-filter', 'refusal'],
      ['refusal', 'refusal'],
      ['pause', 'pause_turn'],
      ['error', 'end_turn'],
      ['other', 'end_turn'],
    ];
    for (const [reason, stop] of table) assert.equal(formatAnthropicStopReason(reason), stop, reason);
    assert.equal(formatAnthropicStopReason('length', 'model_context_window_exceeded'), 'model_context_window_exceeded');
    assert.equal(formatAnthropicStopReason('stop', 'max_tokens'), 'end_turn');
  });

  it('turns arguments that are not a JSON object into {}', () => {
    assert.deepEqual(toolInput('{"a":1}'), { a: 1 });
    assert.deepEqual(toolInput('{"a":'), {});
    assert.deepEqual(toolInput('[1]'), {});
    assert.deepEqual(toolInput('  '), {});
  });

  describe('read back by @anthropic-ai/sdk messages.create', () => {
    let server: SdkServer | undefined;
    after(() => server?.close());

    it('returns the same message', async () => {
      const ctx = {
        requestModel: 'fast',
        request: parseAnthropicRequest({ model: 'fast', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
      };
      server = await startAnthropicSdkServer({ status: 200, body: JSON.stringify(anthropicMessagesDialect.formatResponse(response, ctx)) });
      const msg = await server.client.messages.create({ model: 'fast', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
      assert.deepEqual(JSON.parse(JSON.stringify(msg)), expected);
    });
  });
});
