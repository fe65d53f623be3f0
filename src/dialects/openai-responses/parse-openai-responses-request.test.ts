import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/errors.js';
import { parseOpenAIResponsesRequest } from './parse-openai-responses-request.js';
import { decodeReasoningCarrier, encodeReasoningCarrier } from './reasoning-carrier.js';

describe('parseOpenAIResponsesRequest', () => {
  it('maps a string input, instructions and the settings', () => {
    const req = parseOpenAIResponsesRequest({
      model: 'm',
      input: 'Hi',
      instructions: 'Be brief',
      max_output_tokens: 64,
      temperature: 0.5,
      parallel_tool_calls: false,
      metadata: { a: '1' },
      reasoning: { effort: 'low', summary: 'auto' },
      text: { format: { type: 'json_schema', name: 'w', schema: { type: 'object' }, strict: true } },
      store: true,
    });
    assert.deepEqual(req.system, [{ type: 'text', text: 'Be brief' }]);
    assert.deepEqual(req.messages, [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }]);
    assert.equal(req.maxTokens, 64);
    assert.equal(req.parallelToolCalls, false);
    assert.deepEqual(req.reasoning, { effort: 'low' });
    assert.deepEqual(req.responseFormat, { type: 'json-schema', name: 'w', schema: { type: 'object' }, strict: true });
    assert.deepEqual(req.metadata, { a: '1' });
    assert.deepEqual(req.extras, {}, 'store is the gateway\'s, not an extra');
    assert.equal(req.dialect, 'openai-responses');
  });

  it('groups items into turns: assistant text, calls and reasoning into one turn; outputs into a tool turn', () => {
    const req = parseOpenAIResponsesRequest({
      model: 'm',
      input: [
        { role: 'developer', content: 'Sys' },
        { role: 'user', content: [{ type: 'input_text', text: 'Look' }, { type: 'input_image', image_url: 'data:image/png;base64,AAA', detail: 'low' }] },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'hmm' }], encrypted_content: 'gAAA' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Calling' }] },
        { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{"a":1}' },
        { type: 'function_call', call_id: 'c2', name: 'g', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c1', output: 'one' },
        { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'two' }] },
        { type: 'web_search_call', id: 'ws_1' },
        { role: 'user', content: [{ type: 'input_file', file_id: 'file_1' }] },
      ],
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' } }, { type: 'web_search' }],
      tool_choice: { type: 'function', name: 'f' },
    });
    assert.deepEqual(req.system, [{ type: 'text', text: 'Sys' }]);
    assert.deepEqual(req.messages.map((m) => m.role), ['user', 'assistant', 'tool', 'user']);
    assert.deepEqual(req.messages[0]!.content[1], { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAA' }, detail: 'low' });
    assert.deepEqual(req.messages[1]!.content.map((p) => p.type), ['reasoning', 'text', 'tool-call', 'tool-call']);
    assert.deepEqual(req.messages[1]!.content[0], { type: 'reasoning', text: 'hmm', providerMetadata: { openai: { id: 'rs_1', encrypted_content: 'gAAA' } } });
    assert.deepEqual(req.messages[2]!.content, [
      { type: 'tool-result', toolCallId: 'c1', content: 'one' },
      { type: 'tool-result', toolCallId: 'c2', content: 'two' },
    ]);
    assert.deepEqual(req.toolChoice, { type: 'tool', name: 'f' });
    assert.equal(req.tools?.length, 1);
    assert.deepEqual(Object.keys(req.extras).sort(), ['content:input_file', 'item:web_search_call', 'tools:web_search']);
  });

  it('reads back reasoning another provider produced from its carrier', () => {
    const carrier = encodeReasoningCarrier({ type: 'reasoning', text: 'think', signature: 'sig' })!;
    assert.deepEqual(decodeReasoningCarrier(carrier), { type: 'reasoning', text: 'think', signature: 'sig' });
    const req = parseOpenAIResponsesRequest({ model: 'm', input: [{ role: 'user', content: 'a' }, { type: 'reasoning', id: 'rs_x', summary: [], encrypted_content: carrier }] });
    assert.deepEqual(req.messages[1]!.content, [{ type: 'reasoning', text: 'think', signature: 'sig' }]);
  });

  it('refuses bad input with a 400 naming the field', () => {
    const cases: Array<[unknown, string]> = [
      [{ input: 'x' }, 'model'],
      [{ model: 'm' }, 'input'],
      [{ model: 'm', input: [{ type: 'function_call_output', output: 'x' }] }, 'input[0].call_id'],
      [{ model: 'm', input: [{ role: 'tool', content: 'x' }] }, 'input[0].role'],
      [{ model: 'm', input: 'x', text: { format: { type: 'yaml' } } }, 'text.format.type'],
      [{ model: 'm', input: 'x', tool_choice: 'sometimes' }, 'tool_choice'],
      [{ model: 'm', input: 'x', max_output_tokens: 0 }, 'max_output_tokens'],
      [{ model: 'm', input: [{ role: 'system', content: 'only system' }] }, 'input'],
    ];
    for (const [body, param] of cases) {
      assert.throws(() => parseOpenAIResponsesRequest(body), (e: unknown) => e instanceof GatewayError && e.status === 400 && e.param === param, param);
    }
  });
});
