/**
 * Recorded OpenAI Responses traffic (../shared/fixtures/openai-responses) replayed as the answer of
 * an `openai` provider with `api: responses`, through the real gateway to the official SDKs of
 * every client dialect: Responses (passthrough), Chat Completions and Anthropic Messages.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { fixturesRoot, fixturesSkip } from '../helpers/provider-replay.js';
import { OPENAI_UPSTREAM_KEY, startStack } from '../helpers/stack.js';
import type { Stack } from '../helpers/stack.js';

const skip = fixturesSkip('openai-responses');
const FIXTURES = fixturesRoot();
const recorded = (file: string) => readFileSync(join(FIXTURES, 'openai-responses', file), 'utf8');
const json = (file: string) => JSON.parse(recorded(file)) as { output: Array<Record<string, any>> };
const lines = (file: string) => recorded(file).split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, any>);

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
        // Whole answers as whole answers: the .json recordings are what upstream sends.
        r: { type: 'openai', api: 'responses', base_url: `${url}/v1`, keys: [{ value: OPENAI_UPSTREAM_KEY }], stream_upstream: false },
        // The default: answers streamed from upstream (.chunks.txt recordings).
        rs: { type: 'openai', api: 'responses', base_url: `${url}/v1`, keys: [{ value: OPENAI_UPSTREAM_KEY }] },
      },
      logging: { level: 'silent' },
    }),
  });
  openai = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'client', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: `${stack.url}/anthropic`, apiKey: 'client', maxRetries: 0 });
});
after(() => stack?.close());

const texts = (output: Array<Record<string, any>>) => output.filter((o) => o.type === 'message').flatMap((o) => o.content.map((c: { text: string }) => c.text));

describe('OpenAI Responses recordings through every client dialect', { skip }, () => {
  test('Responses client, whole answer: the recorded body byte for byte', async () => {
    const res = await fetch(`${stack.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer client' },
      body: JSON.stringify({ model: 'r/fixture:openai-responses/openai-phase.1', input: 'AI news today?', store: false }),
    });
    assert.equal(await res.text(), recorded('openai-phase.1.json'));
  });

  test('Responses client, stream: the recorded events as they came, each with its event name', async () => {
    const res = await fetch(`${stack.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer client' },
      body: JSON.stringify({ model: 'rs/fixture:openai-responses/openai-phase.1', input: 'AI news today?', store: false, stream: true }),
    });
    const frames = (await res.text()).split('\n\n').filter(Boolean);
    const recordedLines = recorded('openai-phase.1.chunks.txt').split('\n').filter((l) => l.trim());
    assert.deepEqual(
      frames,
      recordedLines.map((l) => `event: ${(JSON.parse(l) as { type: string }).type}\ndata: ${l}`),
    );
  });

  test('Chat Completions and Anthropic clients get the recorded text (two message items, reasoning)', async () => {
    for (const fixture of ['openai-phase.1', 'openai-reasoning-encrypted-content.1']) {
      const expected = texts(json(`${fixture}.json`).output).join('');
      const chat = await openai.chat.completions.create({ model: `r/fixture:openai-responses/${fixture}`, messages: [{ role: 'user', content: 'Go' }] });
      assert.equal(chat.choices[0]!.message.content, expected, fixture);
      const msg = await anthropic.messages.create({ model: `r/fixture:openai-responses/${fixture}`, max_tokens: 500, messages: [{ role: 'user', content: 'Go' }] });
      assert.equal(msg.content.filter((b) => b.type === 'text').map((b) => (b as Anthropic.TextBlock).text).join(''), expected, fixture);
    }
  });

  test('a recorded function call, streamed, reaches Chat Completions and Anthropic clients as their tool call', async () => {
    const call = lines('openai-client-tool-search.2.chunks.txt').find((l) => l.type === 'response.output_item.done' && l.item.type === 'function_call')!.item;
    const model = 'rs/fixture:openai-responses/openai-client-tool-search.2';
    const chat = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'Weather?' }], stream: true });
    let name = '';
    let args = '';
    let finish: string | null = null;
    for await (const c of chat) {
      const tc = c.choices[0]?.delta.tool_calls?.[0];
      if (tc?.function?.name) name = tc.function.name;
      if (tc?.function?.arguments) args += tc.function.arguments;
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(name, call.name);
    assert.deepEqual(JSON.parse(args), JSON.parse(call.arguments));
    assert.equal(finish, 'tool_calls');
    const msg = await anthropic.messages.stream({ model, max_tokens: 500, messages: [{ role: 'user', content: 'Weather?' }] }).finalMessage();
    const use = msg.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
    assert.equal(use.id, call.call_id);
    assert.deepEqual(use.input, JSON.parse(call.arguments));
    assert.equal(msg.stop_reason, 'tool_use');
  });

  test('a recorded failure before any content is an error in each dialect, never a 200', async () => {
    const model = 'rs/fixture:openai-responses/openai-error.1';
    await assert.rejects(openai.responses.create({ model, input: 'x', store: false }), (e: unknown) => e instanceof OpenAI.APIError && /exceeded your current quota/.test(e.message));
    await assert.rejects(openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => e instanceof OpenAI.APIError && /exceeded your current quota/.test(e.message));
    await assert.rejects(anthropic.messages.create({ model, max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => e instanceof Anthropic.APIError && /exceeded your current quota/.test(e.message));
  });
});
