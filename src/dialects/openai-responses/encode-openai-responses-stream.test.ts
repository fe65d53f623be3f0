import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/errors.js';
import type { StreamEvent } from '../../core/stream-event.js';
import { parseOpenAIResponsesRequest } from './parse-openai-responses-request.js';
import { createOpenAIResponsesStreamEncoder } from './encode-openai-responses-stream.js';

function run(events: StreamEvent[], body: Record<string, unknown> = { model: 'm', input: 'x' }, error?: GatewayError) {
  const request = parseOpenAIResponsesRequest(body);
  const enc = createOpenAIResponsesStreamEncoder({ requestModel: 'm', request }, { stored: true });
  let text = events.map((e) => enc.encode(e)).join('');
  text += error ? enc.encodeError(error) : enc.end();
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((frame) => {
      const [ev, data] = frame.split('\ndata: ');
      const parsed = JSON.parse(data!) as Record<string, any>;
      assert.equal(ev, `event: ${parsed.type}`);
      return parsed;
    });
}

describe('createOpenAIResponsesStreamEncoder', () => {
  it('reasoning (as summary when asked), text and a tool call, numbered from 0, ending in response.completed', () => {
    const out = run(
      [
        { type: 'start', id: 'msg_up', model: 'claude' },
        { type: 'reasoning-start', index: 0 },
        { type: 'reasoning-delta', index: 0, text: 'think' },
        { type: 'reasoning-signature', index: 0, signature: 'sig' },
        { type: 'reasoning-end', index: 0 },
        { type: 'text-start', index: 1 },
        { type: 'text-delta', index: 1, text: 'Hel' },
        { type: 'text-delta', index: 1, text: 'lo' },
        { type: 'text-end', index: 1 },
        { type: 'tool-call-start', index: 2, id: 'call_1', name: 'f' },
        { type: 'tool-call-delta', index: 2, argumentsDelta: '{"a"' },
        { type: 'tool-call-delta', index: 2, argumentsDelta: ':1}' },
        { type: 'tool-call-end', index: 2 },
        { type: 'finish', finishReason: 'tool-calls', usage: { inputTokens: 3, outputTokens: 4 } },
      ],
      { model: 'm', input: 'x', reasoning: { effort: 'low', summary: 'auto' } },
    );
    assert.deepEqual(out.map((e) => e.sequence_number), out.map((_, i) => i));
    assert.deepEqual(out.map((e) => e.type), [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const done = out.at(-1)!.response;
    assert.equal(done.status, 'completed');
    assert.equal(done.store, true);
    assert.deepEqual(done.output.map((o: { type: string }) => o.type), ['reasoning', 'message', 'function_call']);
    assert.match(done.output[0].encrypted_content, /^sy1\./, 'the signature travels back in the carrier');
    assert.equal(done.output[1].content[0].text, 'Hello');
    assert.deepEqual(done.output[2], { id: done.output[2].id, type: 'function_call', status: 'completed', arguments: '{"a":1}', call_id: 'call_1', name: 'f' });
    assert.deepEqual(done.usage, { input_tokens: 3, input_tokens_details: { cached_tokens: 0 }, output_tokens: 4, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 7 });
    assert.ok(out.slice(2, -1).every((e) => e.output_index !== undefined));
  });

  it('a cut by the output limit ends in response.incomplete; blocks left open are closed first', () => {
    const out = run([
      { type: 'start', id: 'x', model: 'm' },
      { type: 'text-delta', index: 0, text: 'Hi' },
      { type: 'finish', finishReason: 'length' },
    ]);
    assert.deepEqual(out.slice(-2).map((e) => e.type), ['response.output_item.done', 'response.incomplete']);
    assert.deepEqual(out.at(-1)!.response.incomplete_details, { reason: 'max_output_tokens' });
  });

  it('a failure after the commit point ends with response.failed carrying the error, never an error envelope', () => {
    const out = run([{ type: 'start', id: 'x', model: 'm' }, { type: 'text-delta', index: 0, text: 'Hi' }], undefined, new GatewayError('GW_ERR_STREAM_INTERRUPTED', 'upstream went away'));
    const last = out.at(-1)!;
    assert.equal(last.type, 'response.failed');
    assert.equal(last.error, undefined);
    assert.deepEqual(last.response.error, { code: 'GW_ERR_STREAM_INTERRUPTED', message: 'upstream went away' });
    assert.equal(last.response.status, 'failed');
  });
});
