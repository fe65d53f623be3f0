import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/errors.js';
import { parseConverseRequest } from './parse-converse-request.js';

const call = (body: unknown, stream = false) => ({ model: 'review-model', stream, body });

describe('parseConverseRequest', () => {
  it('maps messages, system, inferenceConfig, tools and thinking', () => {
    const req = parseConverseRequest(
      call({
        system: [{ text: 'Be brief.' }],
        messages: [
          { role: 'user', content: [{ text: 'Weather?' }] },
          { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'get_weather', input: { city: 'Paris' } } }] },
          { role: 'user', content: [{ toolResult: { toolUseId: 't1', content: [{ text: '22C' }], status: 'success' } }, { text: 'and?' }] },
        ],
        inferenceConfig: { maxTokens: 50, temperature: 0.2, stopSequences: ['X'] },
        toolConfig: { tools: [{ toolSpec: { name: 'get_weather', inputSchema: { json: { type: 'object' } } } }], toolChoice: { any: {} } },
        additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 2048 }, top_k: 5 },
      }, true),
    );
    assert.equal(req.dialect, 'bedrock-converse');
    assert.equal(req.stream, true);
    assert.deepEqual(req.system, [{ type: 'text', text: 'Be brief.' }]);
    assert.deepEqual(req.messages.map((m) => m.role), ['user', 'assistant', 'tool', 'user']);
    assert.deepEqual(req.messages[1]!.content[0], { type: 'tool-call', id: 't1', name: 'get_weather', arguments: '{"city":"Paris"}' });
    assert.deepEqual(req.messages[2]!.content[0], { type: 'tool-result', toolCallId: 't1', content: '22C' });
    assert.equal(req.maxTokens, 50);
    assert.deepEqual(req.stop, ['X']);
    assert.deepEqual(req.toolChoice, { type: 'required' });
    assert.deepEqual(req.reasoning, { budgetTokens: 2048 });
    assert.equal(req.topK, 5);
  });

  it('refuses bad input naming the field', () => {
    const bad = (body: unknown, param: string) =>
      assert.throws(
        () => parseConverseRequest(call(body)),
        (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_INVALID_REQUEST' && e.param === param,
      );
    bad({}, 'messages');
    bad({ messages: [{ role: 'system', content: [] }] }, 'messages[0].role');
    bad({ messages: [{ role: 'user', content: [{ toolUse: { toolUseId: 'a', name: 'b', input: {} } }] }] }, 'messages[0].content[0].toolUse');
    bad({ messages: [{ role: 'user', content: [{ text: 'x' }] }], inferenceConfig: { maxTokens: 0 } }, 'inferenceConfig.maxTokens');
  });
});
