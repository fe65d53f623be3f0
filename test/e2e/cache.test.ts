/**
 * The response cache end to end, through the real server and the official SDKs against the mock
 * upstream (memory store, embedded semantic index): exact hits for JSON and streams in both SDKs,
 * misses on any answer-changing field, namespaces, tool calls replayed, semantic hits and misses,
 * TTL with a fake clock, the admin API, headers, the request log and metrics.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { GatewayPlugin, RequestRecord } from '../../src/plugins/plugin.js';
import { silentLogger } from '../../src/observability/logger.js';
import { systemClock } from '../../src/routing/clock.js';
import type { Clock } from '../../src/routing/clock.js';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import type { MockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import { startGateway } from '../../src/start-gateway.js';
import type { RunningGateway } from '../../src/start-gateway.js';
import { CACHE_ADMIN as ADMIN, CACHE_KEY_A as KEY_A, CACHE_KEY_B as KEY_B, cacheConfig } from '../helpers/cache-config.js';
import { buildConfig } from '../helpers/stack.js';

/** A clock that can jump forward; everything else is the system clock. */
function fakeClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return { ...systemClock, now: () => Date.now() + offset, advance: (ms) => void (offset += ms) };
}

let mock: MockUpstream;
let gw: RunningGateway;
const clock = fakeClock();
const records: RequestRecord[] = [];
const recorder: GatewayPlugin = { name: 'recorder', onRequestEnd: (r) => void records.push(r) };
let openai: (key?: string, headers?: Record<string, string>) => OpenAI;
let anthropic: (key?: string) => Anthropic;

before(async () => {
  mock = await startMockUpstream();
  gw = await startGateway({ config: buildConfig(cacheConfig(mock.url)), port: 0, host: '127.0.0.1', logger: silentLogger(), plugins: [recorder], clock });
  openai = (key = KEY_A, headers = {}) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0, defaultHeaders: headers });
  anthropic = (key = KEY_A) => new Anthropic({ baseURL: `${gw.url}/anthropic`, apiKey: key, maxRetries: 0 });
});
after(async () => {
  await gw.close();
  await mock.close();
});
beforeEach(async () => {
  await fetch(`${gw.url}/api/cache`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } });
  mock.reset();
  records.length = 0;
});

const chatCalls = () => mock.requests.filter((r) => r.path === '/v1/chat/completions').length;
const messageCalls = () => mock.requests.filter((r) => r.path === '/v1/messages').length;
const embedCalls = () => mock.requests.filter((r) => r.path === '/v1/embeddings').length;

async function openaiAsk(body: Omit<OpenAI.ChatCompletionCreateParamsNonStreaming, 'model'> & { model?: string }, key = KEY_A, headers: Record<string, string> = {}) {
  const { data, response } = await openai(key, headers)
    .chat.completions.create({ model: 'openai/gpt-4o-mini', ...body })
    .withResponse();
  return { data, cache: response.headers.get('x-switchyard-cache'), similarity: response.headers.get('x-switchyard-cache-similarity') };
}

async function openaiStream(body: { messages: OpenAI.ChatCompletionMessageParam[]; model?: string; tools?: OpenAI.ChatCompletionTool[] }, key = KEY_A) {
  const { data: stream, response } = await openai(key)
    .chat.completions.create({ model: 'openai/gpt-4o-mini', ...body, stream: true, stream_options: { include_usage: true } })
    .withResponse();
  let text = '';
  let finish: string | null | undefined;
  let usage: OpenAI.CompletionUsage | null | undefined;
  const tools: Array<{ id?: string; name?: string; args: string }> = [];
  for await (const chunk of stream) {
    const c = chunk.choices[0];
    text += c?.delta.content ?? '';
    for (const t of c?.delta.tool_calls ?? []) {
      const slot = (tools[t.index] ??= { args: '' });
      if (t.id) slot.id = t.id;
      if (t.function?.name) slot.name = t.function.name;
      slot.args += t.function?.arguments ?? '';
    }
    if (c?.finish_reason) finish = c.finish_reason;
    if (chunk.usage) usage = chunk.usage;
  }
  return { text, finish, usage, tools, cache: response.headers.get('x-switchyard-cache') };
}

describe('exact cache', () => {
  test('OpenAI SDK: JSON then stream of the same request — one upstream call; the stream hit parses with usage and finish reason', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Name three prime numbers' }];
    const first = await openaiAsk({ messages });
    assert.equal(first.cache, 'miss');
    const again = await openaiAsk({ messages });
    assert.equal(again.cache, 'hit');
    assert.equal(again.data.choices[0]!.message.content, first.data.choices[0]!.message.content);
    const streamed = await openaiStream({ messages });
    assert.equal(streamed.cache, 'hit');
    assert.equal(streamed.text, first.data.choices[0]!.message.content);
    assert.equal(streamed.finish, 'stop');
    assert.equal(streamed.usage?.completion_tokens, first.data.usage?.completion_tokens);
    assert.equal(streamed.usage?.prompt_tokens, first.data.usage?.prompt_tokens);
    assert.equal(chatCalls(), 1);
  });

  test('a streamed miss is stored once complete and answers a later JSON request', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Stream me a short story first' }];
    const streamed = await openaiStream({ messages });
    assert.equal(streamed.cache, 'miss');
    const json = await openaiAsk({ messages });
    assert.equal(json.cache, 'hit');
    assert.equal(json.data.choices[0]!.message.content, streamed.text);
    assert.equal(json.data.choices[0]!.finish_reason, 'stop');
    assert.equal(chatCalls(), 1);
  });

  test('Anthropic SDK: JSON then stream — one upstream call; the stream hit has usage and stop reason', async () => {
    const ask = { model: 'anthropic/claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user' as const, content: 'Say hello in French' }] };
    const { data: first, response } = await anthropic().messages.create(ask).withResponse();
    assert.equal(response.headers.get('x-switchyard-cache'), 'miss');
    const final = await anthropic().messages.stream(ask).finalMessage();
    assert.deepEqual(final.content, first.content);
    assert.equal(final.stop_reason, 'end_turn');
    assert.equal(final.usage.output_tokens, first.usage.output_tokens);
    assert.equal(final.usage.input_tokens, first.usage.input_tokens);
    assert.equal(messageCalls(), 1);
  });

  test('fields in another order, stream options and user do not change the key', async () => {
    const raw = (body: string) => fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' }, body });
    const a = await raw('{"model":"openai/gpt-4o-mini","temperature":0.5,"messages":[{"role":"user","content":"Order test"}]}');
    assert.equal(a.headers.get('x-switchyard-cache'), 'miss');
    await a.text();
    const b = await raw('{ "messages" : [ { "content" : "Order test", "role" : "user" } ],\n "user": "someone", "temperature": 0.50, "model": "openai/gpt-4o-mini" }');
    assert.equal(b.headers.get('x-switchyard-cache'), 'hit');
    await b.text();
    assert.equal(chatCalls(), 1);
  });

  test('any answer-changing field makes a miss', async () => {
    const base = { messages: [{ role: 'user' as const, content: 'Field sensitivity' }] };
    assert.equal((await openaiAsk(base)).cache, 'miss');
    const variants: Array<Record<string, unknown>> = [
      { messages: [{ role: 'user', content: 'Field sensitivity!' }] },
      { temperature: 0.1 },
      { top_p: 0.5 },
      { max_tokens: 3 },
      { stop: ['x'] },
      { seed: 7 },
      { presence_penalty: 0.5 },
      { frequency_penalty: 0.5 },
      { response_format: { type: 'json_object' } },
      { messages: [{ role: 'system', content: 'Be brief.' }, ...base.messages] },
      { tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }], tool_choice: 'none' },
      { model: 'review-model' },
    ];
    for (const v of variants) {
      const r = await openaiAsk({ ...base, ...(v as object) });
      assert.equal(r.cache, 'miss', `expected a miss for ${JSON.stringify(v)}`);
    }
    assert.equal((await openaiAsk(base)).cache, 'hit');
  });

  test("namespaces: key A's entry never serves key B", async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Tenant isolation please' }];
    assert.equal((await openaiAsk({ messages }, KEY_A)).cache, 'miss');
    assert.equal((await openaiAsk({ messages }, KEY_B)).cache, 'miss');
    assert.equal((await openaiAsk({ messages }, KEY_B)).cache, 'hit');
    assert.equal((await openaiAsk({ messages }, KEY_A)).cache, 'hit');
    assert.equal(chatCalls(), 2);
  });

  test('tool-call answers replay as tool calls, and the SDK tool round trip works from a hit', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
    ];
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await openaiAsk({ messages, tools });
    assert.equal(first.data.choices[0]!.finish_reason, 'tool_calls');
    const hit = await openaiAsk({ messages, tools });
    assert.equal(hit.cache, 'hit');
    const call = hit.data.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'mock' });
    const streamed = await openaiStream({ messages, tools });
    assert.equal(streamed.cache, 'hit');
    assert.equal(streamed.finish, 'tool_calls');
    assert.equal(streamed.tools[0]!.id, call.id);
    assert.equal(streamed.tools[0]!.name, 'get_weather');
    assert.deepEqual(JSON.parse(streamed.tools[0]!.args), { city: 'mock' });
    // The round trip: the cached tool call, the tool's answer, and the model's next turn.
    const next = await openaiAsk({ messages: [...messages, hit.data.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: 'sunny, 21 C' }], tools });
    assert.equal(next.cache, 'miss');
    assert.equal(next.data.choices[0]!.message.content, 'tool result was: sunny, 21 C');
    assert.equal(chatCalls(), 2);
  });

  test('Anthropic tool use replays from a hit as a tool_use block', async () => {
    const ask = {
      model: 'anthropic/claude-sonnet-4-6',
      max_tokens: 64,
      tools: [{ name: 'lookup', input_schema: { type: 'object' as const, properties: { q: { type: 'string' } } } }],
      messages: [{ role: 'user' as const, content: 'Look something up' }],
    };
    const first = await anthropic().messages.create(ask);
    const final = await anthropic().messages.stream(ask).finalMessage();
    assert.equal(final.stop_reason, 'tool_use');
    assert.deepEqual(final.content, first.content);
    assert.equal(messageCalls(), 1);
  });

  test('controls: no-cache bypasses, refresh replaces, no-store reads but never writes, ttl 0 stores nothing; bad values are 400', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Control headers' }];
    assert.equal((await openaiAsk({ messages }, KEY_A, { 'x-switchyard-cache': 'no-store' })).cache, 'miss');
    assert.equal((await openaiAsk({ messages }, KEY_A, { 'x-switchyard-cache-ttl': '0' })).cache, 'miss');
    assert.equal((await openaiAsk({ messages })).cache, 'miss');
    assert.equal((await openaiAsk({ messages }, KEY_A, { 'x-switchyard-cache': 'no-store' })).cache, 'hit');
    assert.equal((await openaiAsk({ messages }, KEY_A, { 'x-switchyard-cache': 'no-cache' })).cache, 'bypass');
    assert.equal((await openaiAsk({ messages }, KEY_A, { 'x-switchyard-cache': 'refresh' })).cache, 'bypass');
    assert.equal((await openaiAsk({ messages })).cache, 'hit');
    assert.equal(chatCalls(), 5);
    await assert.rejects(openaiAsk({ messages }, KEY_A, { 'x-switchyard-cache': 'sometimes' }), (e: unknown) => e instanceof OpenAI.BadRequestError && /x-switchyard-cache/.test(e.message));
    await assert.rejects(openaiAsk({ messages }, KEY_A, { 'x-switchyard-cache-ttl': 'soon' }), (e: unknown) => e instanceof OpenAI.BadRequestError && /x-switchyard-cache-ttl/.test(e.message));
  });

  test('an alias with cache: false is never cached', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Not cached' }];
    const a = await openaiAsk({ model: 'no-cache-model', messages });
    const b = await openaiAsk({ model: 'no-cache-model', messages });
    assert.equal(a.cache, null);
    assert.equal(b.cache, null);
    assert.equal(chatCalls(), 2);
  });

  test('TTL: an entry expires with the (fake) clock', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Expire me' }];
    await openaiAsk({ messages });
    assert.equal((await openaiAsk({ messages })).cache, 'hit');
    clock.advance(61_000);
    assert.equal((await openaiAsk({ messages })).cache, 'miss');
    assert.equal((await openaiAsk({ messages })).cache, 'hit');
    assert.equal(chatCalls(), 2);
  });

  test('a hit costs 0 and records what it saved; the request log and metrics count it', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What does a hit cost' }];
    await openaiAsk({ messages });
    await openaiAsk({ messages });
    const [miss, hit] = records.filter((r) => r.dialect === 'openai-chat');
    assert.equal(miss!.cache, 'miss');
    assert.equal(miss!.provider, 'openai');
    assert.equal(hit!.cache, 'hit');
    assert.equal(hit!.provider, undefined);
    assert.equal(hit!.attempts.length, 0);
    assert.ok((hit!.cacheSavedUsd ?? 0) > 0, 'gpt-4o-mini is priced: the hit saved something');
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    assert.match(metrics, /switchyard_cache_requests_total\{alias="",result="hit"\} \d+/);
    assert.match(metrics, /switchyard_cache_saved_usd_total\{alias=""\} [0-9.e-]+/);
    assert.match(metrics, /switchyard_cache_store_up\{backend="exact",type="memory"\} 1/);
    // The request log row (written in the background).
    let rows: Array<{ request_id: string; cache: string | null; cost_usd: number; cache_saved_usd: number | null }> = [];
    for (let i = 0; i < 100 && rows.length < 2; i++) {
      const page = (await (await fetch(`${gw.url}/api/logs?limit=50`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { data?: typeof rows; rows?: typeof rows };
      rows = (page.data ?? page.rows ?? []).filter((r) => r.request_id === hit!.requestId || r.request_id === miss!.requestId);
      if (rows.length < 2) await new Promise((r) => setTimeout(r, 50));
    }
    const hitRow = rows.find((r) => r.request_id === hit!.requestId)!;
    assert.equal(hitRow.cache, 'hit');
    assert.equal(hitRow.cost_usd, 0);
    assert.ok((hitRow.cache_saved_usd ?? 0) > 0);
  });

  test('admin API: stats count hits and entries; DELETE empties all or one namespace', async () => {
    const auth = { authorization: `Bearer ${ADMIN}` };
    await openaiAsk({ messages: [{ role: 'user', content: 'one' }] }, KEY_A);
    await openaiAsk({ messages: [{ role: 'user', content: 'two' }] }, KEY_B);
    await openaiAsk({ messages: [{ role: 'user', content: 'one' }] }, KEY_A);
    const stats = (await (await fetch(`${gw.url}/api/cache/stats`, { headers: auth })).json()) as { store: { type: string; up: boolean; entries: number }; since_start: { hits: number } };
    assert.equal(stats.store.type, 'memory');
    assert.equal(stats.store.up, true);
    assert.equal(stats.store.entries, 2);
    assert.ok(stats.since_start.hits >= 1);
    const keyA = records.find((r) => r.clientKeyId !== undefined);
    assert.equal(keyA, undefined, 'without governance the record has no principal');
    // Namespace of key A: its server key id.
    const { createHash } = await import('node:crypto');
    const nsA = `key:server-key-${createHash('sha256').update(KEY_A).digest('hex').slice(0, 8)}`;
    const del = (await (await fetch(`${gw.url}/api/cache?namespace=${encodeURIComponent(nsA)}`, { method: 'DELETE', headers: auth })).json()) as { deleted: number };
    assert.equal(del.deleted, 1);
    assert.equal((await openaiAsk({ messages: [{ role: 'user', content: 'one' }] }, KEY_A)).cache, 'miss');
    assert.equal((await openaiAsk({ messages: [{ role: 'user', content: 'two' }] }, KEY_B)).cache, 'hit');
    const all = (await (await fetch(`${gw.url}/api/cache`, { method: 'DELETE', headers: auth })).json()) as { deleted: number };
    assert.equal(all.deleted, 2);
    assert.equal((await openaiAsk({ messages: [{ role: 'user', content: 'two' }] }, KEY_B)).cache, 'miss');
    const bad = await fetch(`${gw.url}/api/cache?namespace=nope`, { method: 'DELETE', headers: auth });
    assert.equal(bad.status, 400);
    const anon = await fetch(`${gw.url}/api/cache/stats`);
    assert.equal(anon.status, 401);
  });
});

describe('semantic cache (embedded index)', () => {
  const system = (s: string): OpenAI.ChatCompletionMessageParam => ({ role: 'system', content: s });
  const user = (s: string): OpenAI.ChatCompletionMessageParam => ({ role: 'user', content: s });

  test('a paraphrase hits, with its similarity; a different question misses', async () => {
    const first = await openaiAsk({ model: 'faq', messages: [user('What is the capital of France?')] });
    assert.equal(first.cache, 'miss');
    const para = await openaiAsk({ model: 'faq', messages: [user("what's the capital of france")] });
    assert.equal(para.cache, 'semantic-hit');
    assert.ok(Number(para.similarity) >= 0.9);
    assert.equal(para.data.choices[0]!.message.content, first.data.choices[0]!.message.content);
    const other = await openaiAsk({ model: 'faq', messages: [user('What is the capital of Germany?')] });
    assert.equal(other.cache, 'miss');
    assert.notEqual(other.data.choices[0]!.message.content, first.data.choices[0]!.message.content);
    assert.equal(chatCalls(), 2);
    assert.ok(embedCalls() >= 3, 'embeddings went through the gateway to the upstream');
    const embedRecord = records.find((r) => r.purpose === 'semantic-cache');
    assert.ok(embedRecord, 'the embedding call is recorded with its purpose');
  });

  test('a paraphrase served as a stream', async () => {
    await openaiAsk({ model: 'faq', messages: [user('How tall is the Eiffel tower?')] });
    const s = await openaiStream({ model: 'faq', messages: [user('how tall is the eiffel tower')] });
    assert.equal(s.cache, 'semantic-hit');
    assert.equal(s.finish, 'stop');
    assert.ok(s.usage);
    assert.equal(chatCalls(), 1);
  });

  test('the same question with a different system prompt or different tools misses', async () => {
    const q = user('What is the boiling point of water?');
    await openaiAsk({ model: 'faq', messages: [system('You are a chemist.'), q] });
    assert.equal((await openaiAsk({ model: 'faq', messages: [system('You are a chemist.'), user('what is the boiling point of water')] })).cache, 'semantic-hit');
    assert.equal((await openaiAsk({ model: 'faq', messages: [system('You are a poet.'), user('what is the boiling point of water')] })).cache, 'miss');
    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'thermo', parameters: { type: 'object', properties: {} } } }];
    assert.equal((await openaiAsk({ model: 'faq', messages: [system('You are a chemist.'), user('what is the boiling point of water')], tools, tool_choice: 'none' })).cache, 'miss');
  });

  test('a 6-message conversation uses the exact cache only', async () => {
    const convo = (last: string): OpenAI.ChatCompletionMessageParam[] => [
      user('Hi'),
      { role: 'assistant', content: 'Hello!' },
      user('I am planning a trip'),
      { role: 'assistant', content: 'Nice.' },
      user('Somewhere warm'),
      { role: 'assistant', content: 'Spain?' },
      user(last),
    ];
    assert.equal((await openaiAsk({ model: 'faq', messages: convo('What is the capital of Spain?') })).cache, 'miss');
    const before = embedCalls();
    assert.equal((await openaiAsk({ model: 'faq', messages: convo("what's the capital of spain") })).cache, 'miss');
    assert.equal(embedCalls(), before, 'no embedding for a long conversation');
    assert.equal((await openaiAsk({ model: 'faq', messages: convo('What is the capital of Spain?') })).cache, 'hit');
  });

  test('the embedding target failing is a miss, answered upstream; lookups recover after', async () => {
    await openaiAsk({ model: 'faq', messages: [user('Who wrote Hamlet?')] });
    mock.setFaults([{ path: '/v1/embeddings', fault: { kind: 'status', status: 500 } }]);
    const r = await openaiAsk({ model: 'faq', messages: [user('who wrote hamlet')] });
    assert.equal(r.cache, 'miss');
    assert.match(r.data.choices[0]!.message.content ?? '', /mock reply/);
    mock.setFaults([]);
    assert.equal((await openaiAsk({ model: 'faq', messages: [user('Who wrote Hamlet, please?')] })).cache, 'semantic-hit');
  });
});

describe('a live config change', () => {
  test('a new cache.store replaces the old one, which is closed; turning the cache off closes the rest', async () => {
    const cfg = (extra: Record<string, unknown> = {}) => buildConfig(cacheConfig(mock.url, extra));
    const g = await startGateway({ config: cfg(), port: 0, host: '127.0.0.1', logger: silentLogger() });
    try {
      const ask = async () => {
        const res = await fetch(`${g.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY_A}` },
          body: JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Reloaded?' }] }),
        });
        assert.equal(res.status, 200);
        await res.arrayBuffer();
        return res.headers.get('x-switchyard-cache');
      };
      /** Asks until a hit (the answer is stored just after it is sent), at most 5 s. */
      const untilHit = async () => {
        const deadline = Date.now() + 5000;
        while ((await ask()) !== 'hit') if (Date.now() > deadline) assert.fail('no hit within 5 s');
      };
      assert.equal(await ask(), 'miss');
      await untilHit();
      assert.deepEqual(g.cache.open, { stores: 1, indexes: 1 }, 'the exact store, and the index the faq alias uses');

      assert.equal(await g.control.reloadFile(cfg({ cache: { enabled: true, ttl_s: 60, store: { type: 'memory', max_bytes: 1048576 } } })), undefined);
      assert.deepEqual(g.cache.open, { stores: 1, indexes: 1 }, 'the old store went as its snapshot was retired');
      assert.equal(await ask(), 'miss', 'the new store starts empty');
      await untilHit();

      const off = { cache: { enabled: false }, models: { embed: { targets: ['openai/text-embedding-3-small'] } } };
      assert.equal(await g.control.reloadFile(cfg(off)), undefined);
      assert.deepEqual(g.cache.open, { stores: 0, indexes: 0 });
      assert.equal(await ask(), null, 'no cache, no header');
    } finally {
      await g.close();
    }
  });
});
