/**
 * The OpenAI Responses API (POST /v1/responses) end to end: the official openai SDK
 * (responses.create / responses.stream / retrieve / delete / inputItems), the OpenAI Agents SDK
 * and the Vercel AI SDK's default `openai('model')`, unmodified but for their base URL, against an
 * OpenAI (Chat Completions) upstream, an Anthropic upstream, Bedrock, and an `openai` provider with
 * `api: responses` (same-dialect passthrough) — all on the project's mock upstream.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Agent, OpenAIResponsesModel, run, setTracingDisabled, tool as agentTool } from '@openai/agents';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { z } from 'zod';
import { allProvidersConfig, BEDROCK_MODEL, OPENAI_UPSTREAM_KEY, startStack } from '../helpers/stack.js';
import type { Stack } from '../helpers/stack.js';

setTracingDisabled(true);

let stack: Stack;
let client: OpenAI;

before(async () => {
  stack = await startStack({
    config: (url) => {
      const base = allProvidersConfig(url) as { providers: Record<string, unknown> };
      return {
        ...base,
        providers: {
          ...base.providers,
          'openai-r': { type: 'openai', api: 'responses', base_url: `${url}/v1`, keys: [{ value: OPENAI_UPSTREAM_KEY }], models: ['gpt-4.1-mini'] },
          'openai-mixed': { type: 'openai', base_url: `${url}/v1`, keys: [{ value: OPENAI_UPSTREAM_KEY }], model_api: { 'o3-pro*': 'responses' } },
        },
      };
    },
  });
  client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
});
after(() => stack?.close());

const lastUpstream = () => stack.mock.requests[stack.mock.requests.length - 1]!;

const UPSTREAMS = [
  { label: 'OpenAI (chat completions)', model: 'openai/gpt-4o-mini', path: '/v1/chat/completions', structuredOutput: true },
  { label: 'Anthropic', model: 'anthropic/claude-sonnet-4-6', path: '/v1/messages', structuredOutput: true },
  // Bedrock Converse has no structured-output field: reported as unmapped.
  { label: 'Bedrock', model: `bedrock/${BEDROCK_MODEL}`, path: `/model/${encodeURIComponent(BEDROCK_MODEL)}/converse`, structuredOutput: false },
  { label: 'OpenAI (api: responses)', model: 'openai-r/gpt-4.1-mini', path: '/v1/responses', structuredOutput: true },
];

const weatherTool = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};

for (const up of UPSTREAMS) {
  describe(`Responses clients against ${up.label}`, () => {
    test('responses.create: text, instructions, usage', async () => {
      const r = await client.responses.create({ model: up.model, input: 'Hello there', instructions: 'Be brief', max_output_tokens: 200, metadata: { team: 'qa' } });
      assert.equal(r.object, 'response');
      assert.match(r.id, /^resp_/);
      assert.equal(r.status, 'completed');
      assert.equal(r.output_text, '[system: Be brief] mock reply to: Hello there');
      assert.ok(r.usage && r.usage.input_tokens > 0 && r.usage.output_tokens > 0);
      assert.equal(r.usage.total_tokens, r.usage.input_tokens + r.usage.output_tokens);
      assert.deepEqual(r.metadata, { team: 'qa' });
      assert.ok(lastUpstream().path.startsWith(up.path.replace('/converse', '')), lastUpstream().path);
    });

    test('responses.stream: the typed event sequence, numbered from 0, and the final response', async () => {
      const stream = client.responses.stream({ model: up.model, input: 'Stream these words please' });
      const events: Array<{ type: string; sequence_number: number }> = [];
      for await (const e of stream) events.push(e);
      const final = await stream.finalResponse();
      assert.equal(final.output_text, 'mock reply to: Stream these words please');
      assert.deepEqual(
        events.map((e) => e.sequence_number),
        events.map((_, i) => i),
      );
      const types = events.map((e) => e.type);
      const deltas = types.filter((t) => t === 'response.output_text.delta').length;
      assert.ok(deltas >= 2, 'text arrives in several deltas');
      assert.deepEqual(types.filter((t) => t !== 'response.output_text.delta'), [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ]);
      assert.ok(types.indexOf('response.output_text.delta') > types.indexOf('response.content_part.added'));
      assert.ok(types.lastIndexOf('response.output_text.delta') < types.indexOf('response.output_text.done'));
    });

    test('a tool round trip through function_call_output (stream, then create)', async () => {
      const stream = client.responses.stream({ model: up.model, input: 'Weather in Paris?', tools: [weatherTool] });
      const types: string[] = [];
      for await (const e of stream) types.push(e.type);
      const first = await stream.finalResponse();
      const call = first.output.find((o) => o.type === 'function_call');
      assert.ok(call && call.type === 'function_call');
      assert.equal(call.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.arguments), { city: 'mock' });
      assert.ok(types.includes('response.function_call_arguments.delta'));
      assert.ok(types.includes('response.function_call_arguments.done'));
      const second = await client.responses.create({
        model: up.model,
        tools: [weatherTool],
        input: [{ role: 'user', content: 'Weather in Paris?' }, ...first.output.filter((o) => o.type === 'function_call'), { type: 'function_call_output', call_id: call.call_id, output: 'sunny' }],
      });
      assert.equal(second.output_text, 'tool result was: sunny');
    });

    test(up.structuredOutput ? 'text.format json_schema: the answer parses as the schema' : 'text.format json_schema: reported as unmapped where the upstream cannot carry it', async () => {
      const schema = { type: 'object', properties: { city: { type: 'string' }, temp: { type: 'number' } }, required: ['city', 'temp'], additionalProperties: false };
      const { data: r, response } = await client.responses.create({ model: up.model, input: 'Weather as JSON', text: { format: { type: 'json_schema', name: 'weather', schema, strict: true } } }).withResponse();
      if (!up.structuredOutput) {
        assert.match(response.headers.get('x-switchyard-unmapped') ?? '', /response_format/);
        return;
      }
      const parsed = JSON.parse(r.output_text) as Record<string, unknown>;
      assert.equal(typeof parsed.city, 'string');
      assert.equal(typeof parsed.temp, 'number');
      assert.deepEqual(r.text?.format, { type: 'json_schema', name: 'weather', schema, strict: true });
    });

    test('previous_response_id continues the stored conversation (tool round trip included)', async () => {
      const first = await client.responses.create({ model: up.model, input: 'Weather in Oslo?', tools: [weatherTool] });
      const call = first.output.find((o) => o.type === 'function_call');
      assert.ok(call && call.type === 'function_call');
      const second = await client.responses.create({
        model: up.model,
        tools: [weatherTool],
        previous_response_id: first.id,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: 'rainy' }],
      });
      assert.equal(second.output_text, 'tool result was: rainy');
      assert.equal(second.previous_response_id, first.id);
      const items = await client.responses.inputItems.list(second.id, { order: 'asc' });
      assert.deepEqual(
        items.data.map((i) => i.type),
        ['message', 'function_call', 'function_call_output'],
      );
      assert.ok(items.data.every((i) => typeof i.id === 'string' && i.id.length > 0));
    });

    test('previous_response_id over three turns: the upstream sees the whole conversation', async () => {
      const one = await client.responses.create({ model: up.model, input: 'One', instructions: 'Only for the first turn' });
      const two = await client.responses.create({ model: up.model, input: 'Two', previous_response_id: one.id });
      const three = await client.responses.create({ model: up.model, input: [{ role: 'user', content: [{ type: 'input_text', text: 'Three' }] }], previous_response_id: two.id });
      assert.equal(three.output_text, 'mock reply to: Three', 'instructions are not carried over, as at OpenAI');
      const items = await client.responses.inputItems.list(three.id);
      assert.equal(items.data.length, 5);
      assert.equal(items.data[0]!.type, 'message');
      assert.deepEqual((items.data[0] as { content: Array<{ text: string }> }).content[0]!.text, 'Three', 'newest first by default');
    });

    test('the OpenAI Agents SDK runs a one-tool agent', async () => {
      let called = 0;
      const getWeather = agentTool({
        name: 'get_weather',
        description: 'Weather for a city',
        parameters: z.object({ city: z.string() }),
        execute: async ({ city }) => {
          called++;
          return `cloudy in ${city}`;
        },
      });
      const agent = new Agent({ name: 'weather', instructions: 'Answer with the weather.', model: new OpenAIResponsesModel(client as unknown as ConstructorParameters<typeof OpenAIResponsesModel>[0], up.model), tools: [getWeather] });
      const result = await run(agent, 'Weather in Rome?');
      assert.equal(called, 1);
      assert.match(String(result.finalOutput), /tool result was: cloudy in mock/);
      const streamed = await run(agent, 'Weather in Rome?', { stream: true });
      for await (const _ of streamed) {
        // drain
      }
      await streamed.completed;
      assert.equal(called, 2);
      assert.match(String(streamed.finalOutput), /tool result was: cloudy in mock/);
    });

    test("the Vercel AI SDK's default openai('model') (Responses): generateText and streamText with a tool", async () => {
      const openai = createOpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'client-key' });
      const tools = { get_weather: tool({ description: 'Weather for a city', inputSchema: z.object({ city: z.string() }), execute: async ({ city }) => `windy in ${city}` }) };
      const gen = await generateText({ model: openai(up.model), prompt: 'Weather in Lima?', tools, stopWhen: stepCountIs(3) });
      assert.equal(gen.text, 'tool result was: windy in mock');
      assert.ok(gen.totalUsage.inputTokens! > 0);
      const streamed = streamText({ model: openai(up.model), prompt: 'Weather in Lima?', tools, stopWhen: stepCountIs(3) });
      assert.equal(await streamed.text, 'tool result was: windy in mock');
      assert.equal(await streamed.finishReason, 'stop');
    });
  });
}

describe('conversation state', () => {
  test('retrieve, input_items and delete a stored response; another key sees nothing', async () => {
    const r = await client.responses.create({ model: 'anthropic/claude-sonnet-4-6', input: 'Keep me' });
    const got = await client.responses.retrieve(r.id);
    assert.equal(got.id, r.id);
    assert.equal(got.output_text, 'mock reply to: Keep me');
    assert.equal((got as unknown as { store: boolean }).store, true);
    const items = await client.responses.inputItems.list(r.id);
    assert.equal(items.data.length, 1);
    const other = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'someone-else', maxRetries: 0 });
    await assert.rejects(other.responses.retrieve(r.id), OpenAI.NotFoundError);
    await assert.rejects(other.responses.create({ model: 'anthropic/claude-sonnet-4-6', input: 'x', previous_response_id: r.id }), OpenAI.BadRequestError);
    await client.responses.delete(r.id);
    await assert.rejects(client.responses.retrieve(r.id), OpenAI.NotFoundError);
  });

  test('store: false keeps nothing', async () => {
    const r = await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'Forget me', store: false });
    assert.equal((r as unknown as { store: boolean }).store, false);
    await assert.rejects(client.responses.retrieve(r.id), OpenAI.NotFoundError);
  });

  test('a streamed response is stored before its response.completed reaches the client', async () => {
    const stream = client.responses.stream({ model: 'anthropic/claude-sonnet-4-6', input: 'First' });
    let id = '';
    for await (const e of stream) {
      if (e.type === 'response.completed') {
        id = e.response.id;
        const next = await client.responses.create({ model: 'anthropic/claude-sonnet-4-6', input: 'Second', previous_response_id: id });
        assert.equal(next.output_text, 'mock reply to: Second');
      }
    }
    assert.match(id, /^resp_/);
    const body = lastUpstream().body as { messages: Array<{ role: string }> };
    assert.deepEqual(body.messages.map((m) => m.role), ['user', 'assistant', 'user']);
  });
});

describe('errors in the Responses shape, raised as the SDK typed errors', () => {
  test('unknown model → NotFoundError; bad input → BadRequestError naming the field', async () => {
    await assert.rejects(client.responses.create({ model: 'nope/none', input: 'x' }), OpenAI.NotFoundError);
    const err = await client.responses.create({ model: 'openai/gpt-4o-mini', input: [{ type: 'function_call_output' } as never] }).catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.BadRequestError);
    assert.equal(err.param, 'input[0].call_id');
    assert.equal(err.code, 'GW_ERR_INVALID_REQUEST');
    await assert.rejects(client.responses.create({ model: 'openai/gpt-4o-mini', input: 'x', previous_response_id: 'resp_missing' }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.BadRequestError);
      assert.equal(e.param, 'previous_response_id');
      return true;
    });
    await assert.rejects(client.responses.retrieve('resp_missing'), OpenAI.NotFoundError);
  });

  test('a failure after the commit point ends the stream with response.failed carrying the error', async () => {
    stack.mock.setFaults([{ fault: { kind: 'cut-mid-stream', afterEvents: 2 }, path: '/v1/messages', times: 1 }]);
    try {
      const res = await fetch(`${stack.url}/v1/responses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer client-key' },
        body: JSON.stringify({ model: 'anthropic/claude-sonnet-4-6', input: 'one two three four five six', stream: true }),
      });
      const text = await res.text();
      const frames = text.split('\n\n').filter(Boolean);
      const last = frames[frames.length - 1]!;
      assert.match(last, /^event: response\.failed\ndata: /);
      const data = JSON.parse(last.split('\ndata: ')[1]!) as { response: { status: string; error: { code: string; message: string } } };
      assert.equal(data.response.status, 'failed');
      assert.equal(data.response.error.code, 'GW_ERR_STREAM_INTERRUPTED');
      assert.ok(!/^data: \{"error"/m.test(text), 'no bare error envelope');
    } finally {
      stack.mock.setFaults([]);
    }
  });
});

describe('api: responses passes same-dialect requests through unchanged', () => {
  test('the upstream receives the client body (model replaced) and the client the upstream bytes', async () => {
    const body = { model: 'openai-r/gpt-4.1-mini', input: 'Hi', include: ['reasoning.encrypted_content'], truncation: 'auto', service_tier: 'flex', store: false };
    const res = await fetch(`${stack.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k' }, body: JSON.stringify(body) });
    const json = (await res.json()) as { id: string; service_tier: string };
    assert.match(json.id, /^resp_mock/, "the upstream's own response");
    // stream_upstream (on by default) streams the upstream answer and assembles it.
    assert.deepEqual(lastUpstream().body, { ...body, model: 'gpt-4.1-mini', stream: true });
    const s = await fetch(`${stack.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k' }, body: JSON.stringify({ ...body, stream: true }) });
    assert.match(await s.text(), /"obfuscation":"mock"/, 'stream bytes as the upstream sent them');
  });

  test('chat and Anthropic clients are served by a Responses upstream; model_api picks the API per model', async () => {
    const chat = await client.chat.completions.create({ model: 'openai-r/gpt-4.1-mini', messages: [{ role: 'system', content: 'Short' }, { role: 'user', content: 'Hi' }], max_tokens: 50 });
    assert.equal(chat.choices[0]!.message.content, '[system: Short] mock reply to: Hi');
    assert.equal(lastUpstream().path, '/v1/responses');
    assert.equal((lastUpstream().body as { instructions: string }).instructions, 'Short');
    assert.equal((lastUpstream().body as { max_output_tokens: number }).max_output_tokens, 50);
    await client.chat.completions.create({ model: 'openai-mixed/o3-pro-2025', messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(lastUpstream().path, '/v1/responses');
    await client.chat.completions.create({ model: 'openai-mixed/gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(lastUpstream().path, '/v1/chat/completions');
  });
});
