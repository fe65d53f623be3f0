/**
 * The drop-in promise: the official OpenAI and Anthropic SDKs, with only their base URL changed,
 * against every upstream type — text, streams, tool-call round trips, system prompts, multi-turn,
 * images and usage.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { ANTHROPIC_UPSTREAM_KEY, OPENAI_UPSTREAM_KEY, startStack } from '../helpers/stack.js';
import type { Stack } from '../helpers/stack.js';
import { anthropicToolRoundTrip, openAIToolRoundTrip } from '../helpers/tool-round-trips.js';

const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const UPSTREAMS = [
  { name: 'openai', model: 'openai/gpt-4o-mini', path: '/v1/chat/completions', key: OPENAI_UPSTREAM_KEY },
  { name: 'anthropic', model: 'anthropic/claude-sonnet-4-6', path: '/v1/messages', key: ANTHROPIC_UPSTREAM_KEY },
] as const;

let stack: Stack;
let openai: OpenAI;
let anthropic: Anthropic;

before(async () => {
  stack = await startStack();
  openai = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'client-key-not-forwarded', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: `${stack.url}/anthropic`, apiKey: 'client-key-not-forwarded', maxRetries: 0 });
});
after(async () => {
  await stack.close();
});

function lastUpstream(path: string) {
  const r = [...stack.mock.requests].reverse().find((x) => x.path === path);
  assert.ok(r, `no upstream request to ${path}`);
  return r;
}

function assertUpstreamAuth(up: (typeof UPSTREAMS)[number]) {
  const r = lastUpstream(up.path);
  const sent = JSON.stringify(r.headers);
  assert.ok(sent.includes(up.key), 'the configured provider key goes upstream');
  assert.ok(!sent.includes('client-key-not-forwarded'), 'the client key never goes upstream');
}


for (const up of UPSTREAMS) {
  describe(`OpenAI SDK → ${up.name} upstream`, () => {
    test('non-stream text with system prompt and usage', async () => {
      const res = await openai.chat.completions.create({
        model: up.model,
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Hello there' },
        ],
      });
      assert.equal(res.choices[0]!.message.content, '[system: You are terse.] mock reply to: Hello there');
      assert.equal(res.choices[0]!.finish_reason, 'stop');
      assert.ok(res.usage!.prompt_tokens > 0);
      assert.ok(res.usage!.completion_tokens > 0);
      assert.equal(res.usage!.total_tokens, res.usage!.prompt_tokens + res.usage!.completion_tokens);
      assertUpstreamAuth(up);
      assert.equal(lastUpstream(up.path).body.model, up.model.split('/')[1]);
    });

    test('stream text with usage chunk', async () => {
      const stream = await openai.chat.completions.create({
        model: up.model,
        messages: [{ role: 'user', content: 'Count to three please' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let finish: string | null = null;
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) usage = chunk.usage;
      }
      assert.equal(text, 'mock reply to: Count to three please');
      assert.equal(finish, 'stop');
      assert.ok(usage && usage.completion_tokens > 0 && usage.prompt_tokens > 0);
    });

    test('stream without include_usage sends no usage chunk', async () => {
      const stream = await openai.chat.completions.create({ model: up.model, messages: [{ role: 'user', content: 'Hi' }], stream: true });
      for await (const chunk of stream) assert.ok(!chunk.usage, 'no usage chunk unless asked');
    });

    for (const streaming of [false, true]) {
      test(`tool call round trip (${streaming ? 'stream' : 'non-stream'})`, async () => {
        await openAIToolRoundTrip(openai, up.model, streaming);
      });
    }

    test('multi-turn and images (base64 and URL)', async () => {
      const res = await openai.chat.completions.create({
        model: up.model,
        messages: [
          { role: 'user', content: 'First question' },
          { role: 'assistant', content: 'First answer' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in these?' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_1PX}` } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
            ],
          },
        ],
      });
      assert.equal(res.choices[0]!.message.content, 'mock reply to: What is in these? [images: 2]');
      const body = lastUpstream(up.path).body;
      assert.equal(body.messages.filter((m: { role: string }) => m.role !== 'system').length, 3);
    });
  });

  describe(`Anthropic SDK → ${up.name} upstream`, () => {
    test('non-stream text with system prompt and usage', async () => {
      const res = await anthropic.messages.create({
        model: up.model,
        max_tokens: 200,
        system: 'You are terse.',
        messages: [{ role: 'user', content: 'Hello there' }],
      });
      assert.equal(res.type, 'message');
      assert.equal(res.content.length, 1);
      assert.equal((res.content[0] as Anthropic.TextBlock).text, '[system: You are terse.] mock reply to: Hello there');
      assert.equal(res.stop_reason, 'end_turn');
      assert.ok(res.usage.input_tokens > 0 && res.usage.output_tokens > 0);
      assertUpstreamAuth(up);
    });

    test('stream text, final message and usage', async () => {
      const stream = anthropic.messages.stream({ model: up.model, max_tokens: 200, messages: [{ role: 'user', content: 'Count to three please' }] });
      let text = '';
      stream.on('text', (t) => (text += t));
      const final = await stream.finalMessage();
      assert.equal(text, 'mock reply to: Count to three please');
      assert.equal((final.content[0] as Anthropic.TextBlock).text, text);
      assert.equal(final.stop_reason, 'end_turn');
      assert.ok(final.usage.output_tokens > 0);
      assert.ok(final.usage.input_tokens > 0, 'input tokens reach the client');
    });

    test('max_tokens truncation maps to max_tokens stop reason', async () => {
      const res = await anthropic.messages.create({ model: up.model, max_tokens: 2, messages: [{ role: 'user', content: 'Tell me a long story' }] });
      assert.equal(res.stop_reason, 'max_tokens');
    });

    for (const streaming of [false, true]) {
      test(`tool call round trip (${streaming ? 'stream' : 'non-stream'})`, async () => {
        await anthropicToolRoundTrip(anthropic, up.model, streaming);
      });
    }

    test('multi-turn and images (base64 and URL)', async () => {
      const res = await anthropic.messages.create({
        model: up.model,
        max_tokens: 200,
        messages: [
          { role: 'user', content: 'First question' },
          { role: 'assistant', content: 'First answer' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in these?' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_1PX } },
              { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
            ],
          },
        ],
      });
      assert.equal((res.content[0] as Anthropic.TextBlock).text, 'mock reply to: What is in these? [images: 2]');
    });
  });
}

describe('routing by alias and errors', () => {
  test('an alias routes to its first target and says so in headers', async () => {
    const { data, response } = await openai.chat.completions
      .create({ model: 'review-model', messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    assert.equal(data.choices[0]!.message.content, 'mock reply to: Hi');
    assert.equal(response.headers.get('x-switchyard-provider'), 'anthropic');
    assert.equal(response.headers.get('x-switchyard-model'), 'claude-sonnet-4-6');
    assert.equal(response.headers.get('x-switchyard-fallback-index'), '0');
    assert.equal(response.headers.get('x-switchyard-attempts'), '1');
  });

  test('an unknown model is a 404 naming it and what is configured (OpenAI shape)', async () => {
    await assert.rejects(openai.chat.completions.create({ model: 'gpt-nope', messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.NotFoundError);
      assert.match(e.message, /gpt-nope/);
      assert.match(e.message, /review-model/);
      return true;
    });
  });

  test('an unknown model is a 404 in Anthropic shape for Anthropic clients', async () => {
    await assert.rejects(anthropic.messages.create({ model: 'nope/x', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => {
      assert.ok(e instanceof Anthropic.NotFoundError);
      assert.equal((e.error as { error: { type: string } }).error.type, 'not_found_error');
      return true;
    });
  });

  test('what a target cannot carry is reported, never dropped silently', async () => {
    const { response } = await anthropic.messages
      // top_k: an Anthropic parameter (no longer in this SDK's types) with no OpenAI counterpart.
      .create({ model: 'openai/gpt-4o-mini', max_tokens: 20, ...({ top_k: 5 } as object), messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    assert.equal(response.headers.get('x-switchyard-unmapped'), 'top_k');
    const same = await anthropic.messages
      .create({ model: 'anthropic/claude-sonnet-4-6', max_tokens: 20, ...({ top_k: 5 } as object), messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    assert.equal(same.response.headers.get('x-switchyard-unmapped'), null);
    assert.equal(lastUpstream('/v1/messages').body.top_k, 5);
  });

  test('GET /v1/models lists aliases and provider models', async () => {
    const ids: string[] = [];
    for await (const m of openai.models.list()) ids.push(m.id);
    assert.deepEqual(ids.sort(), ['anthropic/claude-sonnet-4-6', 'openai/gpt-4o-mini', 'review-model']);
  });
});
