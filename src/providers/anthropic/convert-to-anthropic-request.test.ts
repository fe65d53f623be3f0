import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/errors.js';
import type { CoreRequest } from '../../core/request.js';
import { convertToAnthropicRequest } from './convert-to-anthropic-request.js';

const weatherSchema = {
  type: 'object',
  properties: { city: { type: 'string' } },
  required: ['city'],
  additionalProperties: false,
};

/** A request as the OpenAI chat dialect parses it. */
function openAIRequest(over: Partial<CoreRequest> = {}): CoreRequest {
  return {
    model: 'claude-fast',
    system: [{ type: 'text', text: 'You are terse.' }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    stream: false,
    raw: { model: 'claude-fast', messages: [] },
    dialect: 'openai-chat',
    extras: {},
    ...over,
  };
}

describe('convertToAnthropicRequest', () => {
  it('converts a full OpenAI-dialect request to the exact Anthropic body', () => {
    const req = openAIRequest({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these images?' },
            { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.png' } },
            { type: 'image', source: { kind: 'base64', mediaType: 'image/jpeg', data: '/9j/4AAQ' } },
          ],
        },
        { role: 'assistant', content: [{ type: 'text', text: 'A cat and a dog.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
        { role: 'assistant', content: [{ type: 'tool-call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_1', content: '{"temp":21}' }] },
        { role: 'user', content: [{ type: 'text', text: 'Answer as JSON.' }] },
      ],
      tools: [{ name: 'get_weather', description: 'Current weather', parameters: weatherSchema, strict: true }],
      toolChoice: { type: 'required' },
      parallelToolCalls: false,
      responseFormat: { type: 'json-schema', name: 'weather', schema: { type: 'object', properties: { temp: { type: 'number' } } }, strict: true },
      stop: ['END'],
      temperature: 0.5,
      topP: 0.9,
      maxTokens: 500,
      stream: true,
      streamUsage: true,
      user: 'user-1',
    });
    const { body, unmapped } = convertToAnthropicRequest(req, 'claude-sonnet-4-5');
    assert.deepEqual(body, {
      model: 'claude-sonnet-4-5',
      system: [{ type: 'text', text: 'You are terse.' }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these images?' },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
            { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } },
          ],
        },
        { role: 'assistant', content: [{ type: 'text', text: 'A cat and a dog.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_1', content: '{"temp":21}' },
            { type: 'text', text: 'Answer as JSON.' },
          ],
        },
      ],
      max_tokens: 500,
      stream: true,
      temperature: 0.5,
      top_p: 0.9,
      stop_sequences: ['END'],
      metadata: { user_id: 'user-1' },
      tools: [{ name: 'get_weather', description: 'Current weather', input_schema: weatherSchema, strict: true }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      output_config: { format: { type: 'json_schema', schema: { type: 'object', properties: { temp: { type: 'number' } } } } },
    });
    assert.deepEqual(unmapped, []);
  });

  it('lists what Anthropic cannot carry', () => {
    const { body, unmapped } = convertToAnthropicRequest(
      openAIRequest({
        seed: 7,
        presencePenalty: 0.1,
        frequencyPenalty: 0.2,
        temperature: 1.7,
        metadata: { trace: 'x' },
        responseFormat: { type: 'json' },
        extras: { n: 2, logprobs: true },
        messages: [
          { role: 'user', name: 'alice', content: [{ type: 'image', source: { kind: 'url', url: 'https://e/x.png' }, detail: 'low' }] },
          { role: 'assistant', content: [{ type: 'reasoning', text: 'openai reasoning' }, { type: 'text', text: 'ok' }] },
        ],
      }),
      'm',
    );
    assert.equal(body.temperature, 1);
    assert.equal(body.metadata, undefined);
    assert.equal(body.output_config, undefined);
    assert.deepEqual((body.messages as Array<{ content: unknown[] }>)[1]?.content, [{ type: 'text', text: 'ok' }]);
    assert.deepEqual(new Set(unmapped), new Set(['n', 'logprobs', 'seed', 'presence_penalty', 'frequency_penalty', 'temperature', 'metadata', 'response_format', 'name', 'detail', 'reasoning']));
  });

  it('forwards an Anthropic-dialect request from raw, model replaced', () => {
    const raw = { model: 'alias', max_tokens: 5, messages: [{ role: 'user', content: 'x' }], mcp_servers: [{ type: 'url' }], future_field: { a: 1 } };
    const { body, unmapped } = convertToAnthropicRequest(
      { ...openAIRequest(), dialect: 'anthropic-messages', raw, extras: { mcp_servers: raw.mcp_servers, future_field: raw.future_field } },
      'claude-opus-4-1',
    );
    assert.deepEqual(body, { ...raw, model: 'claude-opus-4-1' });
    assert.deepEqual(unmapped, []);
    assert.equal(raw.model, 'alias', 'raw must not be mutated');
  });

  it('defaults max_tokens to 4096 and omits an empty system', () => {
    const { body } = convertToAnthropicRequest(openAIRequest({ system: [] }), 'm');
    assert.equal(body.max_tokens, 4096);
    assert.equal('system' in body, false);
    assert.equal('stream' in body, false);
  });

  it('keeps cache_control, signed and redacted reasoning, tool result parts and errors', () => {
    const { body } = convertToAnthropicRequest(
      openAIRequest({
        system: [{ type: 'text', text: 'sys', cacheControl: { type: 'ephemeral' } }],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'q' }] },
          {
            role: 'assistant',
            content: [
              { type: 'reasoning', text: 'think', signature: 'SIG' },
              { type: 'reasoning', text: '', redactedData: 'ENC' },
              { type: 'tool-call', id: 't1', name: 'f', arguments: '' },
            ],
          },
          {
            role: 'tool',
            content: [
              {
                type: 'tool-result',
                toolCallId: 't1',
                isError: true,
                content: [
                  { type: 'text', text: 'failed' },
                  { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AA' } },
                ],
              },
            ],
          },
        ],
      }),
      'm',
    );
    assert.deepEqual(body.system, [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral' } }]);
    assert.deepEqual((body.messages as unknown[]).slice(1), [
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'think', signature: 'SIG' },
          { type: 'redacted_thinking', data: 'ENC' },
          { type: 'tool_use', id: 't1', name: 'f', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 't1',
            content: [
              { type: 'text', text: 'failed' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA' } },
            ],
            is_error: true,
          },
        ],
      },
    ]);
  });

  it('puts tool results first when a user message precedes them in the same turn', () => {
    const { body } = convertToAnthropicRequest(
      openAIRequest({
        messages: [
          { role: 'assistant', content: [{ type: 'tool-call', id: 'a', name: 'f', arguments: '{}' }] },
          { role: 'user', content: [{ type: 'text', text: 'note' }] },
          { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'a', content: 'A' }] },
        ],
      }),
      'm',
    );
    assert.deepEqual((body.messages as unknown[])[1], {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'a', content: 'A' },
        { type: 'text', text: 'note' },
      ],
    });
  });

  it('rejects tool-call arguments that are not a JSON object', () => {
    assert.throws(
      () =>
        convertToAnthropicRequest(
          openAIRequest({ messages: [{ role: 'assistant', content: [{ type: 'tool-call', id: 'c9', name: 'f', arguments: '{"a":' }] }] }),
          'm',
        ),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_INVALID_REQUEST' && e.param === 'messages' && /c9/.test(e.message),
    );
  });

  it('maps tool choices and parallel tool calls', () => {
    const tools = [{ name: 'f', parameters: {} }];
    const choice = (over: Partial<CoreRequest>) => convertToAnthropicRequest(openAIRequest({ tools, ...over }), 'm').body;
    assert.deepEqual(choice({ toolChoice: { type: 'auto' } }).tool_choice, { type: 'auto' });
    assert.deepEqual(choice({ toolChoice: { type: 'none' }, parallelToolCalls: false }).tool_choice, { type: 'none' });
    assert.deepEqual(choice({ toolChoice: { type: 'tool', name: 'f' } }).tool_choice, { type: 'tool', name: 'f' });
    assert.deepEqual(choice({ parallelToolCalls: false }).tool_choice, { type: 'auto', disable_parallel_tool_use: true });
    assert.equal(choice({ parallelToolCalls: true }).tool_choice, undefined);
    assert.deepEqual(choice({}).tools, [{ name: 'f', input_schema: { type: 'object' } }]);
    assert.equal(convertToAnthropicRequest(openAIRequest({ toolChoice: { type: 'required' } }), 'm').body.tool_choice, undefined);
  });

  it('maps reasoning to thinking', () => {
    const conv = (over: Partial<CoreRequest>) => convertToAnthropicRequest(openAIRequest(over), 'm');
    assert.deepEqual(conv({ reasoning: { budgetTokens: 2000 }, maxTokens: 8000 }).body.thinking, { type: 'enabled', budget_tokens: 2000 });
    const noMax = conv({ reasoning: { budgetTokens: 2000 } }).body;
    assert.deepEqual([noMax.thinking, noMax.max_tokens], [{ type: 'enabled', budget_tokens: 2000 }, 6096]);
    assert.deepEqual(conv({ reasoning: { effort: 'medium' }, maxTokens: 10000 }).body.thinking, { type: 'enabled', budget_tokens: 4096 });
    assert.deepEqual(conv({ reasoning: { effort: 'high' }, maxTokens: 4000 }).body.thinking, { type: 'enabled', budget_tokens: 3999 });
    assert.equal(conv({ reasoning: { effort: 'minimal' } }).body.thinking, undefined);
    assert.deepEqual(conv({ reasoning: { disabled: true } }).body.thinking, { type: 'disabled' });
    const tooSmall = conv({ reasoning: { effort: 'low' }, maxTokens: 500 });
    assert.equal(tooSmall.body.thinking, undefined);
    assert.deepEqual(tooSmall.unmapped, ['reasoning']);
    assert.deepEqual(conv({ reasoning: { effort: 'turbo' } }).unmapped, ['reasoning_effort']);
  });
});
