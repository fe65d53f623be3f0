import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { fixturesSkip } from '../../test/helpers/provider-replay.js';
import { startMockUpstream, type MockUpstream } from './mock-upstream.js';
import { defaultFixturesDir, statusForRecordedBody } from './replay-fixture.js';
import { ANTHROPIC_HEADERS, OPENAI_HEADERS, parseSseFrames, postJson } from './test-sse-frames.js';

const FIXTURES = defaultFixturesDir();
const skip = fixturesSkip('');
const lines = (file: string) =>
  readFileSync(join(FIXTURES, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');

let mock: MockUpstream;
before(async () => {
  mock = await startMockUpstream();
});
after(async () => {
  await mock.close();
});

describe('fixture:<folder>/<file-base> replays recordings', { skip }, () => {
  test('Anthropic JSON body verbatim', async () => {
    const res = await postJson(
      `${mock.url}/v1/messages`,
      { model: 'fixture:anthropic/anthropic-text', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
      ANTHROPIC_HEADERS,
    );
    assert.equal(res.status, 200);
    assert.equal(res.text, readFileSync(join(FIXTURES, 'anthropic/anthropic-text.json'), 'utf8'));

    const client = new Anthropic({ apiKey: 'k', baseURL: mock.url, maxRetries: 0 });
    const msg = await client.messages.create({
      model: 'fixture:anthropic/anthropic-tool-no-args',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.equal(msg.stop_reason, 'tool_use');
    assert.equal(msg.content[1]!.type, 'tool_use');
  });

  test('Anthropic stream: one `event: <type>` frame per recorded line, in order', async () => {
    const res = await postJson(
      `${mock.url}/v1/messages`,
      { model: 'fixture:anthropic/anthropic-text', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] },
      ANTHROPIC_HEADERS,
    );
    assert.match(res.headers['content-type'] as string, /^text\/event-stream/);
    const frames = parseSseFrames(res.text);
    const recorded = lines('anthropic/anthropic-text.chunks.txt');
    assert.deepEqual(
      frames.map((f) => f.data),
      recorded,
    );
    assert.deepEqual(
      frames.map((f) => f.event),
      recorded.map((l) => JSON.parse(l).type),
    );

    const client = new Anthropic({ apiKey: 'k', baseURL: mock.url, maxRetries: 0 });
    const final = await client.messages
      .stream({ model: 'fixture:anthropic/anthropic-json-tool.1', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .finalMessage();
    const block = final.content[0]!;
    assert.ok(block.type === 'tool_use');
    assert.deepEqual(block.input, { elements: [{ location: 'San Francisco', temperature: 58, condition: 'sunny' }] });
  });

  test('OpenAI stream: data frames per recorded line, then [DONE]; the SDK reads them', async () => {
    const res = await postJson(
      `${mock.url}/v1/chat/completions`,
      { model: 'fixture:openai-chat/openai-text', stream: true, messages: [{ role: 'user', content: 'hi' }] },
      OPENAI_HEADERS,
    );
    const frames = parseSseFrames(res.text);
    const recorded = lines('openai-chat/openai-text.chunks.txt');
    assert.deepEqual(frames.map((f) => f.data), [...recorded, '[DONE]']);
    assert.ok(frames.every((f) => f.event === undefined));

    const client = new OpenAI({ apiKey: 'k', baseURL: `${mock.url}/v1`, maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'fixture:openai-chat/openai-text',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const chunks: unknown[] = [];
    for await (const c of stream) chunks.push(c);
    assert.deepEqual(chunks, recorded.map((l) => JSON.parse(l)));
  });

  test('OpenAI JSON body, and a recorded error body with its status', async () => {
    const client = new OpenAI({ apiKey: 'k', baseURL: `${mock.url}/v1`, maxRetries: 0 });
    const res = await client.chat.completions.create({ model: 'fixture:openai-chat/openai-text', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(res.id, 'chatcmpl-D8Z5f52zQqikDBEKQMQoYcWMcWPeU');
    assert.equal(res.model, 'gpt-4.1-nano-2025-04-14');

    await assert.rejects(
      client.chat.completions.create({ model: 'fixture:openai-chat/reasoning-model-legacy-parameter-error', messages: [{ role: 'user', content: 'hi' }] }),
      (err: unknown) => {
        assert.ok(err instanceof OpenAI.BadRequestError);
        assert.equal(err.code, 'unsupported_parameter');
        return true;
      },
    );
  });

  test('missing recordings are 404 and path escapes are refused', async () => {
    const missing = await postJson(
      `${mock.url}/v1/messages`,
      { model: 'fixture:anthropic/no-such-recording', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
      ANTHROPIC_HEADERS,
    );
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.text).error.type, 'not_found_error');

    const missingOpenAI = await postJson(
      `${mock.url}/v1/chat/completions`,
      { model: 'fixture:openai-chat/no-such-recording', messages: [{ role: 'user', content: 'hi' }] },
      OPENAI_HEADERS,
    );
    assert.equal(missingOpenAI.status, 404);
    assert.equal(JSON.parse(missingOpenAI.text).error.code, 'model_not_found');

    for (const model of ['fixture:../../etc/passwd', 'fixture:anthropic/../anthropic/anthropic-text', 'fixture:/etc/passwd', 'fixture:x']) {
      const res = await postJson(`${mock.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hi' }] }, OPENAI_HEADERS);
      assert.equal(res.status, 400, model);
    }
  });
});

test('fixtures directory: fixturesDir option and SWITCHYARD_FIXTURES_DIR', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mock-upstream-fixtures-'));
  const saved = process.env.SWITCHYARD_FIXTURES_DIR;
  try {
    mkdirSync(join(dir, 'own'));
    writeFileSync(join(dir, 'own', 'tiny.json'), '{"id":"own-1","object":"chat.completion","choices":[]}');
    const viaOption = await startMockUpstream({ fixturesDir: dir });
    try {
      const res = await postJson(`${viaOption.url}/v1/chat/completions`, { model: 'fixture:own/tiny', messages: [{ role: 'user', content: 'x' }] }, OPENAI_HEADERS);
      assert.equal(res.text, '{"id":"own-1","object":"chat.completion","choices":[]}');
    } finally {
      await viaOption.close();
    }
    process.env.SWITCHYARD_FIXTURES_DIR = dir;
    assert.equal(defaultFixturesDir(), dir);
    const viaEnv = await startMockUpstream();
    try {
      const res = await postJson(`${viaEnv.url}/v1/chat/completions`, { model: 'fixture:own/tiny', messages: [{ role: 'user', content: 'x' }] }, OPENAI_HEADERS);
      assert.equal(res.status, 200);
      assert.equal(JSON.parse(res.text).id, 'own-1');
    } finally {
      await viaEnv.close();
    }
  } finally {
    if (saved === undefined) delete process.env.SWITCHYARD_FIXTURES_DIR;
    else process.env.SWITCHYARD_FIXTURES_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('statusForRecordedBody picks the status of recorded error bodies', () => {
  assert.equal(statusForRecordedBody('{"id":"x","error":null}'), 200);
  assert.equal(statusForRecordedBody('{"error":{"type":"invalid_request_error","message":"m"}}'), 400);
  assert.equal(statusForRecordedBody('{"error":{"type":"server_error","message":"m"}}'), 500);
  assert.equal(statusForRecordedBody('{"error":{"code":429,"message":"quota"}}'), 429);
  assert.equal(statusForRecordedBody('{"type":"error","error":{"type":"overloaded_error","message":"o"}}'), 529);
  assert.equal(statusForRecordedBody('not json'), 200);
});
