import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  callContext,
  chunkLines,
  clientRequest,
  clientStreamText,
  collectEvents,
  DIALECTS,
  encodeForClient,
  fixturesRoot,
  fixturesSkip,
  formatForClient,
  readFixture,
  sseData,
  splitBytes,
  useReplayServer,
} from '../../../test/helpers/provider-replay.js';
import { GatewayError } from '../../core/errors.js';
import type { StreamEvent } from '../../core/stream-event.js';
import { openAIChatDialect } from '../../dialects/openai-chat/index.js';
import type { ProviderAdapter } from '../provider-adapter.js';
import { createBedrockProvider } from './bedrock-provider.js';
import { encodeBedrockEvent, encodeBedrockException } from './event-stream-decoder.js';
import { mapBedrockFinishReason } from './map-bedrock-usage.js';

const SKIP = fixturesSkip('bedrock');
const MODEL = 'us.anthropic.claude-3-7-sonnet-20250219-v1:0';
const CREDS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

const replay = useReplayServer();

function provider(opts: { credentials?: typeof CREDS | undefined } = { credentials: CREDS }): ProviderAdapter {
  const p = createBedrockProvider({
    name: 'bedrock',
    region: 'us-west-2',
    baseUrl: replay.server.url,
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    connectTimeoutMs: 1000,
    maxConnections: 4,
  });
  replay.track(p);
  return p;
}

/** A recording's lines as binary event-stream frames. */
function framesOf(lines: string[]): Buffer {
  return Buffer.concat(
    lines.map((l) => {
      const obj = JSON.parse(l) as Record<string, unknown>;
      const [type, payload] = Object.entries(obj)[0]!;
      return encodeBedrockEvent(type, payload);
    }),
  );
}

/** What a recording says the answer is. */
function expectedFromChunks(lines: string[]) {
  let text = '';
  let reasoning = '';
  const tools: Array<{ id: string; name: string; input: string }> = [];
  let stopReason = '';
  let usage: any;
  for (const l of lines) {
    const o = JSON.parse(l);
    if (o.contentBlockDelta) {
      const d = o.contentBlockDelta.delta;
      if (typeof d.text === 'string') text += d.text;
      if (d.toolUse) tools[tools.length - 1]!.input += d.toolUse.input;
      if (d.reasoningContent?.text) reasoning += d.reasoningContent.text;
    }
    if (o.contentBlockStart?.start?.toolUse) tools.push({ id: o.contentBlockStart.start.toolUse.toolUseId, name: o.contentBlockStart.start.toolUse.name, input: '' });
    if (o.messageStop) stopReason = o.messageStop.stopReason;
    if (o.metadata) usage = o.metadata.usage;
  }
  return { text, reasoning, tools, stopReason, usage };
}

function summarize(events: StreamEvent[]) {
  let text = '';
  let reasoning = '';
  let signature = '';
  const tools: Array<{ id: string; name: string; input: string }> = [];
  const byIndex = new Map<number, { id: string; name: string; input: string }>();
  let finish: Extract<StreamEvent, { type: 'finish' }> | undefined;
  for (const e of events) {
    if (e.type === 'text-delta') text += e.text;
    if (e.type === 'reasoning-delta') reasoning += e.text;
    if (e.type === 'reasoning-signature') signature += e.signature;
    if (e.type === 'tool-call-start') {
      const t = { id: e.id, name: e.name, input: '' };
      tools.push(t);
      byIndex.set(e.index, t);
    }
    if (e.type === 'tool-call-delta') byIndex.get(e.index)!.input += e.argumentsDelta;
    if (e.type === 'finish') finish = e;
  }
  return { text, reasoning, signature, tools, finish };
}

/** Blocks open and close one at a time, every start has its end. */
function assertWellFormed(events: StreamEvent[]) {
  let open: number | undefined;
  for (const e of events) {
    if (e.type === 'text-start' || e.type === 'reasoning-start' || e.type === 'tool-call-start') {
      assert.equal(open, undefined, `block ${e.index} started while ${open} is open`);
      open = e.index;
    }
    if (e.type === 'text-end' || e.type === 'reasoning-end' || e.type === 'tool-call-end') {
      assert.equal(e.index, open);
      open = undefined;
    }
    if (e.type === 'text-delta' || e.type === 'reasoning-delta' || e.type === 'tool-call-delta') assert.equal(e.index, open, `${e.type} outside its block`);
  }
  assert.equal(open, undefined, 'a block was left open');
  assert.equal(events.filter((e) => e.type === 'finish').length, 1, 'one finish');
  assert.equal(events[0]!.type, 'start');
}

function assertSigned(headers: Record<string, string | string[] | undefined>) {
  assert.match(String(headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-west-2\/bedrock\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/);
  assert.match(String(headers['x-amz-date']), /^\d{8}T\d{6}Z$/);
}

const chunkFiles = SKIP ? [] : readdirSync(join(fixturesRoot(), 'bedrock')).filter((f) => f.endsWith('.chunks.txt'));
const jsonFiles = SKIP ? [] : readdirSync(join(fixturesRoot(), 'bedrock')).filter((f) => f.endsWith('.json'));

describe('Bedrock ConverseStream: recorded streams replayed through both client dialects', { skip: SKIP }, () => {
  for (const file of chunkFiles) {
    for (const split of [{ size: 1 }, { seed: 7, max: 50 }, { size: 100_000 }] as const) {
      const how = 'size' in split ? (split.size === 1 ? '1-byte chunks' : 'one chunk') : 'random chunks';
      it(`${file} (${how})`, async () => {
        const lines = chunkLines(readFixture('bedrock', file));
        const expected = expectedFromChunks(lines);
        replay.server.reply({ status: 200, headers: { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'req-1' }, body: splitBytes(framesOf(lines), split) });
        for (const { dialect } of DIALECTS) {
          const req = clientRequest(dialect, { stream: true, tools: true });
          const result = await provider().send(req, callContext(MODEL));
          const { events, error } = await collectEvents(result);
          assert.equal(error, undefined);
          assertWellFormed(events);
          const got = summarize(events);
          assert.equal(got.text, expected.text);
          assert.equal(got.reasoning, expected.reasoning);
          assert.deepEqual(
            got.tools.map((t) => ({ ...t, input: t.input })),
            expected.tools.map((t) => ({ ...t, input: t.input })),
          );
          assert.equal(got.finish?.rawFinishReason, expected.stopReason);
          assert.equal(got.finish?.finishReason, mapBedrockFinishReason(expected.stopReason));
          if (expected.usage) assert.equal(got.finish?.usage?.outputTokens, expected.usage.outputTokens);

          // What the client sees.
          const sse = encodeForClient(dialect, req, events);
          assert.equal(clientStreamText(dialect, sse), expected.text);
          const data = sseData(sse);
          if (dialect.id === 'openai-chat') {
            const names = data.flatMap((d) => d.choices?.[0]?.delta?.tool_calls ?? []).filter((t: any) => t.function?.name).map((t: any) => t.function.name);
            assert.deepEqual(names, expected.tools.map((t) => t.name));
            const finish = data.map((d) => d.choices?.[0]?.finish_reason).filter(Boolean);
            assert.deepEqual(finish, [expected.stopReason === 'tool_use' ? 'tool_calls' : 'stop']);
            if (expected.usage) assert.equal(data.at(-1).usage.completion_tokens, expected.usage.outputTokens);
          } else {
            const uses = data.filter((d) => d.type === 'content_block_start' && d.content_block.type === 'tool_use').map((d) => d.content_block.name);
            assert.deepEqual(uses, expected.tools.map((t) => t.name));
            const delta = data.find((d) => d.type === 'message_delta');
            assert.equal(delta.delta.stop_reason, expected.stopReason);
            assert.equal(data.at(-1).type, 'message_stop');
          }
        }
        const sent = replay.server.seen[0]!;
        assert.equal(sent.url, `/model/${encodeURIComponent(MODEL)}/converse-stream`);
        assert.match(sent.url, /v1%3A0\/converse-stream$/);
        assertSigned(sent.headers);
        assert.equal(sent.headers.accept, 'application/vnd.amazon.eventstream');
      });
    }
  }

  it('reasoning keeps its signature (amazon-bedrock-reasoning)', async () => {
    const lines = chunkLines(readFixture('bedrock', 'amazon-bedrock-reasoning.chunks.txt'));
    replay.server.reply({ status: 200, body: splitBytes(framesOf(lines), { seed: 3, max: 20 }) });
    const req = clientRequest(DIALECTS[1]!.dialect, { stream: true });
    const { events } = await collectEvents(await provider().send(req, callContext(MODEL)));
    const got = summarize(events);
    assert.match(got.signature, /^Ep0CCkgICxAB/);
    const sse = encodeForClient(DIALECTS[1]!.dialect, req, events);
    const sig = sseData(sse).find((d) => d.delta?.type === 'signature_delta');
    assert.equal(sig.delta.signature, got.signature);
  });
});

describe('Bedrock Converse: recorded responses replayed through both client dialects', { skip: SKIP }, () => {
  for (const file of jsonFiles) {
    it(file, async () => {
      const text = readFixture('bedrock', file);
      const body = JSON.parse(text);
      replay.server.reply({ status: 200, headers: { 'x-amzn-requestid': 'abc-123' }, body: text });
      const blocks: any[] = body.output.message.content;
      const expectedText = blocks.filter((b) => typeof b.text === 'string').map((b) => b.text).join('');
      const expectedTools = blocks.filter((b) => b.toolUse).map((b) => ({ id: b.toolUse.toolUseId, name: b.toolUse.name, input: b.toolUse.input }));
      for (const { dialect } of DIALECTS) {
        const req = clientRequest(dialect, { tools: true });
        const result = await provider().send(req, callContext(MODEL));
        assert.equal(result.kind, 'response');
        if (result.kind !== 'response') return;
        const r = result.response;
        assert.equal(r.id, 'msg_bedrock_abc-123');
        assert.equal(r.rawFinishReason, body.stopReason);
        assert.equal(r.usage.outputTokens, body.usage.outputTokens);
        assert.equal(r.usage.inputTokens, body.usage.inputTokens + (body.usage.cacheReadInputTokens ?? 0) + (body.usage.cacheWriteInputTokens ?? 0));
        const client = formatForClient(dialect, req, r);
        if (dialect.id === 'openai-chat') {
          assert.equal(client.choices[0].message.content ?? '', expectedText);
          const calls = (client.choices[0].message.tool_calls ?? []).map((t: any) => ({ id: t.id, name: t.function.name, input: JSON.parse(t.function.arguments) }));
          assert.deepEqual(calls, expectedTools);
          assert.equal(client.choices[0].finish_reason, body.stopReason === 'tool_use' ? 'tool_calls' : 'stop');
          assert.equal(client.usage.completion_tokens, body.usage.outputTokens);
        } else {
          assert.equal(client.content.filter((b: any) => b.type === 'text').map((b: any) => b.text).join(''), expectedText);
          assert.deepEqual(
            client.content.filter((b: any) => b.type === 'tool_use').map((b: any) => ({ id: b.id, name: b.name, input: b.input })),
            expectedTools,
          );
          assert.equal(client.stop_reason, body.stopReason);
          const thinking = client.content.find((b: any) => b.type === 'thinking');
          const reasoning = blocks.find((b) => b.reasoningContent)?.reasoningContent.reasoningText;
          if (reasoning) assert.deepEqual({ thinking: thinking.thinking, signature: thinking.signature }, { thinking: reasoning.text, signature: reasoning.signature });
        }
      }
      const sent = replay.server.seen[0]!;
      assert.equal(sent.url, '/model/us.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse');
      assertSigned(sent.headers);
      assert.equal(sent.headers['content-type'], 'application/json');
      assert.deepEqual(sent.json.toolConfig.tools[0], {
        toolSpec: { name: 'weather', description: 'Weather in a city', inputSchema: { json: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } } },
      });
    });
  }
});

describe('Bedrock request conversion', () => {
  const PNG = 'iVBORw0KGgo=';
  it('maps system, inference config, tools, tool choice, images, tool calls and results, reasoning', async () => {
    replay.server.reply({ status: 200, body: JSON.stringify({ output: { message: { role: 'assistant', content: [{ text: 'ok' }] } }, stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1 } }) });
    const req = openAIChatDialect.parseRequest({
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Look' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"location":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '22C' },
      ],
      max_tokens: 300,
      temperature: 0.5,
      top_p: 0.9,
      stop: ['END'],
      seed: 4,
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } }],
      tool_choice: 'required',
    });
    const result = await provider().send(req, callContext('anthropic.claude-3-haiku-20240307-v1:0'));
    assert.deepEqual(result.unmapped, ['seed']);
    const body = replay.server.seen[0]!.json;
    assert.deepEqual(body.system, [{ text: 'Be brief.' }]);
    assert.deepEqual(body.inferenceConfig, { maxTokens: 300, temperature: 0.5, topP: 0.9, stopSequences: ['END'] });
    assert.deepEqual(body.toolConfig.toolChoice, { any: {} });
    assert.deepEqual(body.messages, [
      { role: 'user', content: [{ text: 'Look' }, { image: { format: 'png', source: { bytes: PNG } } }] },
      { role: 'assistant', content: [{ toolUse: { toolUseId: 'call_1', name: 'weather', input: { location: 'Paris' } } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 'call_1', content: [{ text: '22C' }], status: 'success' } }] },
    ]);
  });

  it('sends Anthropic thinking blocks back as reasoningContent and the budget as additionalModelRequestFields', async () => {
    replay.server.reply({ status: 200, body: JSON.stringify({ output: { message: { role: 'assistant', content: [{ text: 'ok' }] } }, stopReason: 'end_turn', usage: {} }) });
    const req = DIALECTS[1]!.dialect.parseRequest({
      model: 'm',
      max_tokens: 8000,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      tool_choice: { type: 'tool', name: 'weather' },
      tools: [{ name: 'weather', input_schema: { type: 'object', properties: {} } }],
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: 'sig==' }, { type: 'redacted_thinking', data: 'xyz' }, { type: 'text', text: 'Hello' }] },
        { role: 'user', content: 'Again' },
      ],
    });
    await provider().send(req, callContext(MODEL));
    const body = replay.server.seen[0]!.json;
    assert.deepEqual(body.additionalModelRequestFields, { thinking: { type: 'enabled', budget_tokens: 2048 } });
    assert.deepEqual(body.toolConfig.toolChoice, { tool: { name: 'weather' } });
    assert.deepEqual(body.messages[1].content, [
      { reasoningContent: { reasoningText: { text: 'hmm', signature: 'sig==' } } },
      { reasoningContent: { redactedContent: 'xyz' } },
      { text: 'Hello' },
    ]);
  });

  it('declares the tools a conversation used when the client sent none (Converse requires toolConfig)', async () => {
    replay.server.reply({ status: 200, body: JSON.stringify({ output: { message: { role: 'assistant', content: [{ text: 'ok' }] } }, stopReason: 'end_turn', usage: {} }) });
    const req = openAIChatDialect.parseRequest({
      model: 'm',
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'y' },
      ],
    });
    await provider().send(req, callContext(MODEL));
    assert.deepEqual(replay.server.seen[0]!.json.toolConfig, { tools: [{ toolSpec: { name: 'lookup', inputSchema: { json: { type: 'object', properties: {} } } } }] });
  });

  it('refuses image URLs with a retryable GW_ERR_UNSUPPORTED naming them, before any upstream call', async () => {
    const req = openAIChatDialect.parseRequest({
      model: 'm',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
    });
    await assert.rejects(provider().send(req, callContext(MODEL)), (e: unknown) => {
      assert.ok(e instanceof GatewayError);
      assert.equal(e.code, 'GW_ERR_UNSUPPORTED');
      assert.equal(e.status, 400);
      assert.equal(e.retryable, true);
      assert.match(e.message, /image URLs are not supported/);
      return true;
    });
    assert.equal(replay.server.seen.length, 0);
  });

  it('uses a Bedrock API key as a bearer token instead of SigV4', async () => {
    replay.server.reply({ status: 200, body: JSON.stringify({ output: { message: { role: 'assistant', content: [{ text: 'ok' }] } }, stopReason: 'end_turn', usage: {} }) });
    await provider({ credentials: undefined }).send(clientRequest(openAIChatDialect), callContext(MODEL, 'bedrock-api-key-123'));
    assert.equal(replay.server.seen[0]!.headers.authorization, 'Bearer bedrock-api-key-123');
    assert.equal(replay.server.seen[0]!.headers['x-amz-date'], undefined);
  });

  it('signs with the AWS default chain when no credentials are configured (from the environment)', async () => {
    const names = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;
    const saved = names.map((n) => process.env[n]);
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMENV';
    process.env.AWS_SECRET_ACCESS_KEY = 'secretfromenv';
    process.env.AWS_SESSION_TOKEN = 'session-token-from-env';
    try {
      replay.server.reply({ status: 200, body: JSON.stringify({ output: { message: { role: 'assistant', content: [{ text: 'ok' }] } }, stopReason: 'end_turn', usage: {} }) });
      await provider({ credentials: undefined }).send(clientRequest(openAIChatDialect), callContext(MODEL));
      assert.match(String(replay.server.seen[0]!.headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIDFROMENV\//);
      assert.equal(replay.server.seen[0]!.headers['x-amz-security-token'], 'session-token-from-env');
    } finally {
      names.forEach((n, i) => {
        if (saved[i] === undefined) delete process.env[n];
        else process.env[n] = saved[i];
      });
    }
  });
});

describe('Bedrock errors', () => {
  const cases: Array<{ name: string; status: number; headers?: Record<string, string>; body: string; code: string; retryable: boolean }> = [
    { name: 'ThrottlingException (header)', status: 429, headers: { 'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/' }, body: '{"message":"Too many requests"}', code: 'GW_ERR_UPSTREAM_RATE_LIMITED', retryable: true },
    { name: 'ServiceUnavailableException', status: 503, body: '{"__type":"ServiceUnavailableException","message":"busy"}', code: 'GW_ERR_UPSTREAM_OVERLOADED', retryable: true },
    { name: 'ModelNotReadyException', status: 429, body: '{"__type":"com.amazon.bedrock#ModelNotReadyException","message":"warming"}', code: 'GW_ERR_UPSTREAM_OVERLOADED', retryable: true },
    { name: 'ValidationException', status: 400, headers: { 'x-amzn-errortype': 'ValidationException' }, body: '{"message":"bad input"}', code: 'GW_ERR_UPSTREAM_BAD_REQUEST', retryable: false },
    { name: 'AccessDeniedException', status: 403, headers: { 'x-amzn-errortype': 'AccessDeniedException' }, body: '{"Message":"no access"}', code: 'GW_ERR_UPSTREAM_AUTH', retryable: true },
    { name: 'ResourceNotFoundException', status: 404, headers: { 'x-amzn-errortype': 'ResourceNotFoundException' }, body: '{"message":"no model"}', code: 'GW_ERR_UPSTREAM_NOT_FOUND', retryable: false },
    { name: 'ModelStreamErrorException', status: 424, headers: { 'x-amzn-errortype': 'ModelStreamErrorException' }, body: '{"message":"model broke"}', code: 'GW_ERR_UPSTREAM_ERROR', retryable: true },
    { name: 'InternalServerException', status: 500, body: '{"message":"oops"}', code: 'GW_ERR_UPSTREAM_ERROR', retryable: true },
  ];
  for (const c of cases) {
    it(`HTTP ${c.status} ${c.name} → ${c.code}`, async () => {
      replay.server.reply({ status: c.status, ...(c.headers ? { headers: c.headers } : {}), body: c.body });
      await assert.rejects(provider().send(clientRequest(openAIChatDialect), callContext(MODEL)), (e: unknown) => {
        assert.ok(e instanceof GatewayError);
        assert.equal(e.code, c.code);
        assert.equal(e.retryable, c.retryable);
        assert.equal(e.upstreamStatus, c.status);
        assert.match(e.message, /^bedrock: /);
        return true;
      });
    });
  }

  it('an exception frame before any content rejects with a retryable error (routing can fall back)', async () => {
    replay.server.reply({ status: 200, body: splitBytes(Buffer.concat([encodeBedrockEvent('messageStart', { role: 'assistant' }), encodeBedrockException('throttlingException', 'Too many tokens')]), { size: 3 }) });
    const result = await provider().send(clientRequest(openAIChatDialect, { stream: true }), callContext(MODEL));
    await assert.rejects(collectEvents(result), (e: unknown) => {
      assert.ok(e instanceof GatewayError);
      assert.equal(e.code, 'GW_ERR_UPSTREAM_RATE_LIMITED');
      assert.equal(e.retryable, true);
      assert.match(e.message, /ThrottlingException: Too many tokens/);
      return true;
    });
  });

  it('an exception frame after content becomes an error event in the stream', async () => {
    replay.server.reply({
      status: 200,
      body: [
        Buffer.from(encodeBedrockEvent('messageStart', { role: 'assistant' })),
        Buffer.from(encodeBedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } })),
        Buffer.from(encodeBedrockException('modelStreamErrorException', 'model crashed')),
        Buffer.from(encodeBedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'never' } })),
      ],
    });
    const req = clientRequest(openAIChatDialect, { stream: true });
    const { events } = await collectEvents(await provider().send(req, callContext(MODEL)));
    const err = events.find((e) => e.type === 'error');
    assert.ok(err && err.type === 'error');
    assert.equal(err.error.code, 'GW_ERR_UPSTREAM_ERROR');
    assert.ok(!events.some((e) => e.type === 'text-delta' && e.text === 'never'));
  });

  it('a stream cut before messageStop is an interrupted stream', async () => {
    replay.server.reply({ status: 200, body: [Buffer.from(encodeBedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } }))] });
    const { error } = await collectEvents(await provider().send(clientRequest(openAIChatDialect, { stream: true }), callContext(MODEL)));
    assert.equal(error?.code, 'GW_ERR_STREAM_INTERRUPTED');
  });
});

describe('Bedrock embeddings', () => {
  it('Titan v2: one InvokeModel per input, dimensions, token counts summed', async () => {
    replay.server.reply(
      { status: 200, body: JSON.stringify({ embedding: [0.1, 0.2], inputTextTokenCount: 3 }) },
      { status: 200, body: JSON.stringify({ embedding: [0.3, 0.4], inputTextTokenCount: 5 }) },
    );
    const res = await provider().embed!({ model: 'x', input: { kind: 'text', texts: ['a b c', 'd e f g h'] }, encodingFormat: 'float', dimensions: 256, raw: {} }, callContext('amazon.titan-embed-text-v2:0'));
    assert.equal(res.embeddings.length, 2);
    assert.equal(res.usage.inputTokens, 8);
    const urls = replay.server.seen.map((s) => s.url);
    assert.deepEqual(urls, ['/model/amazon.titan-embed-text-v2%3A0/invoke', '/model/amazon.titan-embed-text-v2%3A0/invoke']);
    assert.deepEqual(replay.server.seen.map((s) => s.json).sort((a, b) => a.inputText.localeCompare(b.inputText)), [
      { inputText: 'a b c', dimensions: 256 },
      { inputText: 'd e f g h', dimensions: 256 },
    ]);
    assertSigned(replay.server.seen[0]!.headers);
  });

  it('Cohere: texts in one call, embeddings by type, usage from x-amzn-bedrock-input-token-count', async () => {
    replay.server.reply({ status: 200, headers: { 'x-amzn-bedrock-input-token-count': '7' }, body: JSON.stringify({ id: 'x', embeddings: { float: [[1, 2], [3, 4]] }, response_type: 'embeddings_by_type' }) });
    const res = await provider().embed!({ model: 'x', input: { kind: 'text', texts: ['a', 'b'] }, encodingFormat: 'float', raw: {} }, callContext('cohere.embed-english-v3'));
    assert.deepEqual(res.embeddings, [[1, 2], [3, 4]]);
    assert.equal(res.usage.inputTokens, 7);
    assert.deepEqual(replay.server.seen[0]!.json, { texts: ['a', 'b'], input_type: 'search_document', embedding_types: ['float'] });
  });

  it('Cohere embeddings_by_type response (recorded, cohere/cohere-embedding.json)', { skip: fixturesSkip('cohere') }, async () => {
    const text = readFixture('cohere', 'cohere-embedding.json');
    replay.server.reply({ status: 200, body: text });
    const res = await provider().embed!({ model: 'x', input: { kind: 'text', texts: ['sunny day at the beach', 'rainy day in the city'] }, encodingFormat: 'float', raw: {} }, callContext('cohere.embed-v4:0'));
    assert.deepEqual(res.embeddings, JSON.parse(text).embeddings.float);
    assert.equal(res.usage.inputTokens, 10, 'billed_units when the header is absent');
  });

  it('a chat model is GW_ERR_UNSUPPORTED for embeddings', async () => {
    await assert.rejects(
      provider().embed!({ model: 'x', input: { kind: 'text', texts: ['a'] }, encodingFormat: 'float', raw: {} }, callContext(MODEL)),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_UNSUPPORTED' && /not an embeddings model/.test(e.message),
    );
  });
});

describe('Bedrock configuration', () => {
  const base = { name: 'aws', connectTimeoutMs: 1000, maxConnections: 4 };

  it('a region that is not an AWS region name fails when the provider is built, naming the path and not the value', () => {
    for (const region of ['us east 1', 'US-EAST-1', 'us-east', 'useast1', 'bedrock-runtime.us-east-1.amazonaws.com']) {
      assert.throws(
        () => createBedrockProvider({ ...base, region, env: {} }),
        (e: unknown) => e instanceof Error && e.message === 'providers.aws.region: not an AWS region name; write it like us-east-1 or eu-central-1',
        region,
      );
    }
  });

  it('says so when the malformed region came from the environment', () => {
    assert.throws(
      () => createBedrockProvider({ ...base, env: { AWS_REGION: 'frankfurt' } }),
      (e: unknown) => e instanceof Error && /^providers\.aws\.region: not an AWS region name \(read from AWS_REGION/.test(e.message) && !e.message.includes('frankfurt'),
    );
  });

  it('accepts the region names AWS uses', async () => {
    for (const region of ['us-east-1', 'eu-central-2', 'ap-southeast-7', 'us-gov-west-1', 'cn-northwest-1', 'us-isob-east-1']) {
      await createBedrockProvider({ ...base, region, env: {} }).close();
    }
  });

  it('without a region or base_url it names the ways to set one', () => {
    assert.throws(() => createBedrockProvider({ ...base, env: {} }), /^Error: providers\.aws\.region: required for type bedrock \(or set base_url, or AWS_REGION in the environment\)$/);
  });
});
