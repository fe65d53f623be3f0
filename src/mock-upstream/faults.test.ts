/**
 * Every fault kind, observed from a client. No sleeps for synchronisation: tests wait on the
 * mock's recorded requests and on the client's own promises; timing is only checked as lower
 * bounds the mock guarantees.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, beforeEach, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { request } from 'undici';
import { startMockUpstream, type MockUpstream } from './mock-upstream.js';
import { ANTHROPIC_HEADERS, OPENAI_HEADERS, parseSseFrames, postJson } from './test-sse-frames.js';

let mock: MockUpstream;
let openai: OpenAI;
let anthropic: Anthropic;

before(async () => {
  mock = await startMockUpstream();
  openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: mock.url, maxRetries: 0 });
});
after(async () => {
  await mock.close();
});
beforeEach(() => mock.reset());

const chatBody = (extra: Record<string, unknown> = {}) => ({
  model: 'm',
  messages: [{ role: 'user', content: 'hi there' }],
  ...extra,
});
const messagesBody = (extra: Record<string, unknown> = {}) => ({
  model: 'm',
  max_tokens: 100,
  messages: [{ role: 'user', content: 'hi there' }],
  ...extra,
});

/** Reads a streamed body until it ends or fails; returns what arrived and the failure. */
async function drain(body: AsyncIterable<Buffer>): Promise<{ text: string; error: unknown }> {
  let text = '';
  try {
    for await (const chunk of body) text += chunk.toString('utf8');
  } catch (error) {
    return { text, error };
  }
  return { text, error: undefined };
}

const SOCKET_ERRORS = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED']);
function isSocketError(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return SOCKET_ERRORS.has(e?.code ?? '') || SOCKET_ERRORS.has(e?.cause?.code ?? '');
}

describe('status', () => {
  test('OpenAI route: error shape with retry-after and retry-after-ms headers', async () => {
    mock.setFaults([{ fault: { kind: 'status', status: 429, retryAfterSeconds: 2, retryAfterMs: 1500 } }]);
    const res = await postJson(`${mock.url}/v1/chat/completions`, chatBody(), OPENAI_HEADERS);
    assert.equal(res.status, 429);
    assert.equal(res.headers['retry-after'], '2');
    assert.equal(res.headers['retry-after-ms'], '1500');
    const body = JSON.parse(res.text);
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(body.error.code, 'rate_limit_exceeded');

    mock.setFaults([{ fault: { kind: 'status', status: 500 } }]);
    await assert.rejects(openai.chat.completions.create(chatBody() as any), (err: unknown) => {
      assert.ok(err instanceof OpenAI.InternalServerError);
      assert.equal((err.error as any).type, 'server_error');
      return true;
    });
  });

  test('Anthropic route: 529 overloaded_error and 429 rate_limit_error', async () => {
    mock.setFaults([{ fault: { kind: 'status', status: 529 } }]);
    await assert.rejects(anthropic.messages.create(messagesBody() as any), (err: unknown) => {
      assert.ok(err instanceof Anthropic.APIError);
      assert.equal(err.status, 529);
      assert.equal((err.error as any).type, 'error');
      assert.equal((err.error as any).error.type, 'overloaded_error');
      return true;
    });
    mock.setFaults([{ fault: { kind: 'status', status: 429, retryAfterSeconds: 3 } }]);
    const res = await postJson(`${mock.url}/v1/messages`, messagesBody(), ANTHROPIC_HEADERS);
    assert.equal(res.status, 429);
    assert.equal(res.headers['retry-after'], '3');
    assert.match(res.headers['request-id'] as string, /^req_/);
    assert.equal(JSON.parse(res.text).error.type, 'rate_limit_error');
  });

  test('times and path: rules are consumed in order and only for their path', async () => {
    mock.setFaults([
      { fault: { kind: 'status', status: 503 }, path: '/v1/messages', times: 1 },
      { fault: { kind: 'status', status: 500 }, times: 2 },
    ]);
    // Chat: the first rule is for another path, the second applies twice.
    assert.equal((await postJson(`${mock.url}/v1/chat/completions`, chatBody(), OPENAI_HEADERS)).status, 500);
    // Messages: the first rule applies once...
    const m1 = await postJson(`${mock.url}/v1/messages`, messagesBody(), ANTHROPIC_HEADERS);
    assert.equal(m1.status, 503);
    assert.equal(JSON.parse(m1.text).error.type, 'api_error');
    // ...then the second rule's last use...
    assert.equal((await postJson(`${mock.url}/v1/messages`, messagesBody(), ANTHROPIC_HEADERS)).status, 500);
    // ...then no rule left.
    assert.equal((await postJson(`${mock.url}/v1/messages`, messagesBody(), ANTHROPIC_HEADERS)).status, 200);
    assert.equal((await postJson(`${mock.url}/v1/chat/completions`, chatBody(), OPENAI_HEADERS)).status, 200);
    assert.equal(mock.requests.length, 5, 'faulted requests are recorded too');
  });
});

describe('latency', () => {
  test('delays the headers by at least ms, then answers normally', async () => {
    mock.setFaults([{ fault: { kind: 'latency', ms: 120, jitterMs: 10 }, times: 1 }]);
    const t0 = performance.now();
    const res = await request(`${mock.url}/v1/chat/completions`, { method: 'POST', headers: OPENAI_HEADERS, body: JSON.stringify(chatBody()) });
    const elapsed = performance.now() - t0;
    assert.equal(res.statusCode, 200);
    assert.equal(((await res.body.json()) as any).choices[0].message.content, 'mock reply to: hi there');
    assert.ok(elapsed >= 115, `took ${elapsed} ms`);
  });
});

describe('blackhole', () => {
  test('reads the request and never answers until the client aborts', async () => {
    mock.setFaults([{ fault: { kind: 'blackhole' } }]);
    const ac = new AbortController();
    let settled = false;
    const pending = request(`${mock.url}/v1/chat/completions`, {
      method: 'POST',
      headers: OPENAI_HEADERS,
      body: JSON.stringify(chatBody()),
      signal: ac.signal,
    }).finally(() => {
      settled = true;
    });
    const [recorded] = await mock.waitForRequests(1);
    assert.equal(recorded!.path, '/v1/chat/completions');
    assert.equal(recorded!.body.model, 'm');
    assert.equal(settled, false, 'no response before the client gives up');
    ac.abort();
    await assert.rejects(pending, (err: unknown) => {
      assert.equal((err as Error).name, 'AbortError');
      return true;
    });
  });

  test('close() ends blackholed connections', async () => {
    const own = await startMockUpstream({ faults: [{ fault: { kind: 'blackhole' } }] });
    const pending = request(`${own.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: JSON.stringify(messagesBody()) });
    await own.waitForRequests(1);
    await own.close();
    await assert.rejects(pending, (err: unknown) => isSocketError(err));
  });
});

describe('reset', () => {
  test('destroys the connection without a response', async () => {
    mock.setFaults([{ fault: { kind: 'reset' }, times: 2 }]);
    await assert.rejects(
      request(`${mock.url}/v1/chat/completions`, { method: 'POST', headers: OPENAI_HEADERS, body: JSON.stringify(chatBody()) }),
      (err: unknown) => isSocketError(err),
    );
    await assert.rejects(anthropic.messages.create(messagesBody() as any), (err: unknown) => {
      assert.ok(err instanceof Anthropic.APIConnectionError);
      return true;
    });
    assert.equal(mock.requests.length, 2);
    assert.equal((await postJson(`${mock.url}/v1/messages`, messagesBody(), ANTHROPIC_HEADERS)).status, 200);
  });
});

describe('cut-mid-stream', () => {
  test('Anthropic stream: preamble and two content events, then the socket dies', async () => {
    mock.setFaults([{ fault: { kind: 'cut-mid-stream' } }]);
    const res = await request(`${mock.url}/v1/messages`, {
      method: 'POST',
      headers: ANTHROPIC_HEADERS,
      body: JSON.stringify(messagesBody({ stream: true })),
    });
    assert.equal(res.statusCode, 200);
    const { text, error } = await drain(res.body);
    assert.ok(isSocketError(error), `stream failed with ${String(error)}`);
    assert.deepEqual(
      parseSseFrames(text).map((f) => f.event),
      ['message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta'],
    );
  });

  test('OpenAI stream with afterEvents: the SDK sees the stream break', async () => {
    mock.setFaults([{ fault: { kind: 'cut-mid-stream', afterEvents: 1 } }]);
    const res = await request(`${mock.url}/v1/chat/completions`, {
      method: 'POST',
      headers: OPENAI_HEADERS,
      body: JSON.stringify(chatBody({ stream: true })),
    });
    const { text, error } = await drain(res.body);
    assert.ok(isSocketError(error));
    const frames = parseSseFrames(text).map((f) => JSON.parse(f.data));
    assert.equal(frames.length, 2);
    assert.equal(frames[0].choices[0].delta.role, 'assistant');
    assert.equal(frames[1].choices[0].delta.content, 'mock');

    const stream = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi there' }], stream: true });
    const received: string[] = [];
    await assert.rejects(async () => {
      for await (const c of stream) received.push(c.choices[0]?.delta.content ?? '');
    });
    assert.deepEqual(received, ['', 'mock']);
  });

  test('non-stream: headers, then the socket dies before the body', async () => {
    mock.setFaults([{ fault: { kind: 'cut-mid-stream' } }]);
    const res = await request(`${mock.url}/v1/chat/completions`, { method: 'POST', headers: OPENAI_HEADERS, body: JSON.stringify(chatBody()) });
    assert.equal(res.statusCode, 200);
    assert.ok(Number(res.headers['content-length']) > 0);
    const { text, error } = await drain(res.body);
    assert.equal(text, '');
    assert.ok(error instanceof Error);
  });
});

describe('slow-drip', () => {
  test('stream events arrive at least intervalMs apart', async () => {
    mock.setFaults([{ fault: { kind: 'slow-drip', intervalMs: 25 } }]);
    const res = await request(`${mock.url}/v1/chat/completions`, {
      method: 'POST',
      headers: OPENAI_HEADERS,
      body: JSON.stringify(chatBody({ stream: true })),
    });
    const t0 = performance.now();
    const { text, error } = await drain(res.body);
    const elapsed = performance.now() - t0;
    assert.equal(error, undefined);
    const frames = parseSseFrames(text);
    // role, 5 words, finish, [DONE]
    assert.equal(frames.length, 8);
    assert.equal(frames[frames.length - 1]!.data, '[DONE]');
    assert.ok(elapsed >= 25 * 7 - 5, `stream took ${elapsed} ms`);
  });

  test('non-stream: the body comes intervalMs after the headers', async () => {
    mock.setFaults([{ fault: { kind: 'slow-drip', intervalMs: 60 } }]);
    const res = await request(`${mock.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: JSON.stringify(messagesBody()) });
    const t0 = performance.now();
    const body = (await res.body.json()) as any;
    const elapsed = performance.now() - t0;
    assert.equal(body.content[0].text, 'mock reply to: hi there');
    assert.ok(elapsed >= 55, `body took ${elapsed} ms`);
  });
});

describe('error-first-event', () => {
  test('OpenAI: 200 then a data: {"error":...} event, which the SDK raises', async () => {
    mock.setFaults([{ fault: { kind: 'error-first-event' } }]);
    const res = await postJson(`${mock.url}/v1/chat/completions`, chatBody({ stream: true }), OPENAI_HEADERS);
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] as string, /^text\/event-stream/);
    const frames = parseSseFrames(res.text);
    assert.equal(frames.length, 1);
    assert.equal(JSON.parse(frames[0]!.data).error.type, 'server_error');

    const stream = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi there' }], stream: true });
    await assert.rejects(
      async () => {
        for await (const _ of stream) assert.fail('no chunk expected');
      },
      (err: unknown) => err instanceof OpenAI.APIError,
    );

    const plain = await postJson(`${mock.url}/v1/chat/completions`, chatBody(), OPENAI_HEADERS);
    assert.equal(plain.status, 500);
  });

  test('Anthropic: 200 then event: error with overloaded_error, which the SDK raises', async () => {
    mock.setFaults([{ fault: { kind: 'error-first-event' } }]);
    const res = await postJson(`${mock.url}/v1/messages`, messagesBody({ stream: true }), ANTHROPIC_HEADERS);
    assert.equal(res.status, 200);
    const frames = parseSseFrames(res.text);
    assert.equal(frames.length, 1);
    assert.equal(frames[0]!.event, 'error');
    assert.deepEqual(JSON.parse(frames[0]!.data), { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });

    const stream = await anthropic.messages.create({ model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'hi there' }], stream: true });
    await assert.rejects(
      async () => {
        for await (const _ of stream) assert.fail('no event expected');
      },
      (err: unknown) => {
        assert.ok(err instanceof Anthropic.APIError);
        assert.equal((err.error as any).error.type, 'overloaded_error');
        return true;
      },
    );

    const plain = await postJson(`${mock.url}/v1/messages`, messagesBody(), ANTHROPIC_HEADERS);
    assert.equal(plain.status, 529);
  });
});

test('reset() clears requests and faults; setFaults replaces rules', async () => {
  mock.setFaults([{ fault: { kind: 'status', status: 500 } }]);
  assert.equal((await postJson(`${mock.url}/v1/chat/completions`, chatBody(), OPENAI_HEADERS)).status, 500);
  mock.setFaults([{ fault: { kind: 'none' } }, { fault: { kind: 'status', status: 500 } }]);
  assert.equal((await postJson(`${mock.url}/v1/chat/completions`, chatBody(), OPENAI_HEADERS)).status, 200);
  mock.setFaults([{ fault: { kind: 'status', status: 502 } }]);
  mock.reset();
  assert.equal(mock.requests.length, 0);
  assert.equal((await postJson(`${mock.url}/v1/chat/completions`, chatBody(), OPENAI_HEADERS)).status, 200);
  assert.equal(mock.requests.length, 1);
});
