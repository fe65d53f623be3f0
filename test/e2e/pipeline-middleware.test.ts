/**
 * The request pipeline with fake middleware, through the real server and the official SDKs: a
 * middleware refuses, answers with JSON, answers with a stream of canonical events (each SDK reads
 * it as a normal stream), rewrites the request, loops over next(), and taps a stream.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { GatewayError } from '../../src/core/errors.js';
import type { CoreResponse } from '../../src/core/response.js';
import type { StreamEvent } from '../../src/core/stream-event.js';
import type { Middleware } from '../../src/pipeline/compose.js';
import { responseToEvents, streamFromEvents, tapStream } from '../../src/pipeline/event-stream.js';
import type { StreamEnd } from '../../src/pipeline/event-stream.js';
import type { GatewayPlugin, RequestRecord } from '../../src/plugins/plugin.js';
import { startStack } from '../helpers/stack.js';
import type { Stack } from '../helpers/stack.js';

const canned: CoreResponse = {
  id: 'resp_canned',
  model: 'canned-model',
  content: [
    { type: 'text', text: 'Answered by a middleware.' },
    { type: 'tool-call', id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' },
  ],
  finishReason: 'tool-calls',
  usage: { inputTokens: 7, outputTokens: 5 },
};

const records: RequestRecord[] = [];
const recorder: GatewayPlugin = { name: 'recorder', onRequestEnd: (r) => void records.push(r) };
const tapped: { events: StreamEvent[]; ends: StreamEnd[] } = { events: [], ends: [] };

/** One fake middleware whose behaviour the test picks with the x-test-mw header. */
const fake: Middleware = async (ctx, next) => {
  const mode = ctx.headers['x-test-mw'];
  if (ctx.kind !== 'chat' || typeof mode !== 'string') return next();
  switch (mode) {
    case 'refuse':
      throw new GatewayError('GW_ERR_UNAUTHORIZED', 'refused by a test middleware');
    case 'answer':
      ctx.responseHeaders['x-test-answered'] = 'yes';
      return ctx.request.stream ? { kind: 'stream', stream: streamFromEvents(responseToEvents(canned)) } : { kind: 'response', response: canned };
    case 'rewrite':
      ctx.rewrite({ ...ctx.request, system: [{ type: 'text', text: 'rewritten system prompt' }] });
      return next();
    case 'loop': {
      await next();
      return next();
    }
    case 'tap': {
      const r = await next();
      if (r.kind !== 'stream') return r;
      return { ...r, stream: tapStream(r.stream, { event: (e) => void tapped.events.push(e), done: (end) => void tapped.ends.push(end) }) };
    }
    default:
      return next();
  }
};

let stack: Stack;
let openai: (mode: string) => OpenAI;
let anthropic: (mode: string) => Anthropic;

before(async () => {
  stack = await startStack({ start: { middleware: [() => fake], plugins: [recorder] } });
  openai = (mode) => new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'k', maxRetries: 0, defaultHeaders: { 'x-test-mw': mode } });
  anthropic = (mode) => new Anthropic({ baseURL: `${stack.url}/anthropic`, apiKey: 'k', maxRetries: 0, defaultHeaders: { 'x-test-mw': mode } });
});
after(() => stack.close());
beforeEach(() => {
  stack.mock.reset();
  records.length = 0;
  tapped.events.length = 0;
  tapped.ends.length = 0;
});

const ask = { model: 'openai/gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Hello' }] };
const askAnthropic = { model: 'anthropic/claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user' as const, content: 'Hello' }] };

test('a refusal reaches each SDK as its own typed error, and nothing goes upstream', async () => {
  await assert.rejects(openai('refuse').chat.completions.create(ask), (e: unknown) => e instanceof OpenAI.AuthenticationError && /refused by a test middleware/.test(e.message));
  await assert.rejects(anthropic('refuse').messages.create(askAnthropic), (e: unknown) => e instanceof Anthropic.AuthenticationError && /refused by a test middleware/.test(e.message));
  assert.equal(stack.mock.requests.length, 0);
  assert.deepEqual(records.map((r) => [r.status, r.errorCode]), [[401, 'GW_ERR_UNAUTHORIZED'], [401, 'GW_ERR_UNAUTHORIZED']]);
});

test('a JSON answer from a middleware: both SDKs parse it, no upstream call', async () => {
  const res = await openai('answer').chat.completions.create(ask).withResponse();
  assert.equal(res.data.choices[0]!.message.content, 'Answered by a middleware.');
  assert.equal(res.data.choices[0]!.message.tool_calls?.[0]?.type === 'function' && res.data.choices[0]!.message.tool_calls[0].function.name, 'lookup');
  assert.equal(res.data.choices[0]!.finish_reason, 'tool_calls');
  assert.equal(res.response.headers.get('x-test-answered'), 'yes');
  const msg = await anthropic('answer').messages.create(askAnthropic);
  assert.deepEqual(msg.content.map((b) => b.type), ['text', 'tool_use']);
  assert.equal(msg.stop_reason, 'tool_use');
  assert.equal(msg.usage.output_tokens, 5);
  assert.equal(stack.mock.requests.length, 0);
});

test('a stream answered by a middleware reads as a normal stream in both SDKs', async () => {
  const stream = await openai('answer').chat.completions.create({ ...ask, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let args = '';
  let finish: string | null = null;
  let usage: OpenAI.CompletionUsage | undefined | null;
  for await (const chunk of stream) {
    const c = chunk.choices[0];
    text += c?.delta.content ?? '';
    args += c?.delta.tool_calls?.[0]?.function?.arguments ?? '';
    finish = c?.finish_reason ?? finish;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text, 'Answered by a middleware.');
  assert.equal(args, '{"q":"x"}');
  assert.equal(finish, 'tool_calls');
  assert.equal(usage?.completion_tokens, 5);

  const s = anthropic('answer').messages.stream(askAnthropic);
  const final = await s.finalMessage();
  assert.equal(final.content[0]!.type === 'text' && final.content[0].text, 'Answered by a middleware.');
  assert.deepEqual(final.content[1]!.type === 'tool_use' && final.content[1].input, { q: 'x' });
  assert.equal(final.stop_reason, 'tool_use');
  assert.equal(stack.mock.requests.length, 0);
});

test('a rewrite reaches the upstream and turns raw passthrough off, visibly in the record', async () => {
  // An unknown top-level field is forwarded untouched by raw passthrough; after a rewrite it is not.
  await openai('none').chat.completions.create({ ...ask, ...({ x_unknown_field: 1 } as object) });
  assert.equal((stack.mock.requests[0]!.body as Record<string, unknown>).x_unknown_field, 1);
  stack.mock.reset();
  const res = await openai('rewrite').chat.completions.create({ ...ask, ...({ x_unknown_field: 1 } as object) });
  assert.ok(res.choices[0]!.message.content);
  const body = stack.mock.requests[0]!.body as { messages: Array<{ role: string; content: unknown }>; x_unknown_field?: unknown };
  assert.equal(body.x_unknown_field, undefined);
  assert.deepEqual(body.messages[0], { role: 'system', content: 'rewritten system prompt' });
  assert.equal(records.at(-1)!.rewritten, true);

  stack.mock.reset();
  const streamed = await anthropic('rewrite').messages.stream(askAnthropic).finalMessage();
  assert.ok(streamed.content.length > 0);
  assert.equal((stack.mock.requests[0]!.body as { system?: unknown }).system !== undefined, true);
});

test('a middleware that calls next() twice makes two upstream calls, and the record has both attempts', async () => {
  const res = await openai('loop').chat.completions.create(ask);
  assert.ok(res.choices[0]!.message.content);
  assert.equal(stack.mock.requests.length, 2);
  assert.equal(records.at(-1)!.attempts.length, 2);
  assert.equal(records.length, 1);
});

test('a tap sees every canonical event of a passthrough stream and how it ended', async () => {
  let text = '';
  const stream = await openai('tap').chat.completions.create({ ...ask, stream: true });
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  assert.ok(text.length > 0);
  const tappedText = tapped.events.flatMap((e) => (e.type === 'text-delta' ? [e.text] : [])).join('');
  assert.equal(tappedText, text);
  assert.ok(tapped.events.some((e) => e.type === 'finish'));
  assert.deepEqual(tapped.ends, [{ kind: 'end' }]);
});
