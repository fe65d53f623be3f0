/** The Responses upstream mappers against the recordings in shared/fixtures/openai-responses. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chunkLines, fixturesSkip, readFixture } from '../../../test/helpers/provider-replay.js';
import type { StreamEvent } from '../../core/stream-event.js';
import { mapOpenAIResponsesResponse } from './map-openai-responses-response.js';
import { createOpenAIResponsesStreamMapper } from './map-openai-responses-stream.js';

const skip = fixturesSkip('openai-responses');

function mapChunks(file: string): StreamEvent[] {
  const mapper = createOpenAIResponsesStreamMapper({ provider: 'p' });
  const out: StreamEvent[] = [];
  for (const line of chunkLines(readFixture('openai-responses', file))) {
    if (mapper.finished) break;
    mapper.push({ data: line }, out);
  }
  return out;
}

describe('OpenAI Responses upstream mapping (recordings)', { skip }, () => {
  it('a stream with reasoning and a function call: blocks in order, the encrypted content on the reasoning block', () => {
    const events = mapChunks('openai-reasoning-encrypted-content.1.chunks.txt');
    assert.equal(events[0]!.type, 'start');
    const kinds = events.filter((e) => e.type.endsWith('-start') && e.type !== 'start').map((e) => e.type);
    assert.deepEqual(kinds, ['reasoning-start', 'tool-call-start']);
    const r = events.find((e) => e.type === 'reasoning-start');
    assert.ok(r && r.type === 'reasoning-start' && typeof (r.providerMetadata?.openai as { encrypted_content?: string }).encrypted_content === 'string');
    const args = events.filter((e) => e.type === 'tool-call-delta').map((e) => (e as { argumentsDelta: string }).argumentsDelta).join('');
    assert.deepEqual(JSON.parse(args), { a: 12, b: 7, op: 'add' });
    const finish = events.at(-1)!;
    assert.equal(finish.type, 'finish');
    assert.equal(finish.type === 'finish' && finish.finishReason, 'tool-calls');
  });

  it('a failed stream is an error event, whatever came before it', () => {
    const events = mapChunks('openai-error.1.chunks.txt');
    const err = events.find((e) => e.type === 'error');
    assert.ok(err && err.type === 'error' && /exceeded your current quota/.test(err.error.message));
  });

  it('whole responses: text of every message item, function calls by call_id, usage', () => {
    const phase = mapOpenAIResponsesResponse(JSON.parse(readFixture('openai-responses', 'openai-phase.1.json')), 'p');
    assert.deepEqual(phase.content.map((p) => p.type), ['text', 'text']);
    assert.equal(phase.finishReason, 'stop');
    assert.ok(phase.usage.inputTokens > 0);
    const tool = mapOpenAIResponsesResponse(JSON.parse(readFixture('openai-responses', 'openai-client-tool-search.2.json')), 'p');
    const call = tool.content.find((p) => p.type === 'tool-call');
    assert.ok(call && call.type === 'tool-call' && call.id.startsWith('call_') && call.name === 'get_weather');
    assert.equal(tool.finishReason, 'tool-calls');
  });
});
