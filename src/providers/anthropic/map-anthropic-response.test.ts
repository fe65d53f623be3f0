import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/errors.js';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.js';
import { mapAnthropicResponse } from './map-anthropic-response.js';
import { mapAnthropicUsage } from './map-anthropic-usage.js';
import { FIXTURES_SKIP, readFixture } from './test-anthropic-fixtures.js';

function fixtureJson(name: string): unknown {
  const text = readFixture(`${name}.json`);
  assert.ok(text !== undefined, `fixture ${name}.json missing`);
  return JSON.parse(text);
}

describe('mapAnthropicResponse', () => {
  it('maps text, tool_use, thinking, redacted_thinking, stop sequence, usage and extras', () => {
    const res = mapAnthropicResponse(
      {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-x',
        content: [
          { type: 'thinking', thinking: 'hmm', signature: 'SIG' },
          { type: 'redacted_thinking', data: 'ENC' },
          { type: 'text', text: 'Hello' },
          { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: [1, 2] } },
          { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'x' } },
        ],
        stop_reason: 'stop_sequence',
        stop_sequence: '###',
        usage: { input_tokens: 10, cache_read_input_tokens: 100, cache_creation_input_tokens: 5, output_tokens: 7, output_tokens_details: { thinking_tokens: 3 } },
        container: { id: 'c1' },
      },
      'anthropic',
    );
    assert.deepEqual(res, {
      id: 'msg_1',
      model: 'claude-x',
      content: [
        { type: 'reasoning', text: 'hmm', signature: 'SIG' },
        { type: 'reasoning', text: '', redactedData: 'ENC' },
        { type: 'text', text: 'Hello' },
        { type: 'tool-call', id: 'toolu_1', name: 'f', arguments: '{"a":[1,2]}' },
      ],
      finishReason: 'stop-sequence',
      rawFinishReason: 'stop_sequence',
      stopSequence: '###',
      usage: { inputTokens: 115, outputTokens: 7, cachedInputTokens: 100, cacheWriteTokens: 5, reasoningTokens: 3 },
      providerExtras: { 'content:server_tool_use': true, container: { id: 'c1' } },
    });
  });

  it('rejects a body that is not an object as a protocol error', () => {
    assert.throws(
      () => mapAnthropicResponse([], 'anthropic'),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_UPSTREAM_PROTOCOL',
    );
  });

  it('maps every stop reason', () => {
    const table: Array<[string | null, string]> = [
      ['end_turn', 'stop'],
      ['stop_sequence', 'stop-sequence'],
      ['max_tokens', 'length'],
      ['model_context_window_exceeded', 'length'],
      ['tool_use', 'tool-calls'],
      ['refusal', 'refusal'],
      ['pause_turn', 'pause'],
      ['something_new', 'other'],
      [null, 'other'],
    ];
    for (const [raw, reason] of table) assert.equal(mapAnthropicFinishReason(raw), reason, String(raw));
  });

  it('maps usage without cache fields', () => {
    assert.deepEqual(mapAnthropicUsage({ input_tokens: 4, output_tokens: 2 }), { inputTokens: 4, outputTokens: 2 });
    assert.deepEqual(mapAnthropicUsage(undefined), { inputTokens: 0, outputTokens: 0 });
  });

  describe('recorded responses', { skip: FIXTURES_SKIP }, () => {
    it('anthropic-text', () => {
      const res = mapAnthropicResponse(fixtureJson('anthropic-text'), 'anthropic');
      assert.equal(res.id, 'msg_01VdEjxAP5ahtHKrrRdNBteQ');
      assert.equal(res.model, 'claude-sonnet-4-5-20250929');
      assert.deepEqual(res.content, [
        { type: 'text', text: "Hello! I'm doing well, thanks for asking. How are you doing today? Is there anything I can help you with?" },
      ]);
      assert.equal(res.finishReason, 'stop');
      assert.equal(res.rawFinishReason, 'end_turn');
      assert.equal(res.stopSequence, undefined);
      assert.deepEqual(res.usage, { inputTokens: 12, outputTokens: 29, cachedInputTokens: 0, cacheWriteTokens: 0 });
      assert.equal(res.providerExtras, undefined);
    });

    it('anthropic-tool-no-args', () => {
      const res = mapAnthropicResponse(fixtureJson('anthropic-tool-no-args'), 'anthropic');
      assert.equal(res.content.length, 2);
      assert.equal(res.content[0]?.type, 'text');
      assert.deepEqual(res.content[1], { type: 'tool-call', id: 'toolu_01LRmxn9vGM1d2DZSDBowdZ1', name: 'updateIssueList', arguments: '{}' });
      assert.equal(res.finishReason, 'tool-calls');
      assert.deepEqual(res.usage, { inputTokens: 602, outputTokens: 93, cachedInputTokens: 0, cacheWriteTokens: 0 });
    });

    it('anthropic-json-tool.1', () => {
      const res = mapAnthropicResponse(fixtureJson('anthropic-json-tool.1'), 'anthropic');
      assert.equal(res.content.length, 1);
      const call = res.content[0];
      assert.ok(call?.type === 'tool-call');
      assert.equal(call.name, 'json');
      assert.deepEqual(JSON.parse(call.arguments).elements[3], { location: 'Berlin', temperature: -9, condition: 'snowy' });
      assert.equal(res.finishReason, 'tool-calls');
      assert.equal(res.usage.inputTokens, 1151);
      assert.equal(res.usage.outputTokens, 87);
    });

    it('anthropic-clear-thinking.1', () => {
      const res = mapAnthropicResponse(fixtureJson('anthropic-clear-thinking.1'), 'anthropic');
      assert.equal(res.content.length, 2);
      const thinking = res.content[0];
      assert.ok(thinking?.type === 'reasoning');
      assert.equal(thinking.text, '925 divided by 5 = 185');
      assert.match(thinking.signature ?? '', /^Er4BCkYICxgCKkCo/);
      assert.deepEqual(res.content[1], { type: 'text', text: '925 ÷ 5 = 185' });
      assert.equal(res.finishReason, 'stop');
      assert.deepEqual(res.providerExtras, { context_management: { applied_edits: [] } });
    });

    it('anthropic-refusal', () => {
      const res = mapAnthropicResponse(fixtureJson('anthropic-refusal'), 'anthropic');
      assert.deepEqual(res.content, []);
      assert.equal(res.finishReason, 'refusal');
      assert.equal(res.rawFinishReason, 'refusal');
      assert.deepEqual(res.usage, { inputTokens: 18, outputTokens: 5, cachedInputTokens: 0, cacheWriteTokens: 0 });
      assert.equal((res.providerExtras?.stop_details as { category: string }).category, 'cyber');
    });

    it('anthropic-web-search-tool.1 (server tool blocks stay out of the canonical content)', () => {
      const res = mapAnthropicResponse(fixtureJson('anthropic-web-search-tool.1'), 'anthropic');
      assert.ok(res.content.length > 0);
      assert.ok(res.content.every((p) => p.type === 'text'));
      assert.deepEqual(res.providerExtras, { 'content:server_tool_use': true, 'content:web_search_tool_result': true });
    });
  });
});
