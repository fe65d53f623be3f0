import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { GatewayError } from '../../core/errors.js';
import type { StreamEvent } from '../../core/stream-event.js';
import type { StreamFrame } from '../provider-adapter.js';
import { createSseUpstreamStream } from './sse-stream.js';
import type { StreamMapper } from './sse-stream.js';
import type { UpstreamResponse } from './upstream-client.js';

/** A mapper that turns each message into one text delta; `hide` and `rewrite` act on matching data. */
function testMapper(opts: { hide?: string; rewrite?: [string, string] } = {}): StreamMapper & { seen: string[] } {
  const seen: string[] = [];
  let finished = false;
  return {
    seen,
    get finished() {
      return finished;
    },
    push(message, out: StreamEvent[]) {
      if (message.data === '[DONE]') {
        finished = true;
        return;
      }
      if (opts.rewrite && message.data === opts.rewrite[0]) message.data = opts.rewrite[1];
      seen.push(message.data);
      out.push({ type: 'text-delta', index: 0, text: message.data });
      if (opts.hide !== undefined && message.data === opts.hide) return false;
      return;
    },
  };
}

/** Feeds `chunks` as the upstream body and collects every frame until the stream ends. */
async function run(
  chunks: Array<string | Buffer>,
  mapper: StreamMapper,
  rawDialect: 'openai-chat' | null = 'openai-chat',
  jsonAnswer?: (json: string) => string,
): Promise<StreamFrame[]> {
  const body = new PassThrough();
  const stream = createSseUpstreamStream({
    body: body as unknown as UpstreamResponse['body'],
    mapper,
    provider: 'test',
    signal: new AbortController().signal,
    timeouts: { connectMs: 1000, firstByteMs: 1000, idleMs: 1000 },
    ...(rawDialect ? { rawDialect } : {}),
    ...(jsonAnswer ? { jsonAnswer } : {}),
  });
  const frames: StreamFrame[] = [];
  const done = new Promise<void>((resolve, reject) => stream.start({ frame: (f) => frames.push(f), end: resolve, error: reject }));
  // One write per chunk, each delivered as its own 'data' event.
  for (const c of chunks) body.write(typeof c === 'string' ? Buffer.from(c) : c);
  body.end();
  await done;
  return frames;
}

const rawText = (frames: StreamFrame[]) => Buffer.concat(frames.flatMap((f) => (f.raw ? [f.raw.bytes] : []))).toString('utf8');
const texts = (frames: StreamFrame[]) => frames.flatMap((f) => f.events.map((e) => (e.type === 'text-delta' ? e.text : e.type)));

describe('SSE upstream stream', () => {
  it('forwards the upstream bytes unchanged, whole messages only, however the network cut them', async () => {
    const body = 'data: {"a":1}\n\nevent: x\ndata: {"b":"é"}\n\n: comment\n\ndata: {"c":3}\n\ndata: [DONE]\n\n';
    const bytes = Buffer.from(body);
    for (let cut = 1; cut < bytes.length; cut++) {
      const frames = await run([bytes.subarray(0, cut), bytes.subarray(cut)], testMapper());
      assert.equal(rawText(frames), body, `cut at ${cut}`);
      assert.deepEqual(texts(frames), ['{"a":1}', '{"b":"é"}', '{"c":3}'], `cut at ${cut}`);
    }
  });

  it('never writes part of a message: a chunk is forwarded up to its last blank line', async () => {
    const frames = await run(['data: {"a":1}\n\ndata: {"b"', ':2}\n\ndata: [DONE]\n\n'], testMapper());
    const written = frames.flatMap((f) => (f.raw ? [Buffer.from(f.raw.bytes).toString()] : []));
    assert.deepEqual(written, ['data: {"a":1}\n\n', 'data: {"b":2}\n\ndata: [DONE]\n\n']);
  });

  it('handles CRLF line ends, including a blank line split across chunks', async () => {
    const body = 'data: {"a":1}\r\n\r\ndata: {"b":2}\r\n\r\ndata: [DONE]\r\n\r\n';
    for (const cut of [15, 16, 17, 30, 31, 32]) {
      const frames = await run([body.slice(0, cut), body.slice(cut)], testMapper());
      assert.equal(rawText(frames), body, `cut at ${cut}`);
      assert.deepEqual(texts(frames), ['{"a":1}', '{"b":2}'], `cut at ${cut}`);
    }
  });

  it('keeps a hidden message from the client while the others still go out', async () => {
    const frames = await run(['data: {"a":1}\n\ndata: {"usage":1}\n\ndata: {"c":3}\n\n', 'data: [DONE]\n\n'], testMapper({ hide: '{"usage":1}' }));
    assert.equal(rawText(frames), 'data: {"a":1}\n\ndata: {"c":3}\n\ndata: [DONE]\n\n');
    assert.deepEqual(texts(frames), ['{"a":1}', '{"usage":1}', '{"c":3}']);
  });

  it('writes a rewritten message as rewritten', async () => {
    const frames = await run(['event: e\ndata: {"old":1}\n\ndata: [DONE]\n\n'], testMapper({ rewrite: ['{"old":1}', '{"new":1}'] }));
    assert.equal(rawText(frames), 'event: e\ndata: {"new":1}\n\ndata: [DONE]\n\n');
  });

  it('falls back to text for lines ending in a lone CR', async () => {
    const frames = await run(['data: {"a":1}\r\r', 'data: {"b":2}\r\rdata: [DONE]\r\r', '\r'], testMapper());
    assert.deepEqual(texts(frames), ['{"a":1}', '{"b":2}']);
    assert.equal(rawText(frames), 'data: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n');
  });

  it('keeps a multi-byte character split across chunks intact', async () => {
    const bytes = Buffer.from('data: {"t":"日本"}\n\ndata: [DONE]\n\n');
    const at = bytes.indexOf(Buffer.from('本')) + 1;
    for (const rawDialect of ['openai-chat', null] as const) {
      const frames = await run([bytes.subarray(0, at), bytes.subarray(at)], testMapper(), rawDialect);
      assert.deepEqual(texts(frames), ['{"t":"日本"}']);
      assert.equal(frames.some((f) => f.raw), rawDialect !== null);
    }
  });

  it('reports a stream that ends before the response is complete', async () => {
    await assert.rejects(run(['data: {"a":1}\n\n'], testMapper()), { code: 'GW_ERR_UPSTREAM_INCOMPLETE' });
  });

  it('takes a complete JSON body as the answer when the provider can rewrite it as its stream', async () => {
    const toSse = (json: string) => `data: ${JSON.parse(json).text}\n\ndata: [DONE]\n\n`;
    for (const rawDialect of ['openai-chat', null] as const) {
      const frames = await run(['  \n{"text":', '"whole"}'], testMapper(), rawDialect, toSse);
      assert.deepEqual(texts(frames), ['whole']);
      if (rawDialect) assert.equal(Buffer.concat(frames.filter((f) => f.raw).map((f) => f.raw!.bytes)).toString(), 'data: whole\n\ndata: [DONE]\n\n');
    }
  });

  it('reports a JSON body as a protocol error when the provider cannot rewrite it', async () => {
    await assert.rejects(run(['{"id":"x"}'], testMapper()), (e: GatewayError) => e.code === 'GW_ERR_UPSTREAM_PROTOCOL' && /JSON body instead of a stream/.test(e.message));
  });

  it('reports an empty 200 body as a protocol error, not a truncated stream', async () => {
    for (const chunks of [[], ['\n\n']]) {
      await assert.rejects(run(chunks, testMapper()), (e: GatewayError) => e.code === 'GW_ERR_UPSTREAM_PROTOCOL' && e.retryable && /empty body/.test(e.message));
    }
  });
});
