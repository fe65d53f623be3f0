/**
 * The official OpenAI and Anthropic SDKs through the real gateway to Bedrock (SigV4, binary event
 * streams) and Gemini upstreams served by the mock: text, streams, tool round trips, stop reasons,
 * usage; the story's fallback chain anthropic (failing) → bedrock → openai; embeddings.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { allProvidersConfig, BEDROCK_ACCESS_KEY_ID, BEDROCK_MODEL, GEMINI_UPSTREAM_KEY, startStack } from '../helpers/stack.js';
import type { Stack } from '../helpers/stack.js';
import { anthropicToolRoundTrip, openAIToolRoundTrip } from '../helpers/tool-round-trips.js';

const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

interface Upstream {
  name: string;
  model: string;
  /** Upstream path the mock sees for a stream / whole request (stream_upstream may turn whole into stream). */
  pathPattern: RegExp;
}

const UPSTREAMS: Upstream[] = [
  { name: 'bedrock', model: `bedrock/${BEDROCK_MODEL}`, pathPattern: /^\/model\/anthropic\.claude-3-5-sonnet-20240620-v1%3A0\/converse(-stream)?$/ },
  { name: 'bedrock (no upstream streaming)', model: `bedrock-json/${BEDROCK_MODEL}`, pathPattern: /^\/model\/anthropic\.claude-3-5-sonnet-20240620-v1%3A0\/converse(-stream)?$/ },
  { name: 'gemini', model: 'gemini/gemini-3-pro-preview', pathPattern: /^\/v1beta\/models\/gemini-3-pro-preview:(stream)?[gG]enerateContent$/ },
  { name: 'gemini (no upstream streaming)', model: 'gemini-json/gemini-2.5-flash', pathPattern: /^\/v1beta\/models\/gemini-2\.5-flash:(stream)?[gG]enerateContent$/ },
];

let stack: Stack;
let openai: OpenAI;
let anthropic: Anthropic;

before(async () => {
  stack = await startStack({
    config: (url) => {
      const c = allProvidersConfig(url) as { providers: Record<string, Record<string, unknown>> };
      c.providers['bedrock-json'] = { ...c.providers.bedrock, stream_upstream: false };
      c.providers['gemini-json'] = { ...c.providers.gemini, stream_upstream: false };
      return c;
    },
  });
  openai = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: `${stack.url}/anthropic`, apiKey: 'client-key', maxRetries: 0 });
});
after(async () => {
  await stack.close();
});
beforeEach(() => {
  stack.mock.reset();
});

function lastUpstream(pattern: RegExp) {
  const r = [...stack.mock.requests].reverse().find((x) => pattern.test(x.path));
  assert.ok(r, `no upstream request matching ${pattern}`);
  return r;
}

function assertUpstreamAuth(up: Upstream) {
  const r = lastUpstream(up.pathPattern);
  const sent = JSON.stringify(r.headers);
  assert.ok(!sent.includes('client-key'), 'the client key never goes upstream');
  if (up.name.startsWith('bedrock')) {
    assert.match(String(r.headers.authorization), new RegExp(`^AWS4-HMAC-SHA256 Credential=${BEDROCK_ACCESS_KEY_ID}/\\d{8}/us-east-1/bedrock/aws4_request, SignedHeaders=\\S+, Signature=[0-9a-f]{64}$`));
  } else {
    assert.equal(r.headers['x-goog-api-key'], GEMINI_UPSTREAM_KEY);
  }
}


for (const up of UPSTREAMS) {
  describe(`OpenAI SDK → ${up.name}`, () => {
    test('text with system prompt and usage', async () => {
      const res = await openai.chat.completions.create({
        model: up.model,
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Hello there' },
        ],
      });
      assert.equal(res.choices[0]!.message.content, '[system: You are terse.] mock reply to: Hello there');
      assert.equal(res.choices[0]!.finish_reason, 'stop');
      assert.ok(res.usage!.prompt_tokens > 0 && res.usage!.completion_tokens > 0);
      assertUpstreamAuth(up);
    });

    test('stream with usage chunk', async () => {
      const stream = await openai.chat.completions.create({ model: up.model, messages: [{ role: 'user', content: 'Count to three please' }], stream: true, stream_options: { include_usage: true } });
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
      assert.ok(usage && usage.completion_tokens === 7 && usage.prompt_tokens === 4);
    });

    test('max_tokens truncation → finish_reason length', async () => {
      const res = await openai.chat.completions.create({ model: up.model, max_tokens: 2, messages: [{ role: 'user', content: 'Tell me a long story' }] });
      assert.equal(res.choices[0]!.finish_reason, 'length');
      assert.equal(res.choices[0]!.message.content, 'mock reply');
    });

    for (const streaming of [false, true]) {
      test(`tool call round trip (${streaming ? 'stream' : 'non-stream'})`, async () => {
        await openAIToolRoundTrip(openai, up.model, streaming);
        if (up.name.startsWith('gemini')) {
          // Gemini 3 refuses history function calls without their thought signature: it went back.
          const parts = lastUpstream(up.pathPattern).body.contents[1].parts;
          assert.match(parts[0].thoughtSignature, /^mock-signature-1$/);
        }
      });
    }

    test('multi-turn with a base64 image', async () => {
      const res = await openai.chat.completions.create({
        model: up.model,
        messages: [
          { role: 'user', content: 'First question' },
          { role: 'assistant', content: 'First answer' },
          { role: 'user', content: [{ type: 'text', text: 'What is in this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_1PX}` } }] },
        ],
      });
      assert.equal(res.choices[0]!.message.content, 'mock reply to: What is in this? [images: 1]');
    });
  });

  describe(`Anthropic SDK → ${up.name}`, () => {
    test('text with system prompt, stop reason and usage', async () => {
      const res = await anthropic.messages.create({ model: up.model, max_tokens: 200, system: 'You are terse.', messages: [{ role: 'user', content: 'Hello there' }] });
      assert.equal((res.content[0] as Anthropic.TextBlock).text, '[system: You are terse.] mock reply to: Hello there');
      assert.equal(res.stop_reason, 'end_turn');
      assert.ok(res.usage.input_tokens > 0 && res.usage.output_tokens > 0);
      assertUpstreamAuth(up);
    });

    test('stream, final message and usage', async () => {
      const stream = anthropic.messages.stream({ model: up.model, max_tokens: 200, messages: [{ role: 'user', content: 'Count to three please' }] });
      let text = '';
      stream.on('text', (t) => (text += t));
      const final = await stream.finalMessage();
      assert.equal(text, 'mock reply to: Count to three please');
      assert.equal(final.stop_reason, 'end_turn');
      assert.equal(final.usage.output_tokens, 7);
      assert.equal(final.usage.input_tokens, 4);
    });

    test('max_tokens → stop_reason max_tokens', async () => {
      const res = await anthropic.messages.create({ model: up.model, max_tokens: 2, messages: [{ role: 'user', content: 'Tell me a long story' }] });
      assert.equal(res.stop_reason, 'max_tokens');
    });

    for (const streaming of [false, true]) {
      test(`tool round trip (${streaming ? 'stream' : 'non-stream'})`, async () => {
        await anthropicToolRoundTrip(anthropic, up.model, streaming);
      });
    }
  });
}

describe('capabilities a provider lacks', () => {
  test('an image URL to Bedrock is a 400 GW_ERR_UNSUPPORTED naming it', async () => {
    await assert.rejects(
      openai.chat.completions.create({ model: `bedrock/${BEDROCK_MODEL}`, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }] }),
      (e: unknown) => {
        assert.ok(e instanceof OpenAI.BadRequestError);
        assert.match(e.message, /image URLs are not supported by the Bedrock Converse API/);
        return true;
      },
    );
  });

  test('Gemini takes image URLs as fileData', async () => {
    const res = await openai.chat.completions.create({
      model: 'gemini/gemini-2.5-flash',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'And this?' }, { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
    });
    assert.equal(res.choices[0]!.message.content, 'mock reply to: And this? [images: 1]');
  });
});

describe("the story's fallback chain: anthropic (failing) → bedrock → openai", () => {
  for (const fault of [{ kind: 'status', status: 503 } as const, { kind: 'reset' } as const]) {
    test(`anthropic ${fault.kind === 'status' ? '503' : 'connection reset'} → answered by bedrock (OpenAI SDK)`, async () => {
      stack.mock.setFaults([{ path: '/v1/messages', fault }]);
      const { data, response } = await openai.chat.completions.create({ model: 'story-chain', messages: [{ role: 'user', content: 'Hi' }] }).withResponse();
      assert.equal(data.choices[0]!.message.content, 'mock reply to: Hi');
      assert.equal(response.headers.get('x-switchyard-provider'), 'bedrock');
      assert.equal(response.headers.get('x-switchyard-model'), BEDROCK_MODEL);
      assert.equal(response.headers.get('x-switchyard-fallback-index'), '1');
      assert.ok(stack.mock.requests.some((r) => r.path === '/v1/messages'), 'anthropic was tried first');
    });
  }

  test('streamed through the Anthropic SDK, answered by bedrock', async () => {
    stack.mock.setFaults([{ path: '/v1/messages', fault: { kind: 'status', status: 503 } }]);
    const { data: stream, response } = await anthropic.messages.stream({ model: 'story-chain', max_tokens: 100, messages: [{ role: 'user', content: 'Stream please' }] }).withResponse();
    assert.equal(response.headers.get('x-switchyard-fallback-index'), '1');
    const final = await stream.finalMessage();
    assert.equal((final.content[0] as Anthropic.TextBlock).text, 'mock reply to: Stream please');
  });

  test('bedrock failing too (an exception before content) → openai answers, fallback index 2', async () => {
    stack.mock.setFaults([
      { path: '/v1/messages', fault: { kind: 'status', status: 503 } },
      { path: `/model/${encodeURIComponent(BEDROCK_MODEL)}/converse-stream`, fault: { kind: 'status', status: 429 } },
    ]);
    const { data, response } = await openai.chat.completions.create({ model: 'story-chain', messages: [{ role: 'user', content: 'Hi' }], stream: true }).withResponse();
    let text = '';
    for await (const c of data) text += c.choices[0]?.delta.content ?? '';
    assert.equal(text, 'mock reply to: Hi');
    assert.equal(response.headers.get('x-switchyard-provider'), 'openai');
    assert.equal(response.headers.get('x-switchyard-fallback-index'), '2');
  });
});

describe('OpenAI-compatible preset (vllm) through the gateway', () => {
  test('chat with the preset\'s quirks (max_tokens) and its key', async () => {
    const res = await openai.chat.completions.create({ model: 'local/qwen3', max_completion_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(res.choices[0]!.message.content, 'mock reply to: Hi');
    const r = lastUpstream(/^\/v1\/chat\/completions$/);
    assert.equal(r.headers.authorization, 'Bearer local-vllm-key');
    assert.equal(r.body.model, 'qwen3');
    assert.equal(r.body.max_tokens, 50);
    assert.equal(r.body.max_completion_tokens, undefined);
  });
});

describe('embeddings: POST /v1/embeddings', () => {
  const cases = [
    { model: 'openai/text-embedding-3-small', provider: 'openai', path: /^\/v1\/embeddings$/ },
    { model: 'local/nomic-embed-text', provider: 'local', path: /^\/v1\/embeddings$/ },
    { model: 'gemini/gemini-embedding-001', provider: 'gemini', path: /batchEmbedContents$/ },
    { model: 'bedrock/amazon.titan-embed-text-v2:0', provider: 'bedrock', path: /titan-embed-text-v2%3A0\/invoke$/ },
    { model: 'bedrock/cohere.embed-english-v3', provider: 'bedrock', path: /cohere\.embed-english-v3\/invoke$/ },
  ];
  for (const c of cases) {
    test(`${c.model}: the OpenAI SDK (base64 by default) gets one vector per input, in order, with usage`, async () => {
      const { data, response } = await openai.embeddings.create({ model: c.model, input: ['sunny day at the beach', 'rainy day'] }).withResponse();
      assert.equal(data.data.length, 2);
      assert.deepEqual(data.data.map((d) => d.index), [0, 1]);
      assert.equal(data.data[0]!.embedding.length, 16);
      assert.notDeepEqual(data.data[0]!.embedding, data.data[1]!.embedding);
      const norm = Math.sqrt(data.data[0]!.embedding.reduce((n, v) => n + v * v, 0));
      assert.ok(Math.abs(norm - 1) < 1e-5, 'unit vectors survive the float32/base64 trip');
      assert.equal(response.headers.get('x-switchyard-provider'), c.provider);
      if (c.provider !== 'gemini') assert.equal(data.usage.prompt_tokens, 7);
      assert.ok(stack.mock.requests.some((r) => c.path.test(r.path)));
    });
  }

  test('float encoding and dimensions', async () => {
    const res = await openai.embeddings.create({ model: 'openai/text-embedding-3-small', input: 'hello', encoding_format: 'float', dimensions: 8 });
    assert.equal(res.data[0]!.embedding.length, 8);
    assert.equal(lastUpstream(/^\/v1\/embeddings$/).body.dimensions, 8);
  });

  test('a provider without embeddings is a 400 GW_ERR_UNSUPPORTED naming it', async () => {
    await assert.rejects(openai.embeddings.create({ model: 'anthropic/claude-sonnet-4-6', input: 'x' }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.BadRequestError);
      assert.match(e.message, /anthropic: provider type anthropic has no embeddings API/);
      return true;
    });
  });

  test('an alias falls back past a provider without embeddings', async () => {
    const { response } = await openai.embeddings.create({ model: 'embed-chain', input: 'x' }).withResponse();
    assert.equal(response.headers.get('x-switchyard-provider'), 'openai');
    assert.equal(response.headers.get('x-switchyard-fallback-index'), '1');
  });

  test('bad input is a 400 naming the field', async () => {
    await assert.rejects(openai.embeddings.create({ model: 'openai/text-embedding-3-small', input: [] as string[] }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.BadRequestError);
      assert.match(e.message, /input: must not be an empty array/);
      return true;
    });
  });
});

describe('GET /v1/models', () => {
  test('lists the new providers\' configured models', async () => {
    const ids: string[] = [];
    for await (const m of openai.models.list()) ids.push(m.id);
    for (const id of [`bedrock/${BEDROCK_MODEL}`, 'gemini/gemini-3-pro-preview', 'local/qwen3', 'story-chain']) assert.ok(ids.includes(id), id);
  });
});
