/**
 * Compares what the mock emits with the real recordings in shared/fixtures: the order of event
 * kinds in a stream (repeated deltas collapsed) and the set of keys per event kind, for OpenAI
 * chat completions and Anthropic messages, streaming and not.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fixturesSkip } from '../../test/helpers/provider-replay.js';
import { startMockUpstream, type MockUpstream } from './mock-upstream.js';
import { defaultFixturesDir } from './replay-fixture.js';
import { ANTHROPIC_HEADERS, OPENAI_HEADERS, parseSseFrames, postJson } from './test-sse-frames.js';

const FIXTURES = defaultFixturesDir();
const skip = fixturesSkip('');

function recordedLines(file: string): any[] {
  return readFileSync(join(FIXTURES, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}
function recordedJson(file: string): any {
  return JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'));
}

/** Collapses runs of the same kind: [a, b, b, b, c] → [a, b, c]. */
function collapse(kinds: string[]): string[] {
  return kinds.filter((k, i) => i === 0 || kinds[i - 1] !== k);
}

/** Sorted key list per kind, checking that every event of a kind has the same keys. */
function keysByKind(events: any[], kindOf: (e: any) => string, pick: (e: any) => unknown = (e) => e): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of events) {
    const target = pick(e);
    if (typeof target !== 'object' || target === null) continue;
    const keys = Object.keys(target).sort().join(',');
    const kind = kindOf(e);
    const seen = out.get(kind);
    assert.ok(seen === undefined || seen === keys, `events of kind ${kind} differ in keys: ${seen} vs ${keys}`);
    out.set(kind, keys);
  }
  return out;
}

function openaiKind(chunk: any): string {
  if (Array.isArray(chunk.choices) && chunk.choices.length === 0) return 'usage';
  const choice = chunk.choices[0];
  if (choice.finish_reason) return 'finish';
  if ('role' in choice.delta) return 'role';
  if (choice.delta.tool_calls) return 'tool_call';
  return 'content';
}

const anthropicKind = (e: any): string => e.type;

let mock: MockUpstream;
before(async () => {
  mock = await startMockUpstream();
});
after(async () => {
  await mock.close();
});

async function mockAnthropicStream(body: Record<string, unknown>): Promise<any[]> {
  const res = await postJson(`${mock.url}/v1/messages`, { ...body, stream: true }, ANTHROPIC_HEADERS);
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'] as string, /^text\/event-stream/);
  return parseSseFrames(res.text).map((f) => {
    const payload = JSON.parse(f.data);
    assert.equal(f.event, payload.type, 'the SSE event name is the payload type');
    return payload;
  });
}

async function mockOpenAIStream(body: Record<string, unknown>): Promise<any[]> {
  const res = await postJson(
    `${mock.url}/v1/chat/completions`,
    { ...body, stream: true, stream_options: { include_usage: true } },
    OPENAI_HEADERS,
  );
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'] as string, /^text\/event-stream/);
  const frames = parseSseFrames(res.text);
  assert.ok(frames.every((f) => f.event === undefined), 'OpenAI frames are bare data lines');
  assert.equal(frames[frames.length - 1]!.data, '[DONE]');
  return frames.slice(0, -1).map((f) => JSON.parse(f.data));
}

describe('mock streams against the real recordings', { skip }, () => {
  test('Anthropic text stream: same event order and keys as anthropic-text.chunks.txt', async () => {
    const real = recordedLines('anthropic/anthropic-text.chunks.txt');
    const ours = await mockAnthropicStream({
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Hello, how are you?' }],
    });
    assert.deepEqual(collapse(ours.map(anthropicKind)), collapse(real.map(anthropicKind)));
    assert.deepEqual(keysByKind(ours, anthropicKind), keysByKind(real, anthropicKind));
    const start = (events: any[]) => events.find((e) => e.type === 'message_start').message;
    assert.deepEqual(Object.keys(start(ours)).sort(), Object.keys(start(real)).sort());
    const deltaUsage = (events: any[]) => events.find((e) => e.type === 'message_delta').usage;
    assert.deepEqual(Object.keys(deltaUsage(ours)).sort(), Object.keys(deltaUsage(real)).sort());
    const cbDelta = (events: any[]) => events.find((e) => e.type === 'content_block_delta').delta;
    assert.deepEqual(Object.keys(cbDelta(ours)).sort(), Object.keys(cbDelta(real)).sort());
  });

  test('Anthropic tool stream: same kinds (pings aside) and block shapes as anthropic-json-tool.1.chunks.txt', async () => {
    const real = recordedLines('anthropic/anthropic-json-tool.1.chunks.txt');
    const ours = await mockAnthropicStream({
      model: 'm',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [{ name: 'json', input_schema: { type: 'object', properties: { elements: { type: 'array' } } } }],
    });
    const noPing = (events: any[]) => events.filter((e) => e.type !== 'ping');
    assert.deepEqual(collapse(noPing(ours).map(anthropicKind)), collapse(noPing(real).map(anthropicKind)));
    assert.deepEqual(keysByKind(ours, anthropicKind), keysByKind(real, anthropicKind));
    const blockOf = (events: any[]) => events.find((e) => e.type === 'content_block_start').content_block;
    assert.deepEqual(Object.keys(blockOf(ours)).sort(), Object.keys(blockOf(real)).sort());
    assert.deepEqual(blockOf(ours).input, {});
    const deltas = (events: any[]) => events.filter((e) => e.type === 'content_block_delta').map((e) => e.delta);
    for (const d of deltas(ours)) assert.equal(d.type, 'input_json_delta');
    assert.equal(deltas(ours)[0].partial_json, '', 'like the real API, the first piece is empty');
    assert.deepEqual(JSON.parse(deltas(ours).map((d: any) => d.partial_json).join('')), { elements: [] });
    assert.equal(ours.find((e) => e.type === 'message_delta').delta.stop_reason, 'tool_use');
  });

  test('OpenAI text stream: same chunk kinds and keys as openai-text.chunks.txt', async () => {
    const real = recordedLines('openai-chat/openai-text.chunks.txt');
    const ours = await mockOpenAIStream({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'Invent a holiday' }] });
    assert.deepEqual(collapse(ours.map(openaiKind)), collapse(real.map(openaiKind)));
    assert.deepEqual(collapse(ours.map(openaiKind)), ['role', 'content', 'finish', 'usage']);
    assert.deepEqual(keysByKind(ours, openaiKind), keysByKind(real, openaiKind));
    const choiceOf = (c: any) => c.choices[0];
    const withChoice = (events: any[]) => events.filter((c) => c.choices.length > 0);
    assert.deepEqual(keysByKind(withChoice(ours), openaiKind, choiceOf), keysByKind(withChoice(real), openaiKind, choiceOf));
    const deltaOf = (c: any) => c.choices[0].delta;
    assert.deepEqual(keysByKind(withChoice(ours), openaiKind, deltaOf), keysByKind(withChoice(real), openaiKind, deltaOf));
    const usageOf = (events: any[]) => events[events.length - 1].usage;
    assert.deepEqual(Object.keys(usageOf(ours)).sort(), Object.keys(usageOf(real)).sort());
  });
});

describe('mock JSON bodies against the real recordings', { skip }, () => {
  test('OpenAI chat.completion has the keys of openai-text.json', async () => {
    const real = recordedJson('openai-chat/openai-text.json');
    const res = await postJson(`${mock.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'x' }] }, OPENAI_HEADERS);
    const ours = JSON.parse(res.text);
    const keys = (o: any) => Object.keys(o).sort();
    assert.deepEqual(keys(ours), keys(real));
    assert.deepEqual(keys(ours.choices[0]), keys(real.choices[0]));
    assert.deepEqual(keys(ours.choices[0].message), keys(real.choices[0].message));
    assert.deepEqual(keys(ours.usage), keys(real.usage));
    assert.deepEqual(keys(ours.usage.prompt_tokens_details), keys(real.usage.prompt_tokens_details));
    assert.deepEqual(keys(ours.usage.completion_tokens_details), keys(real.usage.completion_tokens_details));
  });

  test('Anthropic message has the keys of anthropic-text.json and anthropic-json-tool.1.json', async () => {
    const keys = (o: any) => Object.keys(o).sort();
    const realText = recordedJson('anthropic/anthropic-text.json');
    const text = JSON.parse(
      (await postJson(`${mock.url}/v1/messages`, { model: 'm', max_tokens: 9, messages: [{ role: 'user', content: 'x' }] }, ANTHROPIC_HEADERS)).text,
    );
    assert.deepEqual(keys(text), keys(realText));
    assert.deepEqual(keys(text.content[0]), keys(realText.content[0]));
    for (const k of keys(text.usage)) assert.ok(k in realText.usage, `usage.${k} exists in the recording`);

    const realTool = recordedJson('anthropic/anthropic-json-tool.1.json');
    const tool = JSON.parse(
      (
        await postJson(
          `${mock.url}/v1/messages`,
          { model: 'm', max_tokens: 9, messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'json', input_schema: { type: 'object' } }] },
          ANTHROPIC_HEADERS,
        )
      ).text,
    );
    assert.deepEqual(keys(tool.content[0]), keys(realTool.content[0]));
    assert.equal(tool.stop_reason, realTool.stop_reason);
  });
});
