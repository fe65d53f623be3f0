import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { CoreResponse } from '../../core/response.js';
import { collectResponse } from '../shared/collect-response.js';
import { peekBeforeCommit } from '../shared/peek-before-commit.js';
import { createSseUpstreamStream } from '../shared/sse-stream.js';
import type { UpstreamResponse } from '../shared/upstream-client.js';
import { mapOpenAIResponse } from './map-openai-response.js';
import { createOpenAIStreamMapper } from './map-openai-stream.js';
import { openAIJsonToSse } from './openai-json-to-sse.js';

/** A JSON answer sent to a stream request, read the way the provider reads it, then assembled. */
async function viaStream(json: unknown, choices = 1): Promise<{ response: CoreResponse; raw: string }> {
  const body = new PassThrough();
  const stream = createSseUpstreamStream({
    body: body as unknown as UpstreamResponse['body'],
    mapper: createOpenAIStreamMapper({ provider: 'compat', clientWantsUsage: true, choices }),
    provider: 'compat',
    signal: new AbortController().signal,
    timeouts: { connectMs: 1000, firstByteMs: 1000, idleMs: 1000 },
    rawDialect: 'openai-chat',
    jsonAnswer: (text) => openAIJsonToSse(text, 'compat'),
  });
  const raw: Buffer[] = [];
  const peeking = peekBeforeCommit(stream);
  body.end(JSON.stringify(json));
  const peeked = await peeking;
  for (const f of peeked.buffered) if (f.raw) raw.push(Buffer.from(f.raw.bytes));
  return { response: await collectResponse(peeked), raw: Buffer.concat(raw).toString() };
}

const completion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 7,
  model: 'qwen3',
  system_fingerprint: 'fp',
  choices: [
    { index: 0, message: { role: 'assistant', content: 'Hi there', reasoning_content: 'think' }, finish_reason: 'stop' },
    { index: 1, message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] }, finish_reason: 'tool_calls' },
  ],
  usage: { prompt_tokens: 4, completion_tokens: 6, total_tokens: 10 },
};

describe('openAIJsonToSse', () => {
  it('a JSON answer read as a stream gives the same answer as read as JSON, every choice kept', async () => {
    const { response } = await viaStream(completion, 2);
    const direct = mapOpenAIResponse(completion, 'compat');
    assert.deepEqual(response.content, direct.content);
    assert.deepEqual(response.choices, direct.choices);
    assert.equal(response.finishReason, 'stop');
    assert.deepEqual(response.usage, direct.usage);
    assert.deepEqual([response.id, response.model, response.created], ['chatcmpl-1', 'qwen3', 7]);
  });

  it('a same-dialect client gets valid chunks ending in [DONE]', async () => {
    const { raw } = await viaStream(completion, 2);
    const datas = raw.split('\n\n').filter((l) => l !== '').map((l) => l.replace(/^data: /, ''));
    assert.equal(datas[datas.length - 1], '[DONE]');
    for (const d of datas.slice(0, -1)) assert.equal(JSON.parse(d).object, 'chat.completion.chunk');
  });

  it('an error body becomes the stream error chunk', () => {
    assert.equal(openAIJsonToSse('{"error":{"message":"bad"}}', 'p'), 'data: {"error":{"message":"bad"}}\n\n');
    assert.throws(() => openAIJsonToSse('[1]', 'p'), { code: 'GW_ERR_UPSTREAM_PROTOCOL' });
  });
});
