import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { request } from 'undici';
import { startMockUpstream, type MockUpstream } from './mock-upstream.js';
import { ANTHROPIC_HEADERS, OPENAI_HEADERS, postJson } from './test-sse-frames.js';

let mock: MockUpstream;
let openai: OpenAI;
let anthropic: Anthropic;

before(async () => {
  mock = await startMockUpstream();
  openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: mock.url, maxRetries: 0 });
});
after(async () => {
  await mock.close();
});
beforeEach(() => mock.reset());

const WEATHER_TOOL_SCHEMA = {
  type: 'object',
  properties: {
    city: { type: 'string' },
    days: { type: 'integer' },
    temperature: { type: 'number' },
    metric: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string' } },
    options: { type: 'object' },
  },
  required: ['city'],
};
const WEATHER_ARGS = { city: 'mock', days: 1, temperature: 1, metric: true, tags: [], options: {} };

describe('OpenAI chat completions', () => {
  const openaiTools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
    { type: 'function', function: { name: 'get_weather', parameters: WEATHER_TOOL_SCHEMA } },
    { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } } },
  ];

  test('text reply with usage, echoed model and recorded request', async () => {
    const res = await openai.chat.completions.create({
      model: 'my-model-x',
      messages: [{ role: 'user', content: 'hello there' }],
    });
    assert.equal(res.object, 'chat.completion');
    assert.equal(res.model, 'my-model-x');
    assert.equal(res.choices[0]!.message.content, 'mock reply to: hello there');
    assert.equal(res.choices[0]!.message.role, 'assistant');
    assert.equal(res.choices[0]!.finish_reason, 'stop');
    assert.deepEqual(
      {
        prompt: res.usage?.prompt_tokens,
        completion: res.usage?.completion_tokens,
        total: res.usage?.total_tokens,
        cached: res.usage?.prompt_tokens_details?.cached_tokens,
        reasoning: res.usage?.completion_tokens_details?.reasoning_tokens,
      },
      { prompt: 2, completion: 5, total: 7, cached: 0, reasoning: 0 },
    );
    assert.equal(typeof res.system_fingerprint, 'string');
    assert.equal(res._request_id, 'req_mock000001');

    assert.equal(mock.requests.length, 1);
    const r = mock.requests[0]!;
    assert.equal(r.method, 'POST');
    assert.equal(r.path, '/v1/chat/completions');
    assert.equal(r.headers['authorization'], 'Bearer sk-test');
    assert.equal(r.body.model, 'my-model-x');
  });

  test('system and developer messages prefix the reply and count as input', async () => {
    const res = await openai.chat.completions.create({
      model: 'm',
      messages: [
        { role: 'system', content: 'You are a helpful assistant who answers briefly and precisely.' },
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'first answer' },
        { role: 'user', content: [{ type: 'text', text: 'second' }, { type: 'text', text: 'question' }] },
      ],
    });
    assert.equal(
      res.choices[0]!.message.content,
      '[system: You are a helpful assistant who answers ] mock reply to: second question',
    );
    assert.equal(res.usage?.prompt_tokens, 10 + 2 + 2 + 2);

    const dev = await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'developer', content: 'Be terse.' }, { role: 'user', content: 'hi' }],
    });
    assert.equal(dev.choices[0]!.message.content, '[system: Be terse.] mock reply to: hi');
  });

  test('images in the last user message are counted', async () => {
    const res = await openai.chat.completions.create({
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
          ],
        },
      ],
    });
    assert.equal(res.choices[0]!.message.content, 'mock reply to: what is this [images: 2]');
  });

  test('streams word by word: role chunk, content chunks, finish chunk, usage chunk', async () => {
    const stream = await openai.chat.completions.create({
      model: 'stream-model',
      messages: [{ role: 'user', content: 'tell me a story' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);

    assert.ok(chunks.length >= 5);
    for (const c of chunks) {
      assert.equal(c.object, 'chat.completion.chunk');
      assert.equal(c.model, 'stream-model');
      assert.equal(c.id, chunks[0]!.id);
      assert.equal(typeof c.created, 'number');
      assert.equal(typeof c.system_fingerprint, 'string');
    }
    assert.deepEqual(chunks[0]!.choices[0]!.delta, { role: 'assistant', content: '', refusal: null });
    const contentChunks = chunks.filter((c) => typeof c.choices[0]?.delta.content === 'string' && c.choices[0].delta.content !== '');
    assert.equal(contentChunks.length, 7);
    assert.equal(contentChunks.map((c) => c.choices[0]!.delta.content).join(''), 'mock reply to: tell me a story');
    const finish = chunks[chunks.length - 2]!;
    assert.deepEqual(finish.choices[0]!.delta, {});
    assert.equal(finish.choices[0]!.finish_reason, 'stop');
    const usage = chunks[chunks.length - 1]!;
    assert.deepEqual(usage.choices, []);
    assert.equal(usage.usage?.prompt_tokens, 4);
    assert.equal(usage.usage?.completion_tokens, 7);
    assert.equal(usage.usage?.total_tokens, 11);
  });

  test('without include_usage the stream has no usage chunk', async () => {
    const stream = await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    assert.ok(chunks.every((c) => c.choices.length === 1 && c.usage === undefined));
    assert.equal(chunks[chunks.length - 1]!.choices[0]!.finish_reason, 'stop');
  });

  test('tool call built from the schema, then the tool result answered as text', async () => {
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'weather in Paris?' },
    ];
    const first = await openai.chat.completions.create({ model: 'm', messages, tools: openaiTools });
    const choice = first.choices[0]!;
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, null);
    assert.equal(choice.message.tool_calls?.length, 1);
    const call = choice.message.tool_calls![0]!;
    assert.equal(call.type, 'function');
    assert.equal(call.id, 'call_mock_1');
    assert.ok(call.type === 'function');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), WEATHER_ARGS);
    assert.equal(first.usage?.completion_tokens, 10);

    messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: 'sunny and 21 degrees' });
    const second = await openai.chat.completions.create({ model: 'm', messages, tools: openaiTools });
    assert.equal(second.choices[0]!.finish_reason, 'stop');
    assert.equal(second.choices[0]!.message.content, 'tool result was: sunny and 21 degrees');

    // A new user turn after a tool round: the next call is numbered after the earlier one.
    messages.push(second.choices[0]!.message, { role: 'user', content: 'and tomorrow?' });
    const third = await openai.chat.completions.create({ model: 'm', messages, tools: openaiTools });
    assert.equal(third.choices[0]!.message.tool_calls![0]!.id, 'call_mock_2');
  });

  test('tool_choice forces a tool or disables tools', async () => {
    const forced = await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'time?' }],
      tools: openaiTools,
      tool_choice: { type: 'function', function: { name: 'get_time' } },
    });
    const call = forced.choices[0]!.message.tool_calls![0]!;
    assert.ok(call.type === 'function');
    assert.equal(call.function.name, 'get_time');
    assert.deepEqual(JSON.parse(call.function.arguments), { zone: 'mock' });

    const none = await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'just talk' }],
      tools: openaiTools,
      tool_choice: 'none',
    });
    assert.equal(none.choices[0]!.message.content, 'mock reply to: just talk');
    assert.equal(none.choices[0]!.finish_reason, 'stop');
  });

  test('streams a tool call: id and name first, then argument pieces', async () => {
    const stream = await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'weather?' }],
      tools: openaiTools,
      stream: true,
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    const toolChunks = chunks.filter((c) => c.choices[0]?.delta.tool_calls);
    assert.ok(toolChunks.length >= 3, 'a header chunk and at least two argument pieces');
    const [head, ...rest] = toolChunks.map((c) => c.choices[0]!.delta.tool_calls![0]!);
    assert.deepEqual(head, { index: 0, id: 'call_mock_1', type: 'function', function: { name: 'get_weather', arguments: '' } });
    for (const piece of rest) {
      assert.deepEqual(Object.keys(piece).sort(), ['function', 'index']);
      assert.deepEqual(Object.keys(piece.function!), ['arguments']);
    }
    assert.deepEqual(JSON.parse(rest.map((p) => p.function!.arguments).join('')), WEATHER_ARGS);
    assert.equal(chunks[chunks.length - 1]!.choices[0]!.finish_reason, 'tool_calls');
  });

  test('max_tokens / max_completion_tokens truncate to that many words', async () => {
    const res = await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'one two three four' }],
      max_tokens: 3,
    });
    assert.equal(res.choices[0]!.message.content, 'mock reply to:');
    assert.equal(res.choices[0]!.finish_reason, 'length');
    assert.equal(res.usage?.completion_tokens, 3);

    const stream = await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'one two three four' }],
      max_completion_tokens: 4,
      stream: true,
    });
    let text = '';
    let finish: string | null | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(text, 'mock reply to: one');
    assert.equal(finish, 'length');
  });

  test('auth and validation errors in the OpenAI error shape', async () => {
    const noKey = await postJson(`${mock.url}/v1/chat/completions`, { model: 'm', messages: [] }, { 'content-type': 'application/json' });
    assert.equal(noKey.status, 401);
    const noKeyBody = JSON.parse(noKey.text);
    assert.deepEqual(Object.keys(noKeyBody.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(noKeyBody.error.type, 'invalid_request_error');

    await assert.rejects(
      openai.chat.completions.create({ model: 'm' } as unknown as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming),
      (err: unknown) => {
        assert.ok(err instanceof OpenAI.BadRequestError);
        assert.equal(err.status, 400);
        assert.equal(err.type, 'invalid_request_error');
        assert.equal(err.param, 'messages');
        return true;
      },
    );
    const noModel = await postJson(`${mock.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'x' }] }, OPENAI_HEADERS);
    assert.equal(noModel.status, 400);
    assert.equal(JSON.parse(noModel.text).error.param, 'model');

    const badJson = await request(`${mock.url}/v1/chat/completions`, { method: 'POST', headers: OPENAI_HEADERS, body: '{not json' });
    assert.equal(badJson.statusCode, 400);
    assert.equal(((await badJson.body.json()) as any).error.type, 'invalid_request_error');
  });

  test('GET /v1/models lists models; unknown paths are 404 JSON', async () => {
    const models = await openai.models.list();
    assert.ok(models.data.length >= 2);
    assert.ok(models.data.every((m) => m.object === 'model' && typeof m.id === 'string'));

    const missing = await request(`${mock.url}/v1/nothing-here`);
    assert.equal(missing.statusCode, 404);
    assert.match(missing.headers['content-type'] as string, /application\/json/);
    assert.equal(((await missing.body.json()) as any).error.message, 'Invalid URL (GET /v1/nothing-here)');
  });
});

describe('Anthropic messages', () => {
  const anthropicTools: Anthropic.Tool[] = [
    { name: 'get_weather', description: 'weather', input_schema: WEATHER_TOOL_SCHEMA as Anthropic.Tool.InputSchema },
    { name: 'get_time', input_schema: { type: 'object', properties: { zone: { type: 'string' } } } },
  ];

  test('text reply with usage, echoed model and request-id', async () => {
    const msg = await anthropic.messages.create({
      model: 'claude-test-1',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hello there' }],
    });
    assert.equal(msg.type, 'message');
    assert.equal(msg.role, 'assistant');
    assert.equal(msg.model, 'claude-test-1');
    assert.deepEqual(msg.content, [{ type: 'text', text: 'mock reply to: hello there' }]);
    assert.equal(msg.stop_reason, 'end_turn');
    assert.equal(msg.stop_sequence, null);
    assert.equal(msg.usage.input_tokens, 2);
    assert.equal(msg.usage.output_tokens, 5);
    assert.equal(msg.usage.cache_creation_input_tokens, 0);
    assert.equal(msg.usage.cache_read_input_tokens, 0);
    assert.equal(msg._request_id, 'req_mock000001');

    const r = mock.requests[0]!;
    assert.equal(r.path, '/v1/messages');
    // SDK 1.x sends the key as `Authorization: Bearer`; older ones as `x-api-key`. Both are accepted.
    assert.ok(r.headers['x-api-key'] === 'sk-ant-test' || r.headers['authorization'] === 'Bearer sk-ant-test');
    assert.equal(typeof r.headers['anthropic-version'], 'string');
  });

  test('system as a string or as blocks prefixes the reply', async () => {
    const str = await anthropic.messages.create({
      model: 'm',
      max_tokens: 100,
      system: 'You are a helpful assistant who answers briefly and precisely.',
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.deepEqual(str.content, [{ type: 'text', text: '[system: You are a helpful assistant who answers ] mock reply to: hi' }]);
    assert.equal(str.usage.input_tokens, 11);

    const blocks = await anthropic.messages.create({
      model: 'm',
      max_tokens: 100,
      system: [{ type: 'text', text: 'Be terse.' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }] },
      ],
    });
    assert.deepEqual(blocks.content, [{ type: 'text', text: '[system: Be terse.] mock reply to: look [images: 1]' }]);
  });

  test('streams the real event sequence with text deltas per word', async () => {
    const stream = await anthropic.messages.create({
      model: 'claude-stream',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'tell me a story' }],
      stream: true,
    });
    const events: Anthropic.RawMessageStreamEvent[] = [];
    for await (const e of stream) events.push(e);
    const types = events.map((e) => e.type);
    assert.deepEqual(types, [
      'message_start',
      'content_block_start',
      ...Array<string>(7).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const start = events[0] as Anthropic.RawMessageStartEvent;
    assert.equal(start.message.model, 'claude-stream');
    assert.equal(start.message.usage.input_tokens, 4);
    assert.equal(start.message.usage.output_tokens, 1);
    const text = events
      .filter((e): e is Anthropic.RawContentBlockDeltaEvent => e.type === 'content_block_delta')
      .map((e) => (e.delta.type === 'text_delta' ? e.delta.text : ''))
      .join('');
    assert.equal(text, 'mock reply to: tell me a story');
    const delta = events[events.length - 2] as Anthropic.RawMessageDeltaEvent;
    assert.equal(delta.delta.stop_reason, 'end_turn');
    assert.equal(delta.usage.output_tokens, 7);

    // The SDK's accumulating helper agrees.
    const final = await anthropic.messages
      .stream({ model: 'claude-stream', max_tokens: 100, messages: [{ role: 'user', content: 'again' }] })
      .finalMessage();
    assert.equal(final.content.length, 1);
    assert.ok(final.content[0]!.type === 'text');
    assert.equal(final.content[0]!.text, 'mock reply to: again');
    assert.equal(final.usage.output_tokens, 4);
  });

  test('tool call built from the schema, then the tool result answered as text', async () => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'weather in Paris?' }];
    const first = await anthropic.messages.create({ model: 'm', max_tokens: 100, messages, tools: anthropicTools });
    assert.equal(first.stop_reason, 'tool_use');
    assert.equal(first.content.length, 1);
    const block = first.content[0]!;
    assert.ok(block.type === 'tool_use');
    assert.equal(block.id, 'toolu_mock_1');
    assert.equal(block.name, 'get_weather');
    assert.deepEqual(block.input, WEATHER_ARGS);
    assert.equal(first.usage.output_tokens, 10);

    messages.push(
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: block.id, content: [{ type: 'text', text: 'sunny and 21' }] }] },
    );
    const second = await anthropic.messages.create({ model: 'm', max_tokens: 100, messages, tools: anthropicTools });
    assert.equal(second.stop_reason, 'end_turn');
    assert.deepEqual(second.content, [{ type: 'text', text: 'tool result was: sunny and 21' }]);

    const forced = await anthropic.messages.create({
      model: 'm',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'time?' }],
      tools: anthropicTools,
      tool_choice: { type: 'tool', name: 'get_time' },
    });
    assert.deepEqual(forced.content, [{ type: 'tool_use', id: 'toolu_mock_1', name: 'get_time', input: { zone: 'mock' } }]);

    const none = await anthropic.messages.create({
      model: 'm',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'talk' }],
      tools: anthropicTools,
      tool_choice: { type: 'none' },
    });
    assert.deepEqual(none.content, [{ type: 'text', text: 'mock reply to: talk' }]);
  });

  test('streams a tool call as input_json_delta pieces', async () => {
    const final = await anthropic.messages
      .stream({ model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'weather?' }], tools: anthropicTools })
      .finalMessage();
    assert.equal(final.stop_reason, 'tool_use');
    const block = final.content[0]!;
    assert.ok(block.type === 'tool_use');
    assert.equal(block.id, 'toolu_mock_1');
    assert.deepEqual(block.input, WEATHER_ARGS);

    const stream = await anthropic.messages.create({
      model: 'm',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'weather?' }],
      tools: anthropicTools,
      stream: true,
    });
    const pieces: string[] = [];
    for await (const e of stream) {
      if (e.type === 'content_block_delta' && e.delta.type === 'input_json_delta' && e.delta.partial_json !== '') {
        pieces.push(e.delta.partial_json);
      }
    }
    assert.ok(pieces.length >= 2);
    assert.deepEqual(JSON.parse(pieces.join('')), WEATHER_ARGS);
  });

  test('max_tokens truncates to that many words with stop_reason max_tokens', async () => {
    const msg = await anthropic.messages.create({
      model: 'm',
      max_tokens: 2,
      messages: [{ role: 'user', content: 'one two three' }],
    });
    assert.deepEqual(msg.content, [{ type: 'text', text: 'mock reply' }]);
    assert.equal(msg.stop_reason, 'max_tokens');
    assert.equal(msg.usage.output_tokens, 2);
  });

  test('auth, version and field errors in the Anthropic error shape', async () => {
    const noKey = await postJson(
      `${mock.url}/v1/messages`,
      { model: 'm', max_tokens: 1, messages: [] },
      { 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
    );
    assert.equal(noKey.status, 401);
    assert.equal(JSON.parse(noKey.text).type, 'error');
    assert.equal(JSON.parse(noKey.text).error.type, 'authentication_error');

    const bearer = await postJson(
      `${mock.url}/v1/messages`,
      { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] },
      { authorization: 'Bearer tok', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
    );
    assert.equal(bearer.status, 200);

    const { 'anthropic-version': _omit, ...noVersionHeaders } = ANTHROPIC_HEADERS;
    const noVersion = await postJson(`${mock.url}/v1/messages`, { model: 'm', max_tokens: 5, messages: [] }, noVersionHeaders);
    assert.equal(noVersion.status, 400);
    assert.equal(JSON.parse(noVersion.text).error.type, 'invalid_request_error');
    assert.match(noVersion.headers['request-id'] as string, /^req_mock/);

    await assert.rejects(
      anthropic.messages.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] } as unknown as Anthropic.MessageCreateParamsNonStreaming),
      (err: unknown) => {
        assert.ok(err instanceof Anthropic.BadRequestError);
        assert.equal((err.error as any).error.type, 'invalid_request_error');
        assert.match((err.error as any).error.message, /max_tokens/);
        return true;
      },
    );
  });

  test('GET /v1/models answers in the Anthropic shape for Anthropic clients', async () => {
    const page = await anthropic.models.list();
    assert.ok(page.data.length >= 2);
    assert.ok(page.data.every((m) => m.type === 'model'));
  });
});
