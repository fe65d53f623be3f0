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
  hasFixture,
  readFixture,
  sseData,
  splitBytes,
  useReplayServer,
} from '../../../test/helpers/provider-replay.js';
import type { StreamEvent } from '../../core/stream-event.js';
import { anthropicMessagesDialect } from '../../dialects/anthropic-messages/index.js';
import { openAIChatDialect } from '../../dialects/openai-chat/index.js';
import type { ProviderAdapter } from '../provider-adapter.js';
import { createOpenAICompatibleProvider } from './openai-compatible-provider.js';
import { COMPATIBLE_PRESETS } from './presets.js';

const replay = useReplayServer();

function provider(type: string, opts: { preset?: string; keyCount?: number } = {}): ProviderAdapter {
  const p = createOpenAICompatibleProvider({
    name: type,
    type,
    ...(opts.preset ? { preset: opts.preset } : {}),
    baseUrl: `${replay.server.url}/v1`,
    connectTimeoutMs: 1000,
    maxConnections: 4,
    keyCount: opts.keyCount ?? 1,
  });
  replay.track(p);
  return p;
}

/** Text, reasoning, tool calls and finish reason an OpenAI-shaped recording holds. */
function expectedFromOpenAIChunks(lines: string[]) {
  let text = '';
  let reasoning = '';
  const tools = new Map<number, { name: string; args: string }>();
  let finish = '';
  let usage: any;
  for (const l of lines) {
    if (l.startsWith('[DONE]')) continue;
    const c = JSON.parse(l);
    const d = c.choices?.[0]?.delta ?? {};
    if (typeof d.content === 'string') text += d.content;
    if (Array.isArray(d.content)) {
      for (const p of d.content) {
        if (p.type === 'text') text += p.text;
        if (p.type === 'thinking') for (const t of p.thinking) reasoning += t.text;
      }
    }
    const r = d.reasoning_content ?? d.reasoning;
    if (typeof r === 'string') reasoning += r;
    for (const tc of d.tool_calls ?? []) {
      const t = tools.get(tc.index ?? 0) ?? { name: '', args: '' };
      if (tc.function?.name) t.name = tc.function.name;
      t.args += tc.function?.arguments ?? '';
      tools.set(tc.index ?? 0, t);
    }
    if (c.choices?.[0]?.finish_reason) finish = c.choices[0].finish_reason;
    if (c.usage) usage = c.usage;
  }
  return { text, reasoning, tools: [...tools.values()], finish, usage };
}

function summarize(events: StreamEvent[]) {
  let text = '';
  let reasoning = '';
  const tools = new Map<number, { name: string; args: string }>();
  let finish: Extract<StreamEvent, { type: 'finish' }> | undefined;
  let usage: any = {};
  for (const e of events) {
    if (e.type === 'text-delta') text += e.text;
    if (e.type === 'reasoning-delta') reasoning += e.text;
    if (e.type === 'tool-call-start') tools.set(e.index, { name: e.name, args: '' });
    if (e.type === 'tool-call-delta') tools.get(e.index)!.args += e.argumentsDelta;
    if (e.type === 'finish') finish = e;
    if ((e.type === 'usage' || e.type === 'finish') && e.usage) usage = { ...usage, ...e.usage };
  }
  return { text, reasoning, tools: [...tools.values()], finish, usage };
}

const OPENAI_FINISH: Record<string, string> = { stop: 'stop', length: 'length', tool_calls: 'tool_calls' };

interface Family {
  folder: string;
  type: string;
  preset?: string;
  files: string[];
}

const FAMILIES: Family[] = [
  { folder: 'groq', type: 'groq', files: ['groq-text', 'groq-tool-call', 'groq-reasoning'] },
  { folder: 'mistral', type: 'mistral', files: ['mistral-text', 'mistral-tool-call', 'mistral-reasoning', 'mistral-incremental-tool-call'] },
  { folder: 'deepseek', type: 'deepseek', files: ['deepseek-text', 'deepseek-tool-call', 'deepseek-reasoning', 'deepseek-json'] },
  { folder: 'xai', type: 'xai', files: ['xai-text', 'xai-tool-call'] },
  { folder: 'openai-compatible', type: 'openai-compatible', files: ['xai-text', 'xai-tool-call'] },
];

for (const fam of FAMILIES) {
  const skip = fixturesSkip(fam.folder);
  describe(`${fam.type}: recorded traffic through both client dialects`, { skip }, () => {
    for (const base of fam.files) {
      if (!skip && hasFixture(fam.folder, `${base}.chunks.txt`)) {
        it(`${base}.chunks.txt`, async () => {
          const lines = chunkLines(readFixture(fam.folder, `${base}.chunks.txt`));
          const exp = expectedFromOpenAIChunks(lines);
          for (const { dialect } of DIALECTS) {
            const framed = Buffer.from(lines.map((l) => `data: ${l}\n\n`).join('') + 'data: [DONE]\n\n', 'utf8');
            replay.server.reply({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: splitBytes(framed, { seed: 9, max: 300 }) });
            const req = clientRequest(dialect, { stream: true, tools: true, maxTokens: 500 });
            const { events, error } = await collectEvents(await provider(fam.type, fam.preset ? { preset: fam.preset } : {}).send(req, callContext('some-model', 'sk-test')));
            assert.equal(error, undefined);
            const got = summarize(events);
            assert.equal(got.text, exp.text);
            assert.equal(got.reasoning, exp.reasoning);
            assert.deepEqual(got.tools, exp.tools);
            assert.equal(got.finish?.rawFinishReason, exp.finish);
            if (exp.usage?.completion_tokens !== undefined) assert.equal(got.usage.outputTokens, exp.usage.completion_tokens);

            const out = encodeForClient(dialect, req, events);
            assert.equal(clientStreamText(dialect, out), exp.text);
            const data = sseData(out);
            if (dialect.id === 'openai-chat') {
              assert.deepEqual(data.map((d) => d.choices?.[0]?.finish_reason).filter(Boolean), [OPENAI_FINISH[exp.finish]]);
            } else {
              const stop = data.find((d) => d.type === 'message_delta').delta.stop_reason;
              assert.equal(stop, exp.finish === 'tool_calls' ? 'tool_use' : exp.finish === 'length' ? 'max_tokens' : 'end_turn');
              assert.deepEqual(
                data.filter((d) => d.type === 'content_block_start' && d.content_block.type === 'tool_use').map((d) => d.content_block.name),
                exp.tools.map((t) => t.name),
              );
            }
            const sent = replay.server.seen.at(-1)!;
            assert.equal(sent.url, '/v1/chat/completions');
            assert.equal(sent.headers.authorization, 'Bearer sk-test');
            const preset = COMPATIBLE_PRESETS[(fam.preset ?? fam.type) as keyof typeof COMPATIBLE_PRESETS];
            assert.equal(sent.json[preset.maxTokensField], 500);
            assert.equal(sent.json[preset.maxTokensField === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens'], undefined);
            assert.equal(sent.json.stream_options === undefined, !preset.streamOptions);
          }
        });
      }
      if (!skip && hasFixture(fam.folder, `${base}.json`)) {
        it(`${base}.json`, async () => {
          const text = readFixture(fam.folder, `${base}.json`);
          const body = JSON.parse(text);
          const msg = body.choices[0].message;
          const exp = expectedFromOpenAIChunks([JSON.stringify({ choices: [{ delta: msg, finish_reason: body.choices[0].finish_reason }], usage: body.usage })]);
          for (const { dialect } of DIALECTS) {
            replay.server.reply({ status: 200, body: text });
            const req = clientRequest(dialect, { tools: true });
            const result = await provider(fam.type, fam.preset ? { preset: fam.preset } : {}).send(req, callContext('some-model', 'sk-test'));
            assert.ok(result.kind === 'response');
            const client = formatForClient(dialect, req, result.response);
            if (dialect.id === 'openai-chat') {
              // OpenAI clients get the upstream's own bytes (normalized where the host deviates).
              const raw = result.raw ? JSON.parse(result.raw.body) : client;
              assert.equal(typeof (raw.choices[0].message.content ?? ''), 'string');
              assert.equal(raw.choices[0].message.content ?? '', exp.text);
              assert.deepEqual((raw.choices[0].message.tool_calls ?? []).map((t: any) => ({ name: t.function.name, args: t.function.arguments })), exp.tools);
              assert.equal(raw.choices[0].finish_reason, exp.finish);
            } else {
              assert.equal(client.content.filter((b: any) => b.type === 'text').map((b: any) => b.text).join(''), exp.text);
              assert.deepEqual(
                client.content.filter((b: any) => b.type === 'tool_use').map((b: any) => ({ name: b.name, args: b.input })),
                exp.tools.map((t) => ({ name: t.name, args: JSON.parse(t.args) })),
              );
              const thinking = client.content.filter((b: any) => b.type === 'thinking').map((b: any) => b.thinking).join('');
              assert.equal(thinking, exp.reasoning);
              assert.equal(client.usage.output_tokens, body.usage.completion_tokens);
            }
          }
        });
      }
    }
  });
}

describe('openai-compatible: Anthropic-style tool calls through an OpenAI-compatible proxy (recorded SSE)', { skip: fixturesSkip('openai-compatible') }, () => {
  it('anthropic-fallback-tool-call.sse', async () => {
    const raw = readFixture('openai-compatible', 'anthropic-fallback-tool-call.sse');
    const lines = raw.split('\n').filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]').map((l) => l.slice(6));
    const exp = expectedFromOpenAIChunks(lines);
    replay.server.reply({ status: 200, body: splitBytes(Buffer.from(raw, 'utf8'), { size: 13 }) });
    const req = clientRequest(anthropicMessagesDialect, { stream: true, tools: true });
    const { events } = await collectEvents(await provider('openai-compatible', { keyCount: 0 }).send(req, callContext('claude-haiku-4-5', '')));
    const got = summarize(events);
    assert.equal(got.text, exp.text);
    assert.deepEqual(got.tools, exp.tools);
    assert.equal(replay.server.seen[0]!.headers.authorization, undefined, 'no key, no Authorization header');
  });
});

describe('OpenAI-compatible quirks', () => {
  const ok = JSON.stringify({ id: 'x', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });

  it('mistral: forwarded OpenAI bodies lose stream_options, rename seed and max_completion_tokens, tool_choice required → any', async () => {
    replay.server.reply({ status: 200, body: 'data: {"id":"1","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}\n\ndata: [DONE]\n\n' });
    const req = openAIChatDialect.parseRequest({
      model: 'mistral/mistral-small',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 50,
      seed: 3,
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }],
      tool_choice: 'required',
    });
    const { events } = await collectEvents(await provider('mistral').send(req, callContext('mistral-small-latest', 'k')));
    assert.ok(events.some((e) => e.type === 'finish'));
    const b = replay.server.seen[0]!.json;
    assert.equal(b.stream_options, undefined);
    assert.equal(b.max_tokens, 50);
    assert.equal(b.max_completion_tokens, undefined);
    assert.equal(b.random_seed, 3);
    assert.equal(b.seed, undefined);
    assert.equal(b.tool_choice, 'any');
    assert.equal(b.model, 'mistral-small-latest');
  });

  it('groq keeps max_completion_tokens; ollama and vllm need no key', async () => {
    replay.server.reply({ status: 200, body: ok });
    await provider('groq').send(openAIChatDialect.parseRequest({ model: 'x', messages: [{ role: 'user', content: 'a' }], max_tokens: 9 }), callContext('llama', 'k'));
    assert.equal(replay.server.seen[0]!.json.max_completion_tokens, 9);
    assert.equal(replay.server.seen[0]!.json.max_tokens, undefined);
    await provider('ollama', { keyCount: 0 }).send(clientRequest(openAIChatDialect), callContext('llama3.2', ''));
    assert.equal(replay.server.seen[1]!.headers.authorization, undefined);
  });

  it('a preset that needs a key refuses to start without one; openai-compatible needs a base_url', () => {
    assert.throws(() => createOpenAICompatibleProvider({ name: 'g', type: 'groq', connectTimeoutMs: 1, maxConnections: 1, keyCount: 0 }), /providers\.g\.keys: groq needs an API key/);
    assert.throws(() => createOpenAICompatibleProvider({ name: 'c', type: 'openai-compatible', connectTimeoutMs: 1, maxConnections: 1, keyCount: 0 }), /providers\.c\.base_url: required/);
    assert.throws(() => createOpenAICompatibleProvider({ name: 'c', type: 'openai-compatible', preset: 'nope', baseUrl: 'http://x', connectTimeoutMs: 1, maxConnections: 1, keyCount: 0 }), /unknown preset "nope"/);
  });

  it('openai-compatible with preset mistral applies Mistral quirks at a custom base_url', async () => {
    replay.server.reply({ status: 200, body: ok });
    await provider('openai-compatible', { preset: 'mistral' }).send(openAIChatDialect.parseRequest({ model: 'x', messages: [{ role: 'user', content: 'a' }], seed: 1 }), callContext('m', 'k'));
    assert.equal(replay.server.seen[0]!.json.random_seed, 1);
  });

  it('embeddings for hosts that serve them, none for those that do not', async () => {
    assert.equal(typeof provider('groq').embed, 'undefined');
    replay.server.reply({ status: 200, body: JSON.stringify({ object: 'list', data: [{ index: 1, embedding: [3, 4] }, { index: 0, embedding: [1, 2] }], model: 'nomic', usage: { prompt_tokens: 4, total_tokens: 4 } }) });
    const res = await provider('ollama', { keyCount: 0 }).embed!({ model: 'x', input: { kind: 'text', texts: ['a', 'b'] }, encodingFormat: 'base64', raw: {} }, callContext('nomic-embed-text', ''));
    assert.deepEqual(res.embeddings, [[1, 2], [3, 4]]);
    assert.equal(res.usage.inputTokens, 4);
    assert.deepEqual(replay.server.seen[0]!.json, { model: 'nomic-embed-text', input: ['a', 'b'], encoding_format: 'float' });
    assert.equal(replay.server.seen[0]!.url, '/v1/embeddings');
  });
});
