import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collectResponse } from '../shared/collect-response.js';
import { peekBeforeCommit } from '../shared/peek-before-commit.js';
import { createSseUpstreamStream } from '../shared/sse-stream.js';
import { anthropicJsonToSse } from './anthropic-json-to-sse.js';
import { mapAnthropicResponse } from './map-anthropic-response.js';
import { createAnthropicStreamMapper } from './map-anthropic-stream.js';
import { chunkedBody } from './test-anthropic-fixtures.js';

const message = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-x',
  content: [
    { type: 'thinking', thinking: 'let me see', signature: 'c2ln' },
    { type: 'text', text: 'Paris' },
    { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { city: 'Paris' } },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 30, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
};

describe('anthropicJsonToSse', () => {
  it('a message body read as a stream gives the same answer as read as JSON', async () => {
    const stream = createSseUpstreamStream({
      body: chunkedBody(JSON.stringify(message), 9),
      mapper: createAnthropicStreamMapper({ provider: 'anthropic' }),
      provider: 'anthropic',
      signal: new AbortController().signal,
      timeouts: { connectMs: 1000, firstByteMs: 1000, idleMs: 1000 },
      rawDialect: 'anthropic-messages',
      jsonAnswer: (text) => anthropicJsonToSse(text, 'anthropic'),
    });
    const streamed = await collectResponse(await peekBeforeCommit(stream));
    const direct = mapAnthropicResponse(message, 'anthropic');
    assert.deepEqual(streamed.content, direct.content);
    assert.equal(streamed.finishReason, direct.finishReason);
    assert.equal(streamed.usage.inputTokens, 12);
    assert.equal(streamed.usage.outputTokens, 30);
  });

  it('an error body becomes an error event', () => {
    assert.match(anthropicJsonToSse('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', 'a'), /^event: error\ndata: /);
  });
});
