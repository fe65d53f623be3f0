/**
 * Recorded real provider traffic (../shared/fixtures) replayed as the upstream's answer — the mock
 * upstream serves a recording for `fixture:<folder>/<file>` models — through the real gateway to
 * the official SDKs of both dialects. Asserts what went upstream and what each client receives.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { fixturesRoot, fixturesSkip } from '../helpers/provider-replay.js';
import { ANTHROPIC_UPSTREAM_KEY, OPENAI_UPSTREAM_KEY, startStack } from '../helpers/stack.js';
import type { Stack } from '../helpers/stack.js';

const FIXTURES = fixturesRoot();
const skip = fixturesSkip('openai-chat') || fixturesSkip('anthropic');

const json = (f: string) => JSON.parse(readFileSync(join(FIXTURES, f), 'utf8'));
const chunks = (f: string) =>
  readFileSync(join(FIXTURES, f), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

let stack: Stack;
let openai: OpenAI;
let anthropic: Anthropic;

before(async () => {
  if (skip) return;
  stack = await startStack({
    mock: { fixturesDir: FIXTURES },
    config: (url) => ({
      server: { host: '127.0.0.1', port: 0 },
      providers: {
        // Whole responses as whole responses, so the .json recordings are what upstream sends.
        openai: { type: 'openai', base_url: `${url}/v1`, keys: [{ value: OPENAI_UPSTREAM_KEY }], stream_upstream: false },
        anthropic: { type: 'anthropic', base_url: url, keys: [{ value: ANTHROPIC_UPSTREAM_KEY }], stream_upstream: false },
        // The default: whole responses assembled from the upstream stream (.chunks.txt recordings).
        'openai-s': { type: 'openai', base_url: `${url}/v1`, keys: [{ value: OPENAI_UPSTREAM_KEY }] },
        'anthropic-s': { type: 'anthropic', base_url: url, keys: [{ value: ANTHROPIC_UPSTREAM_KEY }] },
      },
      logging: { level: 'silent' },
    }),
  });
  openai = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'client', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: `${stack.url}/anthropic`, apiKey: 'client', maxRetries: 0 });
});
after(() => stack?.close());

const lastUpstream = () => stack.mock.requests[stack.mock.requests.length - 1]!;

describe('OpenAI recordings', { skip }, () => {
  const expectedText = () => json('openai-chat/openai-text.json').choices[0].message.content as string;
  const streamedText = () =>
    chunks('openai-chat/openai-text.chunks.txt')
      .map((c) => c.choices[0]?.delta?.content ?? '')
      .join('');

  test('same dialect, whole response: the recorded body reaches the OpenAI client byte for byte', async () => {
    const res = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer client' },
      body: JSON.stringify({ model: 'openai/fixture:openai-chat/openai-text', messages: [{ role: 'user', content: 'Invent a holiday' }], seed: 7, logit_bias: { '50256': -100 } }),
    });
    assert.equal(await res.text(), readFileSync(join(FIXTURES, 'openai-chat/openai-text.json'), 'utf8'));
    const up = lastUpstream();
    assert.equal(up.path, '/v1/chat/completions');
    assert.equal(up.headers.authorization, `Bearer ${OPENAI_UPSTREAM_KEY}`);
    assert.equal(up.body.model, 'fixture:openai-chat/openai-text');
    assert.deepEqual(up.body.logit_bias, { '50256': -100 }, 'unknown-to-us fields pass untouched');
    assert.equal(up.body.seed, 7);
  });

  test('Anthropic client served by the recorded OpenAI response', async () => {
    const rec = json('openai-chat/openai-text.json');
    const msg = await anthropic.messages.create({ model: 'openai/fixture:openai-chat/openai-text', max_tokens: 400, messages: [{ role: 'user', content: 'Invent a holiday' }] });
    assert.equal((msg.content[0] as Anthropic.TextBlock).text, expectedText());
    assert.equal(msg.stop_reason, rec.choices[0].finish_reason === 'length' ? 'max_tokens' : 'end_turn');
    assert.equal(msg.usage.output_tokens, rec.usage.completion_tokens);
    assert.equal(lastUpstream().body.max_completion_tokens, 400, 'converted to OpenAI fields');
  });

  test('streams: the recorded chunks reach both SDKs as the same text and usage', async () => {
    const usage = chunks('openai-chat/openai-text.chunks.txt').find((c) => c.usage)?.usage;
    const s = await openai.chat.completions.create({ model: 'openai/fixture:openai-chat/openai-text', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'x' }] });
    let text = '';
    let gotUsage: OpenAI.CompletionUsage | undefined;
    for await (const c of s) {
      text += c.choices[0]?.delta.content ?? '';
      if (c.usage) gotUsage = c.usage;
    }
    assert.equal(text, streamedText());
    assert.equal(gotUsage?.completion_tokens, usage.completion_tokens);

    const a = await anthropic.messages.stream({ model: 'openai/fixture:openai-chat/openai-text', max_tokens: 400, messages: [{ role: 'user', content: 'x' }] }).finalMessage();
    assert.equal((a.content[0] as Anthropic.TextBlock).text, streamedText());
    assert.equal(a.usage.output_tokens, usage.completion_tokens);
    assert.equal(a.usage.input_tokens, usage.prompt_tokens);
  });

  test('a whole response assembled from the recorded stream (stream_upstream)', async () => {
    const r = await openai.chat.completions.create({ model: 'openai-s/fixture:openai-chat/openai-text', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(r.choices[0]!.message.content, streamedText());
    assert.equal(lastUpstream().body.stream, true);
  });

  test('a recorded upstream 400 reaches each client as a 400 in its own dialect, with the provider’s message', async () => {
    const rec = json('openai-chat/reasoning-model-legacy-parameter-error.json');
    await assert.rejects(openai.chat.completions.create({ model: 'openai/fixture:openai-chat/reasoning-model-legacy-parameter-error', messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.BadRequestError);
      assert.ok(e.message.includes(rec.error.message));
      return true;
    });
    await assert.rejects(anthropic.messages.create({ model: 'openai/fixture:openai-chat/reasoning-model-legacy-parameter-error', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => {
      assert.ok(e instanceof Anthropic.BadRequestError);
      assert.equal((e.error as any).error.type, 'invalid_request_error');
      return true;
    });
  });
});

describe('Anthropic recordings', { skip }, () => {
  test('same dialect, whole response: the recorded body reaches the Anthropic client byte for byte', async () => {
    const res = await fetch(`${stack.url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'client', 'anthropic-version': '2023-06-01', 'anthropic-beta': 'some-beta-2099' },
      body: JSON.stringify({ model: 'anthropic/fixture:anthropic/anthropic-text', max_tokens: 100, messages: [{ role: 'user', content: 'Hello' }], container: 'kept-as-sent' }),
    });
    assert.equal(await res.text(), readFileSync(join(FIXTURES, 'anthropic/anthropic-text.json'), 'utf8'));
    const up = lastUpstream();
    assert.equal(up.path, '/v1/messages');
    assert.equal(up.headers['x-api-key'], ANTHROPIC_UPSTREAM_KEY);
    assert.equal(up.headers['anthropic-beta'], 'some-beta-2099');
    assert.equal(up.body.container, 'kept-as-sent');
  });

  test('OpenAI client served by recorded Anthropic responses: text, tool call, usage', async () => {
    const rec = json('anthropic/anthropic-text.json');
    const r = await openai.chat.completions.create({ model: 'anthropic/fixture:anthropic/anthropic-text', messages: [{ role: 'user', content: 'Hello' }] });
    assert.equal(r.choices[0]!.message.content, rec.content[0].text);
    assert.equal(r.choices[0]!.finish_reason, 'stop');
    assert.equal(r.usage!.completion_tokens, rec.usage.output_tokens);

    const tool = json('anthropic/anthropic-tool-no-args.json');
    const t = await openai.chat.completions.create({ model: 'anthropic/fixture:anthropic/anthropic-tool-no-args', messages: [{ role: 'user', content: 'update' }] });
    assert.equal(t.choices[0]!.finish_reason, 'tool_calls');
    const call = t.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    assert.equal(call.function.name, tool.content[1].name);
    assert.equal(call.id, tool.content[1].id);
    assert.deepEqual(JSON.parse(call.function.arguments), {});
    assert.equal(t.choices[0]!.message.content, tool.content[0].text);
  });

  test('streams: recorded Anthropic streams reach both SDKs', async () => {
    const rec = chunks('anthropic/anthropic-tool-no-args.chunks.txt');
    const text = rec.filter((c) => c.delta?.type === 'text_delta').map((c) => c.delta.text).join('');
    const viaAnthropic = await anthropic.messages.stream({ model: 'anthropic/fixture:anthropic/anthropic-tool-no-args', max_tokens: 100, messages: [{ role: 'user', content: 'x' }] }).finalMessage();
    assert.equal((viaAnthropic.content[0] as Anthropic.TextBlock).text, text);
    assert.equal(viaAnthropic.stop_reason, 'tool_use');
    assert.equal((viaAnthropic.content[1] as Anthropic.ToolUseBlock).name, 'updateIssueList');

    const runner = openai.chat.completions.stream({ model: 'anthropic/fixture:anthropic/anthropic-tool-no-args', messages: [{ role: 'user', content: 'x' }] });
    const final = await runner.finalChatCompletion();
    assert.equal(final.choices[0]!.message.content, text);
    assert.equal(final.choices[0]!.finish_reason, 'tool_calls');
    const call = final.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    assert.equal(call.function.name, 'updateIssueList');
    assert.deepEqual(JSON.parse(call.function.arguments || '{}'), {});
  });

  test('recorded thinking and refusal streams map to each dialect', async () => {
    for (const name of ['anthropic-refusal', 'anthropic-clear-thinking.1']) {
      if (!existsSync(join(FIXTURES, `anthropic/${name}.chunks.txt`))) continue;
      const rec = chunks(`anthropic/${name}.chunks.txt`);
      const stop = rec.find((c) => c.type === 'message_delta')?.delta.stop_reason;
      const a = await anthropic.messages.stream({ model: `anthropic/fixture:anthropic/${name}`, max_tokens: 100, messages: [{ role: 'user', content: 'x' }] }).finalMessage();
      assert.equal(a.stop_reason, stop, name);
      const o = await openai.chat.completions.stream({ model: `anthropic/fixture:anthropic/${name}`, messages: [{ role: 'user', content: 'x' }] }).finalChatCompletion();
      const expectedFinish = stop === 'refusal' ? 'content_filter' : stop === 'tool_use' ? 'tool_calls' : stop === 'max_tokens' ? 'length' : 'stop';
      assert.equal(o.choices[0]!.finish_reason, expectedFinish, name);
    }
  });
});
