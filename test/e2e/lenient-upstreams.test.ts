/**
 * Correctness with every upstream type and with lenient or broken upstreams, through the official
 * SDKs (stream and non-stream clients): `n` choices kept apart, a JSON answer to a stream request,
 * an empty 200, a stream cut mid-way, a connect failure naming its address, models.retrieve, and
 * the mock upstream's structured output, stop sequences and thinking.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { allProvidersConfig, BEDROCK_MODEL, startStack } from '../helpers/stack.js';
import type { Stack } from '../helpers/stack.js';

let stack: Stack;
let openai: OpenAI;
let anthropic: Anthropic;

before(async () => {
  stack = await startStack({ config: allProvidersConfig });
  openai = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: `${stack.url}/anthropic`, apiKey: 'client-key', maxRetries: 0 });
});
after(async () => {
  await stack.close();
});
beforeEach(() => {
  stack.mock.reset();
});

/** Every upstream type: whether it carries `n`, and the path its requests go to. */
const UPSTREAMS = [
  { type: 'openai', model: 'openai/gpt-4o-mini', carriesN: true, path: /^\/v1\/chat\/completions$/ },
  { type: 'openai-compatible (vllm)', model: 'local/qwen3', carriesN: true, path: /^\/v1\/chat\/completions$/ },
  { type: 'anthropic', model: 'anthropic/claude-sonnet-4-6', carriesN: false, path: /^\/v1\/messages$/ },
  { type: 'bedrock', model: `bedrock/${BEDROCK_MODEL}`, carriesN: false, path: /^\/model\// },
  { type: 'gemini', model: 'gemini/gemini-2.5-flash', carriesN: false, path: /^\/v1beta\/models\// },
] as const;

const QUESTION = 'Name two colours';
const FIRST = `mock reply to: ${QUESTION}`;
const SECOND = `[choice 1] mock reply to: ${QUESTION}`;

/** Text per choice index from an OpenAI SDK stream. */
async function streamedChoices(stream: AsyncIterable<OpenAI.ChatCompletionChunk>): Promise<{ texts: string[]; finishes: Array<string | null> }> {
  const texts: string[] = [];
  const finishes: Array<string | null> = [];
  for await (const chunk of stream) {
    for (const c of chunk.choices) {
      texts[c.index] = (texts[c.index] ?? '') + (c.delta.content ?? '');
      if (c.finish_reason) finishes[c.index] = c.finish_reason;
    }
  }
  return { texts, finishes };
}

for (const up of UPSTREAMS) {
  describe(`n: 2 → ${up.type} upstream`, () => {
    test('non-stream client', async () => {
      const { data, response } = await openai.chat.completions.create({ model: up.model, n: 2, messages: [{ role: 'user', content: QUESTION }] }).withResponse();
      const unmapped = response.headers.get('x-switchyard-unmapped') ?? '';
      if (up.carriesN) {
        assert.deepEqual(
          data.choices.map((c) => [c.index, c.message.content, c.finish_reason]),
          [
            [0, FIRST, 'stop'],
            [1, SECOND, 'stop'],
          ],
        );
        assert.ok(!unmapped.split(',').includes('n'));
        assert.equal(stack.mock.requests.find((r) => up.path.test(r.path))!.body.n, 2);
      } else {
        assert.equal(data.choices.length, 1);
        assert.equal(data.choices[0]!.message.content, FIRST);
        assert.ok(unmapped.split(',').includes('n'), `x-switchyard-unmapped names n: "${unmapped}"`);
      }
    });

    test('stream client', async () => {
      const { data: stream, response } = await openai.chat.completions
        .create({ model: up.model, n: 2, stream: true, messages: [{ role: 'user', content: QUESTION }] })
        .withResponse();
      const unmapped = response.headers.get('x-switchyard-unmapped') ?? '';
      const { texts, finishes } = await streamedChoices(stream);
      if (up.carriesN) {
        assert.deepEqual(texts, [FIRST, SECOND]);
        assert.deepEqual(finishes, ['stop', 'stop']);
      } else {
        assert.deepEqual(texts, [FIRST]);
        assert.ok(unmapped.split(',').includes('n'), `x-switchyard-unmapped names n: "${unmapped}"`);
      }
    });
  });
}

describe('an upstream that answers stream: true with one JSON body', () => {
  const cases = [
    { type: 'openai', model: 'openai/gpt-4o-mini', path: '/v1/chat/completions' },
    { type: 'anthropic', model: 'anthropic/claude-sonnet-4-6', path: '/v1/messages' },
    { type: 'gemini', model: 'gemini/gemini-2.5-flash', path: undefined },
  ] as const;
  for (const c of cases) {
    const lenient = () => stack.mock.setFaults([{ fault: { kind: 'json-for-stream' }, ...(c.path ? { path: c.path } : {}) }]);

    test(`${c.type}: OpenAI SDK, non-stream client (upstream streamed by default)`, async () => {
      lenient();
      const { data, response } = await openai.chat.completions.create({ model: c.model, messages: [{ role: 'user', content: 'Hello' }] }).withResponse();
      assert.equal(data.choices[0]!.message.content, 'mock reply to: Hello');
      assert.equal(data.choices[0]!.finish_reason, 'stop');
      assert.ok(data.usage!.completion_tokens > 0);
      assert.equal(response.headers.get('x-switchyard-attempts'), '1', 'a JSON answer is complete: no retry');
      assert.equal(stack.mock.requests.length, 1);
    });

    test(`${c.type}: OpenAI SDK, stream client`, async () => {
      lenient();
      const stream = await openai.chat.completions.create({ model: c.model, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Hello' }] });
      const { texts, finishes } = await streamedChoices(stream);
      assert.deepEqual(texts, ['mock reply to: Hello']);
      assert.deepEqual(finishes, ['stop']);
      assert.equal(stack.mock.requests.length, 1);
    });

    test(`${c.type}: Anthropic SDK, stream and non-stream clients`, async () => {
      lenient();
      const msg = await anthropic.messages.create({ model: c.model, max_tokens: 100, messages: [{ role: 'user', content: 'Hello' }] });
      assert.equal(msg.content.map((b) => (b.type === 'text' ? b.text : '')).join(''), 'mock reply to: Hello');
      assert.equal(msg.stop_reason, 'end_turn');
      const final = await anthropic.messages.stream({ model: c.model, max_tokens: 100, messages: [{ role: 'user', content: 'Hello' }] }).finalMessage();
      assert.equal(final.content.map((b) => (b.type === 'text' ? b.text : '')).join(''), 'mock reply to: Hello');
      assert.equal(final.stop_reason, 'end_turn');
      assert.equal(stack.mock.requests.length, 2);
    });
  }

  test('n: 2 in a JSON answer to a stream request keeps both choices', async () => {
    stack.mock.setFaults([{ fault: { kind: 'json-for-stream' } }]);
    const res = await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', n: 2, messages: [{ role: 'user', content: QUESTION }] });
    assert.deepEqual(res.choices.map((c) => c.message.content), [FIRST, SECOND]);
    const stream = await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', n: 2, stream: true, messages: [{ role: 'user', content: QUESTION }] });
    assert.deepEqual((await streamedChoices(stream)).texts, [FIRST, SECOND]);
  });
});

describe('an upstream that answers 200 with an empty body', () => {
  for (const streaming of [false, true]) {
    const kind = streaming ? 'stream' : 'non-stream';
    test(`is retried as a protocol error (${kind} client)`, async () => {
      stack.mock.setFaults([{ fault: { kind: 'empty-body' }, times: 1 }]);
      const { data, response } = await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', stream: streaming, messages: [{ role: 'user', content: 'Hello' }] }).withResponse();
      const text = data instanceof Object && 'choices' in data && !streaming ? (data as OpenAI.ChatCompletion).choices[0]!.message.content : (await streamedChoices(data as AsyncIterable<OpenAI.ChatCompletionChunk>)).texts[0];
      assert.equal(text, 'mock reply to: Hello');
      assert.equal(response.headers.get('x-switchyard-attempts'), '2', 'the empty answer was retried');
      assert.equal(stack.mock.requests.length, 2);
    });

    test(`when it persists, the client's error says so (${kind} client)`, async () => {
      stack.mock.setFaults([{ fault: { kind: 'empty-body' } }]);
      const req = { model: 'anthropic/claude-sonnet-4-6', max_tokens: 50, messages: [{ role: 'user' as const, content: 'Hello' }] };
      const err = await (streaming ? anthropic.messages.create({ ...req, stream: true }) : anthropic.messages.create(req)).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof Anthropic.APIError, `an APIError, got ${String(err)}`);
      assert.equal(err.status, 502);
      assert.match(err.message, /GW_ERR_UPSTREAM_PROTOCOL/);
      assert.match(err.message, /empty body/);
      assert.doesNotMatch(err.message, /GW_ERR_STREAM_INTERRUPTED/);
    });
  }
});

describe('an upstream stream cut mid-way', () => {
  test('non-stream client: retried as an incomplete answer (nothing reached the client)', async () => {
    stack.mock.setFaults([{ fault: { kind: 'cut-mid-stream', afterEvents: 2 }, times: 1 }]);
    const { data, response } = await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Tell me a story' }] }).withResponse();
    assert.equal(data.choices[0]!.message.content, 'mock reply to: Tell me a story');
    assert.equal(response.headers.get('x-switchyard-attempts'), '2');
  });

  test('non-stream client, every attempt cut: the error names GW_ERR_UPSTREAM_INCOMPLETE', async () => {
    stack.mock.setFaults([{ fault: { kind: 'cut-mid-stream', afterEvents: 2 } }]);
    const err = await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Tell me a story' }] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof OpenAI.APIError);
    assert.equal(err.status, 502);
    assert.match(err.message, /GW_ERR_UPSTREAM_INCOMPLETE/);
    assert.doesNotMatch(err.message, /GW_ERR_STREAM_INTERRUPTED|GW_ERR_UPSTREAM_CONNECT/);
  });

  test('stream client: the error event says GW_ERR_STREAM_INTERRUPTED with the cause', async () => {
    stack.mock.setFaults([{ fault: { kind: 'cut-mid-stream', afterEvents: 2 } }]);
    const stream = await openai.chat.completions.create({ model: 'anthropic/claude-sonnet-4-6', stream: true, messages: [{ role: 'user', content: 'Tell me a story' }] });
    let text = '';
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(text.length > 0, 'content reached the client before the cut');
    assert.ok(err instanceof Error, 'the SDK raises the error event');
    assert.match(err.message, /GW_ERR_UPSTREAM_INCOMPLETE, after content had reached the client/);
  });
});

describe('a connect failure', () => {
  let dead: Stack;
  let port: number;
  before(async () => {
    // A port that was free a moment ago and that nothing listens on now.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    dead = await startStack({
      config: () => ({
        server: { host: '127.0.0.1', port: 0 },
        providers: { openai: { type: 'openai', base_url: `http://127.0.0.1:${port}/v1`, keys: [{ value: 'k' }], models: ['gpt-4o-mini'], retries: { max: 1, backoff_initial_ms: 0 } } },
        logging: { level: 'silent' },
      }),
    });
  });
  after(async () => {
    await dead.close();
  });

  for (const streaming of [false, true]) {
    test(`names the host and port (${streaming ? 'stream' : 'non-stream'} client)`, async () => {
      const client = new OpenAI({ baseURL: `${dead.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
      const err = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', stream: streaming, messages: [{ role: 'user', content: 'Hello' }] }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof OpenAI.APIError, `an APIError, got ${String(err)}`);
      assert.equal(err.status, 502);
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      assert.match(err.message, /ECONNREFUSED/);
    });
  }
});

describe('GET /v1/models/{id}', () => {
  test('the OpenAI SDK retrieves an alias and a provider/model id (URL-encoded slash)', async () => {
    const alias = await openai.models.retrieve('review-model');
    assert.deepEqual({ id: alias.id, object: alias.object, owned_by: alias.owned_by }, { id: 'review-model', object: 'model', owned_by: 'switchyard' });
    const direct = await openai.models.retrieve('openai/gpt-4o-mini');
    assert.equal(direct.id, 'openai/gpt-4o-mini');
    assert.equal(direct.owned_by, 'openai');
  });

  test('a raw slash in the path works, under /v1 and /openai/v1', async () => {
    for (const prefix of ['/v1', '/openai/v1']) {
      const res = await fetch(`${stack.url}${prefix}/models/gemini/gemini-2.5-flash`);
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { id: string }).id, 'gemini/gemini-2.5-flash');
    }
  });

  test('an unknown model is a 404 in OpenAI shape, and the SDK raises NotFoundError', async () => {
    await assert.rejects(openai.models.retrieve('openai/not-listed'), (e: unknown) => e instanceof OpenAI.NotFoundError && /not-listed/.test(e.message));
    const res = await fetch(`${stack.url}/v1/models/nope`);
    assert.equal(res.status, 404);
    const body = (await res.json()) as { error: { type: string; code: string; param: string } };
    assert.equal(body.error.code, 'GW_ERR_UNKNOWN_MODEL');
    assert.equal(body.error.param, 'model');
  });

  test('the Anthropic SDK retrieves under /anthropic', async () => {
    const m = await anthropic.models.retrieve('review-model');
    assert.equal(m.id, 'review-model');
    assert.equal(m.type, 'model');
    await assert.rejects(anthropic.models.retrieve('nope'), (e: unknown) => e instanceof Anthropic.NotFoundError);
  });
});

describe('the mock upstream behind the gateway', () => {
  const schema = {
    type: 'object',
    properties: {
      name: { type: 'string' },
      tags: { type: 'array', items: { type: 'string' }, minItems: 2 },
      size: { type: 'string', enum: ['small', 'large'] },
      address: { $ref: '#/$defs/address' },
    },
    required: ['name', 'tags', 'size', 'address'],
    additionalProperties: false,
    $defs: { address: { type: 'object', properties: { city: { type: 'string' }, zip: { type: 'integer', minimum: 10 } }, required: ['city', 'zip'] } },
  };
  const expected = { name: 'mock', tags: ['mock', 'mock'], size: 'small', address: { city: 'mock', zip: 10 } };

  // Gemini's schema dialect has no $ref: the gateway sends it the schema without its $defs.
  const { $defs, ...inlined } = schema;
  const inlineSchema = { ...inlined, properties: { ...schema.properties, address: $defs.address } };
  for (const model of ['openai/gpt-4o-mini', 'anthropic/claude-sonnet-4-6', 'gemini/gemini-2.5-flash']) {
    test(`response_format json_schema answers matching JSON (${model}, stream and non-stream)`, async () => {
      const response_format = { type: 'json_schema' as const, json_schema: { name: 'thing', schema: model.startsWith('gemini') ? inlineSchema : schema, strict: true } };
      const res = await openai.chat.completions.create({ model, response_format, messages: [{ role: 'user', content: 'Describe a thing' }] });
      assert.deepEqual(JSON.parse(res.choices[0]!.message.content!), expected);
      const stream = await openai.chat.completions.create({ model, response_format, stream: true, messages: [{ role: 'user', content: 'Describe a thing' }] });
      assert.deepEqual(JSON.parse((await streamedChoices(stream)).texts[0]!), expected);
    });
  }

  test('response_format json_object answers a JSON object', async () => {
    const res = await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', response_format: { type: 'json_object' }, messages: [{ role: 'user', content: 'Hi' }] });
    assert.deepEqual(JSON.parse(res.choices[0]!.message.content!), { reply: 'mock reply to: Hi' });
  });

  test('stop sequences end the answer (OpenAI stop, Anthropic stop_sequences), stream and non-stream', async () => {
    const res = await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', stop: ['STOP'], messages: [{ role: 'user', content: 'one two STOP three' }] });
    assert.equal(res.choices[0]!.message.content, 'mock reply to: one two');
    assert.equal(res.choices[0]!.finish_reason, 'stop');
    const msg = await anthropic.messages.create({ model: 'anthropic/claude-sonnet-4-6', max_tokens: 100, stop_sequences: ['STOP'], messages: [{ role: 'user', content: 'one two STOP three' }] });
    assert.equal(msg.stop_reason, 'stop_sequence');
    assert.equal(msg.stop_sequence, 'STOP');
    assert.deepEqual(msg.content.map((b) => (b.type === 'text' ? b.text : '')), ['mock reply to: one two']);
    const streamed = await anthropic.messages.stream({ model: 'anthropic/claude-sonnet-4-6', max_tokens: 100, stop_sequences: ['STOP'], messages: [{ role: 'user', content: 'one two STOP three' }] }).finalMessage();
    assert.equal(streamed.stop_reason, 'stop_sequence');
    assert.equal(streamed.stop_sequence, 'STOP');
  });

  test('thinking: the Anthropic wire answers a thinking block first, stream and non-stream', async () => {
    const req = { model: 'anthropic/claude-sonnet-4-6', max_tokens: 4000, thinking: { type: 'enabled' as const, budget_tokens: 2000 }, messages: [{ role: 'user' as const, content: 'Why is the sky blue?' }] };
    for (const msg of [await anthropic.messages.create(req), await anthropic.messages.stream(req).finalMessage()]) {
      assert.deepEqual(msg.content.map((b) => b.type), ['thinking', 'text']);
      const thinking = msg.content[0] as Anthropic.ThinkingBlock;
      assert.equal(thinking.thinking, 'thinking about: Why is the sky blue?');
      assert.ok(thinking.signature.length > 0);
      assert.equal((msg.content[1] as Anthropic.TextBlock).text, 'mock reply to: Why is the sky blue?');
    }
    // Through the OpenAI dialect the reasoning is reported as reasoning tokens.
    const res = await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', reasoning_effort: 'low', messages: [{ role: 'user', content: 'Why?' }] });
    assert.equal(res.usage!.completion_tokens_details!.reasoning_tokens, 3);
  });
});
