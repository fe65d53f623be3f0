import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  callContext,
  chunkLines,
  clientRequest,
  clientStreamText,
  collectEvents,
  DIALECTS,
  encodeForClient,
  fixturesSkip,
  formatForClient,
  readFixture,
  sseData,
  splitBytes,
  useReplayServer,
} from '../../../test/helpers/provider-replay.js';
import { GatewayError } from '../../core/errors.js';
import type { StreamEvent } from '../../core/stream-event.js';
import { anthropicMessagesDialect } from '../../dialects/anthropic-messages/index.js';
import { openAIChatDialect } from '../../dialects/openai-chat/index.js';
import type { ProviderAdapter } from '../provider-adapter.js';
import { createGeminiProvider } from './gemini-provider.js';
import { SKIP_THOUGHT_SIGNATURE } from './thought-signatures.js';

const SKIP = fixturesSkip('gemini');
const KEY = 'AIza-test-key';

const replay = useReplayServer();

function provider(): ProviderAdapter {
  const p = createGeminiProvider({ name: 'gemini', baseUrl: replay.server.url, connectTimeoutMs: 1000, maxConnections: 4 });
  replay.track(p);
  return p;
}

const sse = (lines: string[]) => Buffer.from(lines.map((l) => `data: ${l}\r\n\r\n`).join(''), 'utf8');

function summarize(events: StreamEvent[]) {
  let text = '';
  let reasoning = '';
  const tools: Array<{ id: string; name: string; args: string; meta?: Record<string, unknown> }> = [];
  const byIndex = new Map<number, (typeof tools)[number]>();
  let finish: Extract<StreamEvent, { type: 'finish' }> | undefined;
  let open: number | undefined;
  for (const e of events) {
    if (e.type === 'text-start' || e.type === 'reasoning-start' || e.type === 'tool-call-start') {
      assert.equal(open, undefined, 'blocks come one at a time');
      open = e.index;
    }
    if (e.type === 'text-end' || e.type === 'reasoning-end' || e.type === 'tool-call-end') {
      assert.equal(open, e.index);
      open = undefined;
    }
    if (e.type === 'text-delta') text += e.text;
    if (e.type === 'reasoning-delta') reasoning += e.text;
    if (e.type === 'tool-call-start') {
      const t = { id: e.id, name: e.name, args: '', ...(e.providerMetadata ? { meta: e.providerMetadata } : {}) };
      tools.push(t);
      byIndex.set(e.index, t);
    }
    if (e.type === 'tool-call-delta') byIndex.get(e.index)!.args += e.argumentsDelta;
    if (e.type === 'finish') finish = e;
  }
  assert.equal(open, undefined, 'no block left open');
  return { text, reasoning, tools: tools.map((t) => ({ ...t, args: JSON.parse(t.args || '{}') })), finish };
}

/** What a recording (with whole function calls) says. */
function expectedFromChunks(lines: string[]) {
  let text = '';
  let reasoning = '';
  const calls: Array<{ name: string; args: unknown }> = [];
  let finishReason = '';
  let usage: any;
  for (const l of lines) {
    const c = JSON.parse(l);
    for (const p of c.candidates?.[0]?.content?.parts ?? []) {
      if (typeof p.text === 'string') {
        if (p.thought) reasoning += p.text;
        else text += p.text;
      }
      if (p.functionCall?.name && p.functionCall.willContinue !== true) calls.push({ name: p.functionCall.name, args: p.functionCall.args ?? {} });
    }
    if (c.candidates?.[0]?.finishReason) finishReason = c.candidates[0].finishReason;
    if (c.usageMetadata) usage = c.usageMetadata;
  }
  return { text, reasoning, calls, finishReason, usage };
}

describe('Gemini streamGenerateContent: recorded streams through both client dialects', { skip: SKIP }, () => {
  for (const file of ['google-text.chunks.txt', 'google-tool-call.chunks.txt', 'google-reasoning.chunks.txt', 'google-reasoning-gemini3.chunks.txt', 'google-tool-call-gemini3.chunks.txt']) {
    it(file, async () => {
      const lines = chunkLines(readFixture('gemini', file));
      const exp = expectedFromChunks(lines);
      for (const { dialect } of DIALECTS) {
        replay.server.reply({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: splitBytes(sse(lines), { seed: 11, max: 40 }) });
        const req = clientRequest(dialect, { stream: true, tools: true });
        const { events, error } = await collectEvents(await provider().send(req, callContext('gemini-3-pro-preview', KEY)));
        assert.equal(error, undefined);
        const got = summarize(events);
        assert.equal(got.text, exp.text);
        assert.deepEqual(got.tools.map((t) => ({ name: t.name, args: t.args })), exp.calls);
        for (const t of got.tools) assert.match(t.id, /^call_/);
        if (exp.calls.length > 0) assert.ok(got.tools[0]!.meta, 'the thought signature rides on the tool call');
        assert.equal(got.finish?.finishReason, exp.calls.length > 0 ? 'tool-calls' : 'stop');
        assert.equal(got.finish?.usage?.inputTokens, exp.usage.promptTokenCount);
        assert.equal(got.finish?.usage?.outputTokens, exp.usage.candidatesTokenCount + (exp.usage.thoughtsTokenCount ?? 0));
        assert.equal(got.finish?.usage?.reasoningTokens, exp.usage.thoughtsTokenCount);

        const out = encodeForClient(dialect, req, events);
        assert.equal(clientStreamText(dialect, out), exp.text);
        const data = sseData(out);
        if (dialect.id === 'openai-chat') {
          assert.deepEqual(data.map((d) => d.choices?.[0]?.finish_reason).filter(Boolean), [exp.calls.length ? 'tool_calls' : 'stop']);
          assert.equal(data.at(-1).usage.completion_tokens_details?.reasoning_tokens ?? exp.usage.thoughtsTokenCount, exp.usage.thoughtsTokenCount);
        } else {
          assert.equal(data.find((d) => d.type === 'message_delta').delta.stop_reason, exp.calls.length ? 'tool_use' : 'end_turn');
        }
        const sent = replay.server.seen.at(-1)!;
        assert.equal(sent.url, '/v1beta/models/gemini-3-pro-preview:streamGenerateContent?alt=sse');
        assert.equal(sent.headers['x-goog-api-key'], KEY);
        assert.equal(sent.headers.authorization, undefined);
      }
    });
  }

  const partial: Array<{ file: string; calls: Array<{ name: string; args: unknown }>; reasoning?: boolean }> = [
    { file: 'google-stream-tool-call-arguments.chunks.txt', calls: [{ name: 'getWeather', args: { location: 'Boston' } }, { name: 'getWeather', args: { location: 'San Francisco' } }] },
    {
      file: 'google-stream-no-args-tool-call.chunks.txt',
      reasoning: true,
      calls: [
        { name: 'read_theme', args: {} },
        { name: 'read_screen', args: { id: 'A' } },
        { name: 'read_screen', args: { id: 'B' } },
        { name: 'read_screen', args: { id: 'C' } },
      ],
    },
    {
      file: 'google-stream-tool-call-array-arguments-missing-terminal-function-call.chunks.txt',
      calls: [
        {
          name: 'writeItems',
          args: {
            operations: [
              { action: 'add', description: 'Fresh red apple', itemid: 'apple_001', price: 0.5 },
              { action: 'add', description: 'Ripe yellow banana', itemid: 'banana_001', price: 0.3 },
            ],
          },
        },
      ],
    },
  ];
  for (const p of partial) {
    it(`${p.file}: streamed function-call arguments are assembled`, async () => {
      const lines = chunkLines(readFixture('gemini', p.file));
      for (const { dialect } of DIALECTS) {
        replay.server.reply({ status: 200, body: splitBytes(sse(lines), { size: 7 }) });
        const req = clientRequest(dialect, { stream: true, tools: true });
        const { events } = await collectEvents(await provider().send(req, callContext('gemini-3.1-pro-preview', KEY)));
        const got = summarize(events);
        assert.deepEqual(got.tools.map((t) => ({ name: t.name, args: t.args })), p.calls);
        assert.equal(new Set(got.tools.map((t) => t.id)).size, got.tools.length, 'ids are unique');
        assert.equal(got.finish?.finishReason, 'tool-calls');
        if (p.reasoning) assert.match(got.reasoning, /Processing User Requests/);
        const data = sseData(encodeForClient(dialect, req, events));
        if (dialect.id === 'anthropic-messages') {
          const uses = data.filter((d) => d.type === 'content_block_start' && d.content_block.type === 'tool_use');
          assert.deepEqual(uses.map((u) => u.content_block.name), p.calls.map((c) => c.name));
        } else {
          const calls = new Map<number, { name: string; args: string }>();
          for (const d of data) {
            for (const tc of d.choices?.[0]?.delta?.tool_calls ?? []) {
              const c = calls.get(tc.index) ?? { name: '', args: '' };
              if (tc.function?.name) c.name = tc.function.name;
              c.args += tc.function?.arguments ?? '';
              calls.set(tc.index, c);
            }
          }
          assert.deepEqual([...calls.values()].map((c) => ({ name: c.name, args: JSON.parse(c.args) })), p.calls);
          assert.deepEqual(data.map((d) => d.choices?.[0]?.finish_reason).filter(Boolean), ['tool_calls']);
        }
      }
    });
  }

  it('google-vertex-stream-tool-call-arguments-nested: nested paths and split strings', async () => {
    const lines = chunkLines(readFixture('gemini', 'google-vertex-stream-tool-call-arguments-nested.1.chunks.txt'));
    replay.server.reply({ status: 200, body: splitBytes(sse(lines), { seed: 5, max: 200 }) });
    const { events } = await collectEvents(await provider().send(clientRequest(openAIChatDialect, { stream: true, tools: true }), callContext('gemini-3-pro', KEY)));
    const got = summarize(events);
    assert.equal(got.tools.length, 1);
    const args = got.tools[0]!.args as any;
    assert.equal(args.recipe.name, 'Lasagna');
    assert.equal(args.recipe.ingredients.length, 10);
    assert.deepEqual(args.recipe.ingredients[0], { amount: '16 oz', name: 'Lasagna noodles' });
    assert.equal(args.recipe.steps[1], 'Cook lasagna noodles according to package directions, drain and set aside.');
    assert.equal(args.recipe.steps[4], 'In a 9x13 baking dish, spread a thin layer of meat sauce.');
  });
});

describe('Gemini generateContent: recorded responses through both client dialects', { skip: SKIP }, () => {
  for (const file of ['google-text.json', 'google-tool-call.json', 'google-reasoning.json', 'google-reasoning-gemini3.json', 'google-tool-call-gemini3.json']) {
    it(file, async () => {
      const text = readFixture('gemini', file);
      const body = JSON.parse(text);
      const parts: any[] = body.candidates[0].content.parts;
      const expText = parts.filter((p) => typeof p.text === 'string' && !p.thought).map((p) => p.text).join('');
      const expCalls = parts.filter((p) => p.functionCall).map((p) => ({ name: p.functionCall.name, args: p.functionCall.args }));
      for (const { dialect } of DIALECTS) {
        replay.server.reply({ status: 200, body: text });
        const req = clientRequest(dialect, { tools: true, system: 'Be terse.' });
        const result = await provider().send(req, callContext('gemini-3-pro-preview', KEY));
        assert.equal(result.kind, 'response');
        if (result.kind !== 'response') return;
        const r = result.response;
        assert.equal(r.id, body.responseId);
        assert.equal(r.model, body.modelVersion);
        assert.equal(r.finishReason, expCalls.length ? 'tool-calls' : 'stop');
        assert.equal(r.usage.reasoningTokens, body.usageMetadata.thoughtsTokenCount);
        const client = formatForClient(dialect, req, r);
        if (dialect.id === 'openai-chat') {
          assert.equal(client.choices[0].message.content ?? '', expText);
          assert.deepEqual((client.choices[0].message.tool_calls ?? []).map((t: any) => ({ name: t.function.name, args: JSON.parse(t.function.arguments) })), expCalls);
          assert.equal(client.choices[0].finish_reason, expCalls.length ? 'tool_calls' : 'stop');
          assert.equal(client.usage.prompt_tokens, body.usageMetadata.promptTokenCount);
        } else {
          assert.equal(client.content.filter((b: any) => b.type === 'text').map((b: any) => b.text).join(''), expText);
          assert.deepEqual(client.content.filter((b: any) => b.type === 'tool_use').map((b: any) => ({ name: b.name, args: b.input })), expCalls);
          assert.equal(client.stop_reason, expCalls.length ? 'tool_use' : 'end_turn');
        }
        const sent = replay.server.seen.at(-1)!;
        assert.equal(sent.url, '/v1beta/models/gemini-3-pro-preview:generateContent');
        assert.deepEqual(sent.json.systemInstruction, { parts: [{ text: 'Be terse.' }] });
        assert.deepEqual(sent.json.tools, [
          { functionDeclarations: [{ name: 'weather', description: 'Weather in a city', parameters: { type: 'object', required: ['location'], properties: { location: { type: 'string' } } } }] },
        ]);
      }
    });
  }

  it('google-429-retry-info.json: 429 RESOURCE_EXHAUSTED → rate limited, retry delay from RetryInfo', async () => {
    replay.server.reply({ status: 429, body: readFixture('gemini', 'google-429-retry-info.json') });
    await assert.rejects(provider().send(clientRequest(openAIChatDialect), callContext('gemini-2.5-flash', KEY)), (e: unknown) => {
      assert.ok(e instanceof GatewayError);
      assert.equal(e.code, 'GW_ERR_UPSTREAM_RATE_LIMITED');
      assert.equal(e.retryAfterMs, 34400);
      assert.match(e.message, /RESOURCE_EXHAUSTED: You exceeded your current quota/);
      return true;
    });
  });
});

describe('Gemini request conversion and round trips', () => {
  const reply = (parts: unknown[], finishReason = 'STOP') =>
    JSON.stringify({ candidates: [{ content: { role: 'model', parts }, finishReason }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2 }, responseId: 'resp1', modelVersion: 'gemini-3-pro-preview' });

  it('maps generation config, tool choice, images (inline and file URLs), JSON schema output', async () => {
    replay.server.reply({ status: 200, body: reply([{ text: '{}' }]) });
    const req = openAIChatDialect.parseRequest({
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Describe' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.webp' } },
          ],
        },
      ],
      max_completion_tokens: 100,
      temperature: 1.5,
      top_p: 0.5,
      stop: ['X'],
      seed: 7,
      tools: [{ type: 'function', function: { name: 'a', parameters: { type: 'object', properties: { n: { type: ['integer', 'null'] } }, additionalProperties: false, $schema: 'x' } } }],
      tool_choice: { type: 'function', function: { name: 'a' } },
      response_format: { type: 'json_schema', json_schema: { name: 'r', schema: { type: 'object', properties: { ok: { type: 'boolean' } }, additionalProperties: false } } },
      reasoning_effort: 'low',
    });
    await provider().send(req, callContext('gemini-2.5-flash', KEY));
    const b = replay.server.seen[0]!.json;
    assert.deepEqual(b.contents, [
      { role: 'user', parts: [{ text: 'Describe' }, { inlineData: { mimeType: 'image/png', data: 'AAAA' } }, { fileData: { mimeType: 'image/webp', fileUri: 'https://example.com/cat.webp' } }] },
    ]);
    assert.deepEqual(b.generationConfig, {
      maxOutputTokens: 100,
      temperature: 1.5,
      topP: 0.5,
      stopSequences: ['X'],
      seed: 7,
      responseMimeType: 'application/json',
      responseSchema: { type: 'object', properties: { ok: { type: 'boolean' } } },
      thinkingConfig: { thinkingBudget: 1024, includeThoughts: true },
    });
    assert.deepEqual(b.tools[0].functionDeclarations[0].parameters, { type: 'object', properties: { n: { type: 'integer', nullable: true } } });
    assert.deepEqual(b.toolConfig, { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['a'] } });
  });

  it('tool round trip: synthesized ids, results matched by name, thought signature sent back', async () => {
    const p = provider();
    replay.server.reply({ status: 200, body: reply([{ functionCall: { name: 'weather', args: { location: 'Paris' } }, thoughtSignature: 'SIG-1' }]) });
    const first = await p.send(clientRequest(openAIChatDialect, { tools: true }), callContext('gemini-3-pro-preview', KEY));
    assert.ok(first.kind === 'response');
    const call = first.response.content[0]!;
    assert.ok(call.type === 'tool-call');
    assert.equal(call.id, 'call_resp1_0');
    assert.equal(first.response.finishReason, 'tool-calls');

    // The client sends the call back by id only (as the OpenAI SDK does).
    replay.server.reply({ status: 200, body: reply([{ text: 'Sunny' }]) });
    const second = openAIChatDialect.parseRequest({
      model: 'm',
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } }],
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: 'weather', arguments: call.arguments } }] },
        { role: 'tool', tool_call_id: call.id, content: '22C' },
      ],
    });
    await p.send(second, callContext('gemini-3-pro-preview', KEY));
    const b = replay.server.seen.at(-1)!.json;
    assert.deepEqual(b.contents, [
      { role: 'user', parts: [{ text: 'Weather?' }] },
      { role: 'model', parts: [{ functionCall: { name: 'weather', args: { location: 'Paris' } }, thoughtSignature: 'SIG-1' }] },
      { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { content: '22C' } } }] },
    ]);
  });

  it('a Gemini 3 function call with no known signature gets the documented placeholder', async () => {
    replay.server.reply({ status: 200, body: reply([{ text: 'ok' }]) });
    const req = anthropicMessagesDialect.parseRequest({
      model: 'm',
      max_tokens: 100,
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_from_elsewhere', name: 'f', input: { a: 1 } }, { type: 'tool_use', id: 'toolu_2', name: 'g', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_from_elsewhere', content: 'r1' }, { type: 'tool_result', tool_use_id: 'toolu_2', content: 'r2', is_error: true }] },
      ],
    });
    await provider().send(req, callContext('gemini-3-flash', KEY));
    const model = replay.server.seen.at(-1)!.json.contents[1];
    assert.equal(model.parts[0].thoughtSignature, SKIP_THOUGHT_SIGNATURE);
    assert.equal(model.parts[1].thoughtSignature, undefined, 'only the first call of a turn needs one');
    assert.deepEqual(replay.server.seen.at(-1)!.json.contents[2].parts, [
      { functionResponse: { name: 'f', response: { content: 'r1' } } },
      { functionResponse: { name: 'g', response: { error: 'r2' } } },
    ]);
  });

  it('an invalid API key (400 API_KEY_INVALID) is a key problem, not the client\'s', async () => {
    replay.server.reply({
      status: 400,
      body: JSON.stringify({ error: { code: 400, message: 'API key not valid.', status: 'INVALID_ARGUMENT', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }] } }),
    });
    await assert.rejects(provider().send(clientRequest(openAIChatDialect), callContext('gemini-2.5-flash', KEY)), (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_UPSTREAM_AUTH');
  });

  it('MAX_TOKENS maps to length; SAFETY to content-filter; a blocked prompt to content-filter', async () => {
    for (const [finish, expected] of [['MAX_TOKENS', 'length'], ['SAFETY', 'content-filter']] as const) {
      replay.server.reply({ status: 200, body: reply([{ text: 'cut' }], finish) });
      const r = await provider().send(clientRequest(openAIChatDialect), callContext('gemini-2.5-flash', KEY));
      assert.ok(r.kind === 'response');
      assert.equal(r.response.finishReason, expected);
    }
    replay.server.reply({ status: 200, body: JSON.stringify({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 4 } }) });
    const r = await provider().send(clientRequest(openAIChatDialect), callContext('gemini-2.5-flash', KEY));
    assert.ok(r.kind === 'response');
    assert.equal(r.response.finishReason, 'content-filter');
  });

  it('an error object inside the stream before content rejects (routing can fall back)', async () => {
    replay.server.reply({ status: 200, body: sse([JSON.stringify({ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } })]) });
    const result = await provider().send(clientRequest(openAIChatDialect, { stream: true }), callContext('gemini-2.5-flash', KEY));
    await assert.rejects(collectEvents(result), (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_UPSTREAM_OVERLOADED');
  });

  it('embeddings through batchEmbedContents, in input order', async () => {
    replay.server.reply({ status: 200, body: JSON.stringify({ embeddings: [{ values: [1, 2] }, { values: [3, 4] }] }) });
    const res = await provider().embed!({ model: 'x', input: { kind: 'text', texts: ['a', 'b'] }, encodingFormat: 'float', dimensions: 2, raw: {} }, callContext('gemini-embedding-001', KEY));
    assert.deepEqual(res.embeddings, [[1, 2], [3, 4]]);
    const sent = replay.server.seen[0]!;
    assert.equal(sent.url, '/v1beta/models/gemini-embedding-001:batchEmbedContents');
    assert.deepEqual(sent.json.requests[1], { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'b' }] }, outputDimensionality: 2 });
  });
});
