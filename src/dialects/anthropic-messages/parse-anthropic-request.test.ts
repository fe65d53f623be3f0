import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/errors.js';
import { parseAnthropicRequest } from './parse-anthropic-request.js';

const base = { model: 'claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'Hi' }] };

function rejects(body: unknown, param: string, message?: RegExp): void {
  assert.throws(
    () => parseAnthropicRequest(body),
    (err: unknown) => {
      assert.ok(err instanceof GatewayError, `expected a GatewayError, got ${String(err)}`);
      assert.equal(err.code, 'GW_ERR_INVALID_REQUEST');
      assert.equal(err.status, 400);
      assert.equal(err.param, param);
      assert.ok(err.message.startsWith(`${param}:`), `message "${err.message}" should name ${param}`);
      if (message) assert.match(err.message, message);
      return true;
    },
  );
}

describe('parseAnthropicRequest', () => {
  it('maps a minimal request', () => {
    const req = parseAnthropicRequest(base);
    assert.deepEqual(req.messages, [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }]);
    assert.equal(req.model, 'claude-sonnet-4-5');
    assert.equal(req.maxTokens, 256);
    assert.equal(req.stream, false);
    assert.deepEqual(req.system, []);
    assert.equal(req.dialect, 'anthropic-messages');
    assert.deepEqual(req.extras, {});
    assert.equal(req.raw, base);
  });

  it('maps system (string and blocks with cache_control)', () => {
    assert.deepEqual(parseAnthropicRequest({ ...base, system: 'Be brief.' }).system, [{ type: 'text', text: 'Be brief.' }]);
    const req = parseAnthropicRequest({
      ...base,
      system: [
        { type: 'text', text: 'A' },
        { type: 'text', text: 'B', cache_control: { type: 'ephemeral' } },
      ],
    });
    assert.deepEqual(req.system, [
      { type: 'text', text: 'A' },
      { type: 'text', text: 'B', cacheControl: { type: 'ephemeral' } },
    ]);
  });

  it('maps sampling parameters, stop sequences, metadata and stream', () => {
    const req = parseAnthropicRequest({
      ...base,
      temperature: 0.3,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ['END', '###'],
      metadata: { user_id: 'u-1' },
      stream: true,
    });
    assert.equal(req.temperature, 0.3);
    assert.equal(req.topP, 0.9);
    assert.equal(req.topK, 40);
    assert.deepEqual(req.stop, ['END', '###']);
    assert.deepEqual(req.metadata, { user_id: 'u-1' });
    assert.equal(req.user, 'u-1');
    assert.equal(req.stream, true);
  });

  it('splits tool_result blocks into tool messages, keeping order and grouping consecutive ones', () => {
    const req = parseAnthropicRequest({
      ...base,
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_2', name: 'weather', input: { city: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'rain' }], is_error: true },
            { type: 'text', text: 'Thanks' },
          ],
        },
      ],
    });
    assert.deepEqual(req.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool-call', id: 'toolu_1', name: 'weather', arguments: '{"city":"Paris"}' },
          { type: 'tool-call', id: 'toolu_2', name: 'weather', arguments: '{"city":"Rome"}' },
        ],
      },
      {
        role: 'tool',
        content: [
          { type: 'tool-result', toolCallId: 'toolu_1', content: 'sunny' },
          { type: 'tool-result', toolCallId: 'toolu_2', content: [{ type: 'text', text: 'rain' }], isError: true },
        ],
      },
      { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
    ]);
  });

  it('keeps text between tool results as its own user message', () => {
    const req = parseAnthropicRequest({
      ...base,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'a' },
            { type: 'text', text: 'x' },
            { type: 'tool_result', tool_use_id: 'b', content: 'B' },
          ],
        },
      ],
    });
    assert.deepEqual(
      req.messages.map((m) => m.role),
      ['tool', 'user', 'tool'],
    );
    assert.deepEqual(req.messages[0]?.content, [{ type: 'tool-result', toolCallId: 'a', content: '' }]);
  });

  it('maps images (base64 and url), also inside tool results', () => {
    const req = parseAnthropicRequest({
      ...base,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
            {
              type: 'tool_result',
              tool_use_id: 't',
              content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/b.jpg' } }],
            },
          ],
        },
      ],
    });
    assert.deepEqual(req.messages, [
      {
        role: 'user',
        content: [
          { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBOR' } },
          { type: 'image', source: { kind: 'url', url: 'https://example.com/a.jpg' } },
        ],
      },
      {
        role: 'tool',
        content: [{ type: 'tool-result', toolCallId: 't', content: [{ type: 'image', source: { kind: 'url', url: 'https://example.com/b.jpg' } }] }],
      },
    ]);
  });

  it('maps thinking and redacted_thinking to reasoning parts', () => {
    const req = parseAnthropicRequest({
      ...base,
      messages: [
        { role: 'user', content: 'q' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 'sig' },
            { type: 'redacted_thinking', data: 'ENC' },
            { type: 'text', text: 'a' },
          ],
        },
      ],
    });
    assert.deepEqual(req.messages[1]?.content, [
      { type: 'reasoning', text: 'hmm', signature: 'sig' },
      { type: 'reasoning', text: '', redactedData: 'ENC' },
      { type: 'text', text: 'a' },
    ]);
  });

  it('maps tools and tool_choice; server tools go to extras', () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const req = parseAnthropicRequest({
      ...base,
      tools: [
        { name: 'weather', description: 'Get weather', input_schema: schema },
        { type: 'custom', name: 'plain', input_schema: { type: 'object' }, strict: true },
        { type: 'web_search_20250305', name: 'web_search', max_uses: 2 },
      ],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
    });
    assert.deepEqual(req.tools, [
      { name: 'weather', description: 'Get weather', parameters: schema },
      { name: 'plain', parameters: { type: 'object' }, strict: true },
    ]);
    assert.deepEqual(req.toolChoice, { type: 'required' });
    assert.equal(req.parallelToolCalls, false);
    assert.deepEqual(req.extras, { 'tools:web_search_20250305': true });
  });

  it('maps each tool_choice type', () => {
    const choice = (tc: unknown) => parseAnthropicRequest({ ...base, tool_choice: tc });
    assert.deepEqual(choice({ type: 'auto' }).toolChoice, { type: 'auto' });
    assert.equal(choice({ type: 'auto' }).parallelToolCalls, undefined);
    assert.deepEqual(choice({ type: 'none' }).toolChoice, { type: 'none' });
    assert.deepEqual(choice({ type: 'tool', name: 'weather' }).toolChoice, { type: 'tool', name: 'weather' });
    assert.equal(choice({ type: 'auto', disable_parallel_tool_use: false }).parallelToolCalls, true);
  });

  it('maps thinking configs', () => {
    assert.deepEqual(parseAnthropicRequest({ ...base, thinking: { type: 'enabled', budget_tokens: 2048 } }).reasoning, { budgetTokens: 2048 });
    assert.deepEqual(parseAnthropicRequest({ ...base, thinking: { type: 'disabled' } }).reasoning, { disabled: true });
    const adaptive = parseAnthropicRequest({ ...base, thinking: { type: 'adaptive' } });
    assert.equal(adaptive.reasoning, undefined);
    assert.deepEqual(adaptive.extras, { thinking: { type: 'adaptive' } });
  });

  it('maps structured output (output_config.format and the beta output_format) and effort', () => {
    const schema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false };
    const ga = parseAnthropicRequest({ ...base, output_config: { format: { type: 'json_schema', schema }, effort: 'low' } });
    assert.deepEqual(ga.responseFormat, { type: 'json-schema', schema });
    assert.deepEqual(ga.reasoning, { effort: 'low' });
    assert.deepEqual(ga.extras, {});
    const beta = parseAnthropicRequest({ ...base, output_format: { type: 'json_schema', schema } });
    assert.deepEqual(beta.responseFormat, { type: 'json-schema', schema });
  });

  it('keeps unknown blocks and top-level fields in extras and raw', () => {
    const body = {
      ...base,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'doc' } },
            { type: 'text', text: 'Summarize' },
            { type: 'image', source: { type: 'file', file_id: 'file_1' } },
          ],
        },
        { role: 'assistant', content: [{ type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} }] },
      ],
      service_tier: 'auto',
      container: 'c1',
      mcp_servers: [{ type: 'url', url: 'https://mcp.example.com', name: 'x' }],
    };
    const req = parseAnthropicRequest(body);
    assert.deepEqual(req.messages, [{ role: 'user', content: [{ type: 'text', text: 'Summarize' }] }]);
    assert.deepEqual(req.extras, {
      'content:document': true,
      'content:image': true,
      'content:server_tool_use': true,
      service_tier: 'auto',
      container: 'c1',
      mcp_servers: body.mcp_servers,
    });
    assert.equal(req.raw, body);
  });

  it('takes the gateway fallbacks list out of raw, but forwards Anthropic\'s own fallbacks value', () => {
    const req = parseAnthropicRequest({ ...base, fallbacks: ['openai/gpt-4o'] });
    assert.deepEqual(req.fallbacks, ['openai/gpt-4o']);
    assert.equal('fallbacks' in req.raw, false);
    assert.equal(req.raw.model, 'claude-sonnet-4-5');
    const own = parseAnthropicRequest({ ...base, fallbacks: 'default' });
    assert.equal(own.fallbacks, undefined);
    assert.equal(own.raw.fallbacks, 'default');
    assert.deepEqual(own.extras, { fallbacks: 'default' });
  });

  describe('rejects bad input with a 400 naming the field', () => {
    const msg = (content: unknown) => ({ ...base, messages: [{ role: 'user', content }] });
    const cases: Array<[string, unknown, string]> = [
      ['non-object body', [1, 2], 'body'],
      ['null body', null, 'body'],
      ['missing model', { max_tokens: 1, messages: base.messages }, 'model'],
      ['empty model', { ...base, model: '' }, 'model'],
      ['numeric model', { ...base, model: 3 }, 'model'],
      ['missing max_tokens', { model: 'm', messages: base.messages }, 'max_tokens'],
      ['zero max_tokens', { ...base, max_tokens: 0 }, 'max_tokens'],
      ['fractional max_tokens', { ...base, max_tokens: 1.5 }, 'max_tokens'],
      ['string max_tokens', { ...base, max_tokens: '10' }, 'max_tokens'],
      ['missing messages', { model: 'm', max_tokens: 1 }, 'messages'],
      ['empty messages', { ...base, messages: [] }, 'messages'],
      ['messages not an array', { ...base, messages: {} }, 'messages'],
      ['message not an object', { ...base, messages: ['hi'] }, 'messages[0]'],
      ['bad role', { ...base, messages: [{ role: 'system', content: 'x' }] }, 'messages[0].role'],
      ['missing content', { ...base, messages: [{ role: 'user' }] }, 'messages[0].content'],
      ['numeric content', msg(5), 'messages[0].content'],
      ['block not an object', msg(['x']), 'messages[0].content[0]'],
      ['block without type', msg([{ text: 'x' }]), 'messages[0].content[0].type'],
      ['text not a string', msg([{ type: 'text', text: 'a' }, { type: 'text', text: 1 }]), 'messages[0].content[1].text'],
      ['image without source', msg([{ type: 'image' }]), 'messages[0].content[0].source'],
      ['image bad source type', msg([{ type: 'image', source: { type: 'ftp' } }]), 'messages[0].content[0].source.type'],
      ['image base64 without data', msg([{ type: 'image', source: { type: 'base64', media_type: 'image/png' } }]), 'messages[0].content[0].source.data'],
      ['image url without url', msg([{ type: 'image', source: { type: 'url' } }]), 'messages[0].content[0].source.url'],
      ['tool_use without id', { ...base, messages: [{ role: 'assistant', content: [{ type: 'tool_use', name: 'f', input: {} }] }] }, 'messages[0].content[0].id'],
      ['tool_use without name', { ...base, messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 'x', input: {} }] }] }, 'messages[0].content[0].name'],
      ['tool_use input array', { ...base, messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 'x', name: 'f', input: [] }] }] }, 'messages[0].content[0].input'],
      ['tool_result without tool_use_id', msg([{ type: 'tool_result', content: 'x' }]), 'messages[0].content[0].tool_use_id'],
      ['tool_result bad content', msg([{ type: 'tool_result', tool_use_id: 'x', content: 5 }]), 'messages[0].content[0].content'],
      ['tool_result bad is_error', msg([{ type: 'tool_result', tool_use_id: 'x', is_error: 'yes' }]), 'messages[0].content[0].is_error'],
      ['tool_result in assistant', { ...base, messages: [{ role: 'assistant', content: [{ type: 'tool_result', tool_use_id: 'x' }] }] }, 'messages[0].content[0].type'],
      ['thinking without signature', { ...base, messages: [{ role: 'assistant', content: [{ type: 'thinking', thinking: 'x' }] }] }, 'messages[0].content[0].signature'],
      ['temperature above 1', { ...base, temperature: 1.5 }, 'temperature'],
      ['negative temperature', { ...base, temperature: -0.1 }, 'temperature'],
      ['top_p above 1', { ...base, top_p: 2 }, 'top_p'],
      ['fractional top_k', { ...base, top_k: 1.5 }, 'top_k'],
      ['stop_sequences not strings', { ...base, stop_sequences: ['a', 2] }, 'stop_sequences[1]'],
      ['stop_sequences not array', { ...base, stop_sequences: 'END' }, 'stop_sequences'],
      ['system bad block type', { ...base, system: [{ type: 'image' }] }, 'system[0].type'],
      ['system number', { ...base, system: 3 }, 'system'],
      ['metadata not object', { ...base, metadata: 'x' }, 'metadata'],
      ['metadata.user_id not string', { ...base, metadata: { user_id: 5 } }, 'metadata.user_id'],
      ['stream not boolean', { ...base, stream: 'yes' }, 'stream'],
      ['tools not array', { ...base, tools: {} }, 'tools'],
      ['tool without name', { ...base, tools: [{ input_schema: {} }] }, 'tools[0].name'],
      ['tool without input_schema', { ...base, tools: [{ name: 'f' }] }, 'tools[0].input_schema'],
      ['tool_choice bad type', { ...base, tool_choice: { type: 'required' } }, 'tool_choice.type'],
      ['tool_choice tool without name', { ...base, tool_choice: { type: 'tool' } }, 'tool_choice.name'],
      ['tool_choice string', { ...base, tool_choice: 'auto' }, 'tool_choice'],
      ['disable_parallel_tool_use not boolean', { ...base, tool_choice: { type: 'auto', disable_parallel_tool_use: 1 } }, 'tool_choice.disable_parallel_tool_use'],
      ['thinking without budget', { ...base, thinking: { type: 'enabled' } }, 'thinking.budget_tokens'],
      ['thinking zero budget', { ...base, thinking: { type: 'enabled', budget_tokens: 0 } }, 'thinking.budget_tokens'],
      ['output_config.format bad type', { ...base, output_config: { format: { type: 'json_object' } } }, 'output_config.format.type'],
      ['output_config.format without schema', { ...base, output_config: { format: { type: 'json_schema' } } }, 'output_config.format.schema'],
      ['output_format without schema', { ...base, output_format: { type: 'json_schema' } }, 'output_format.schema'],
      ['fallbacks with an empty name', { ...base, fallbacks: [''] }, 'fallbacks[0]'],
    ];
    for (const [name, body, param] of cases) {
      it(name, () => rejects(body, param));
    }
  });
});
