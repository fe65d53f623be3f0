import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { request } from 'undici';
import { fixturesSkip } from '../../test/helpers/provider-replay.js';
import { mockEmbedding } from './embeddings-wire.js';
import { startMockUpstream, type MockUpstream } from './mock-upstream.js';

let mock: MockUpstream;
before(async () => {
  mock = await startMockUpstream();
});
after(async () => {
  await mock.close();
});
beforeEach(() => mock.reset());

const KEY = { 'x-goog-api-key': 'AIza-test', 'content-type': 'application/json' };

async function post(path: string, body: unknown, headers: Record<string, string> = KEY) {
  const res = await request(`${mock.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

const events = (text: string) =>
  text
    .split('\r\n\r\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => JSON.parse(e.slice(6)));

const user = (text: string) => ({ role: 'user', parts: [{ text }] });
const tools = [{ functionDeclarations: [{ name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }] }];

describe('mock Gemini API', () => {
  test('403 PERMISSION_DENIED without a key', async () => {
    const r = await post('/v1beta/models/gemini-2.5-flash:generateContent', { contents: [user('hi')] }, { 'content-type': 'application/json' });
    assert.equal(r.status, 403);
    assert.equal(JSON.parse(r.text).error.status, 'PERMISSION_DENIED');
  });

  test('generateContent: text, system prefix, usage, STOP / MAX_TOKENS', async () => {
    const b = JSON.parse((await post('/v1beta/models/gemini-2.5-flash:generateContent', { systemInstruction: { parts: [{ text: 'Be kind.' }] }, contents: [user('hello there')] })).text);
    assert.equal(b.candidates[0].content.parts[0].text, '[system: Be kind.] mock reply to: hello there');
    assert.equal(b.candidates[0].finishReason, 'STOP');
    assert.deepEqual([b.usageMetadata.promptTokenCount, b.usageMetadata.candidatesTokenCount], [4, 8]);
    assert.equal(b.modelVersion, 'gemini-2.5-flash');
    const cut = JSON.parse((await post('/v1beta/models/gemini-2.5-flash:generateContent', { contents: [user('a b c d')], generationConfig: { maxOutputTokens: 2 } })).text);
    assert.equal(cut.candidates[0].finishReason, 'MAX_TOKENS');
  });

  test('function call with a thought signature, STOP; function response → tool result text', async () => {
    const call = JSON.parse((await post('/v1beta/models/gemini-3-pro-preview:generateContent', { contents: [user('weather?')], tools })).text);
    const part = call.candidates[0].content.parts[0];
    assert.deepEqual(part, { functionCall: { name: 'weather', args: { city: 'mock' } }, thoughtSignature: 'mock-signature-1' });
    assert.equal(call.candidates[0].finishReason, 'STOP');
    const back = { role: 'model', parts: [part] };
    const answer = JSON.parse(
      (await post('/v1beta/models/gemini-3-pro-preview:generateContent', { tools, contents: [user('weather?'), back, { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { content: 'sunny' } } }] }] })).text,
    );
    assert.equal(answer.candidates[0].content.parts[0].text, 'tool result was: sunny');
  });

  test('Gemini 3 refuses a history function call without its thought signature', async () => {
    const r = await post('/v1beta/models/gemini-3-pro-preview:generateContent', {
      contents: [user('x'), { role: 'model', parts: [{ functionCall: { name: 'weather', args: {} } }] }, { role: 'user', parts: [{ functionResponse: { name: 'weather', response: {} } }] }],
    });
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.text).error.message, /thought_signature/);
  });

  test('streamGenerateContent?alt=sse: one event per word, finish and usage on the last', async () => {
    const r = await post('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', { contents: [user('count to three')] });
    assert.match(String(r.headers['content-type']), /^text\/event-stream/);
    const ev = events(r.text);
    assert.equal(ev.map((e) => e.candidates[0].content.parts[0].text).join(''), 'mock reply to: count to three');
    assert.equal(ev.at(-1).candidates[0].finishReason, 'STOP');
    assert.equal(ev.at(-1).usageMetadata.candidatesTokenCount, 6);
    assert.ok(ev.slice(0, -1).every((e) => e.candidates[0].finishReason === undefined));
  });

  test('replays a recording (fixture:gemini/...)', { skip: fixturesSkip('gemini') }, async () => {
    const r = await post(`/v1beta/models/${encodeURIComponent('fixture:gemini/google-text')}:streamGenerateContent?alt=sse`, { contents: [user('x')] });
    assert.equal(events(r.text).at(-1).candidates[0].finishReason, 'STOP');
  });

  test('batchEmbedContents: deterministic vectors, outputDimensionality', async () => {
    const r = JSON.parse(
      (await post('/v1beta/models/gemini-embedding-001:batchEmbedContents', { requests: [{ model: 'models/gemini-embedding-001', content: { parts: [{ text: 'a' }] }, outputDimensionality: 3 }] })).text,
    );
    assert.deepEqual(r.embeddings[0].values, mockEmbedding('a', 3));
  });

  test('OpenAI /v1/embeddings: float and base64', async () => {
    const headers = { authorization: 'Bearer sk', 'content-type': 'application/json' };
    const f = JSON.parse((await post('/v1/embeddings', { model: 'text-embedding-3-small', input: ['a', 'b'] }, headers)).text);
    assert.deepEqual(f.data[1].embedding, mockEmbedding('b'));
    assert.deepEqual(f.usage, { prompt_tokens: 2, total_tokens: 2 });
    const b = JSON.parse((await post('/v1/embeddings', { model: 'm', input: 'a', encoding_format: 'base64' }, headers)).text);
    const buf = Buffer.from(b.data[0].embedding, 'base64');
    assert.equal(buf.readFloatLE(0), mockEmbedding('a')[0]);
  });
});
