import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { request } from 'undici';
import { fixturesSkip } from '../../test/helpers/provider-replay.js';
import { decodeEventStreamFrame, EventStreamFramer } from '../providers/bedrock/event-stream-decoder.js';
import { startMockUpstream, type MockUpstream } from './mock-upstream.js';

let mock: MockUpstream;
before(async () => {
  mock = await startMockUpstream();
});
after(async () => {
  await mock.close();
});
beforeEach(() => mock.reset());

const SIGV4 = {
  authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=${'a'.repeat(64)}`,
  'x-amz-date': '20250101T000000Z',
  'content-type': 'application/json',
};
const MODEL = encodeURIComponent('anthropic.claude-3-haiku-20240307-v1:0');

async function post(path: string, body: unknown, headers: Record<string, string> = SIGV4) {
  const res = await request(`${mock.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const chunks: Buffer[] = [];
  for await (const c of res.body) chunks.push(c as Buffer);
  return { status: res.statusCode, headers: res.headers, chunks, text: Buffer.concat(chunks).toString('utf8') };
}

function decode(chunks: Buffer[]) {
  const framer = new EventStreamFramer();
  const out: Array<{ type: string; payload: any }> = [];
  for (const c of chunks) framer.push(c, (f) => {
    const m = decodeEventStreamFrame(f);
    out.push({ type: m.eventType ?? m.exceptionType ?? '', payload: JSON.parse(m.body) });
  });
  assert.equal(framer.pending, false);
  return out;
}

const user = (text: string) => ({ role: 'user', content: [{ text }] });

describe('mock Bedrock Converse', () => {
  test('refuses a request without SigV4 or a bearer key (403 UnrecognizedClientException)', async () => {
    const r = await post(`/model/${MODEL}/converse`, { messages: [user('hi')] }, { 'content-type': 'application/json' });
    assert.equal(r.status, 403);
    assert.match(String(r.headers['x-amzn-errortype']), /^UnrecognizedClientException/);
    assert.ok(JSON.parse(r.text).message);
  });

  test('text answer with system prefix, usage and stop reason; the model id is decoded', async () => {
    const r = await post(`/model/${MODEL}/converse`, { system: [{ text: 'Be kind.' }], messages: [user('hello there')] });
    assert.equal(r.status, 200);
    const b = JSON.parse(r.text);
    assert.deepEqual(b.output.message, { role: 'assistant', content: [{ text: '[system: Be kind.] mock reply to: hello there' }] });
    assert.equal(b.stopReason, 'end_turn');
    assert.deepEqual(b.usage, { inputTokens: 4, outputTokens: 8, totalTokens: 12, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 });
    assert.equal(mock.requests[0]!.path, `/model/${MODEL}/converse`);
  });

  test('max tokens and tool calls (first tool, schema-derived input), tool results', async () => {
    const tools = { tools: [{ toolSpec: { name: 'w', inputSchema: { json: { type: 'object', properties: { city: { type: 'string' }, n: { type: 'integer' } } } } } }] };
    const cut = JSON.parse((await post(`/model/${MODEL}/converse`, { messages: [user('one two three four')], inferenceConfig: { maxTokens: 2 } })).text);
    assert.equal(cut.stopReason, 'max_tokens');
    assert.equal(cut.output.message.content[0].text, 'mock reply');
    const call = JSON.parse((await post(`/model/${MODEL}/converse`, { messages: [user('weather?')], toolConfig: tools })).text);
    assert.equal(call.stopReason, 'tool_use');
    assert.deepEqual(call.output.message.content, [{ toolUse: { toolUseId: 'tooluse_mock_1', name: 'w', input: { city: 'mock', n: 1 } } }]);
    const result = JSON.parse(
      (
        await post(`/model/${MODEL}/converse`, {
          toolConfig: tools,
          messages: [
            user('weather?'),
            { role: 'assistant', content: call.output.message.content },
            { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_mock_1', content: [{ text: 'sunny' }], status: 'success' } }] },
          ],
        })
      ).text,
    );
    assert.equal(result.output.message.content[0].text, 'tool result was: sunny');
  });

  test('toolUse blocks without toolConfig are a ValidationException, as on Bedrock', async () => {
    const r = await post(`/model/${MODEL}/converse`, { messages: [user('x'), { role: 'assistant', content: [{ toolUse: { toolUseId: 't', name: 'f', input: {} } }] }, user('y')] });
    assert.equal(r.status, 400);
    assert.match(String(r.headers['x-amzn-errortype']), /^ValidationException/);
  });

  test('ConverseStream: binary frames in awkward chunks (frames split across writes)', async () => {
    const r = await post(`/model/${MODEL}/converse-stream`, { messages: [user('count to three')] }, { ...SIGV4, authorization: 'Bearer bedrock-api-key' });
    assert.equal(r.headers['content-type'], 'application/vnd.amazon.eventstream');
    assert.ok(r.chunks.length > 3);
    const frames = decode(r.chunks);
    assert.deepEqual(frames.map((f) => f.type), ['messageStart', ...Array(6).fill('contentBlockDelta'), 'contentBlockStop', 'messageStop', 'metadata']);
    assert.equal(frames.filter((f) => f.type === 'contentBlockDelta').map((f) => f.payload.delta.text).join(''), 'mock reply to: count to three');
    assert.equal(frames.at(-2)!.payload.stopReason, 'end_turn');
    assert.equal(frames.at(-1)!.payload.usage.outputTokens, 6);
    // At least one frame boundary falls inside a write.
    let offset = 0;
    const boundaries = new Set<number>();
    for (const c of r.chunks) boundaries.add((offset += c.length));
    const whole = Buffer.concat(r.chunks);
    let frameEnd = 0;
    let split = false;
    while (frameEnd < whole.length) {
      frameEnd += whole.readUInt32BE(frameEnd);
      if (!boundaries.has(frameEnd)) split = true;
    }
    assert.ok(split);
  });

  test('ConverseStream tool call: contentBlockStart with toolUse, then input pieces', async () => {
    const r = await post(`/model/${MODEL}/converse-stream`, {
      messages: [user('w?')],
      toolConfig: { tools: [{ toolSpec: { name: 'w', inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } } } } } }] },
    });
    const frames = decode(r.chunks);
    assert.deepEqual(frames[1], { type: 'contentBlockStart', payload: { contentBlockIndex: 0, start: { toolUse: { toolUseId: 'tooluse_mock_1', name: 'w' } } } });
    assert.equal(frames.filter((f) => f.type === 'contentBlockDelta').map((f) => f.payload.delta.toolUse.input).join(''), '{"city":"mock"}');
    assert.equal(frames.find((f) => f.type === 'messageStop')!.payload.stopReason, 'tool_use');
  });

  test('replays a recording as event-stream frames', { skip: fixturesSkip('bedrock') }, async () => {
    const r = await post(`/model/${encodeURIComponent('fixture:bedrock/amazon-bedrock-text')}/converse-stream`, { messages: [user('x')] });
    const frames = decode(r.chunks);
    assert.equal(frames[0]!.type, 'messageStart');
    assert.equal(frames.at(-1)!.type, 'metadata');
    assert.equal(frames.at(-1)!.payload.usage.outputTokens, 55);
  });

  test('InvokeModel embeddings: Titan and Cohere', async () => {
    const titan = JSON.parse((await post(`/model/${encodeURIComponent('amazon.titan-embed-text-v2:0')}/invoke`, { inputText: 'a b c', dimensions: 4 })).text);
    assert.equal(titan.embedding.length, 4);
    assert.equal(titan.inputTextTokenCount, 3);
    const cohere = await post('/model/cohere.embed-english-v3/invoke', { texts: ['a', 'b c'], input_type: 'search_document', embedding_types: ['float'] });
    assert.equal(JSON.parse(cohere.text).embeddings.float.length, 2);
    assert.equal(cohere.headers['x-amzn-bedrock-input-token-count'], '3');
  });
});
