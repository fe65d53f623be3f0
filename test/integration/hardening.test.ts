/**
 * The reliability findings of the fuzz run, each reproduced as a user would meet it, through the
 * official SDKs where they can send the request and raw HTTP where they cannot:
 *   1. header values built from client input (unmapped field names) were not safe: 500, a stuck
 *      in-flight gauge, an unread upstream;
 *   2. deeply nested JSON overflowed the stack;
 *   4. slow and idle connections were held for good, with no cap;
 *   6. broken framing and oversized headers got a bare 400;
 *   8. embeddings `dimensions` went upstream unchecked.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { parseMetrics, pollUntil, sumOf } from '../helpers/prometheus.js';
import { defaultConfig, startStack } from '../helpers/stack.js';
import type { Stack } from '../helpers/stack.js';

const LIMITS = { headers_timeout_ms: 400, request_timeout_ms: 800, keep_alive_timeout_ms: 1000, max_connections: 40, header_limit_bytes: 8192 };

let stack: Stack;
let openai: OpenAI;
let anthropic: Anthropic;
before(async () => {
  stack = await startStack({
    config: (url) => {
      const base = defaultConfig(url) as { providers: Record<string, { models: string[] }> };
      base.providers.openai!.models.push('text-embedding-3-small');
      return { ...base, server: { host: '127.0.0.1', port: 0, ...LIMITS } };
    },
  });
  openai = new OpenAI({ apiKey: 'unused', baseURL: `${stack.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'unused', baseURL: `${stack.url}/anthropic`, maxRetries: 0 });
});
after(async () => {
  await stack?.close();
});

const metrics = async () => parseMetrics(await (await fetch(`${stack.url}/metrics`)).text());
const inFlightIsZero = () => pollUntil('in-flight back to 0', async () => (sumOf(await metrics(), 'switchyard_in_flight_requests') === 0 ? true : undefined), 5000);

/** Sends raw bytes on a new connection; resolves with everything the server sent until it closed. */
async function raw(parts: Array<string | Buffer>, opts: { halfClose?: boolean; gapMs?: number; limitMs?: number } = {}): Promise<{ text: string; closedAfterMs: number }> {
  const u = new URL(stack.url);
  const s = connect(Number(u.port), u.hostname);
  await once(s, 'connect');
  const t0 = performance.now();
  let text = '';
  s.on('data', (d: Buffer) => (text += d.toString('latin1')));
  s.on('error', () => undefined);
  const closed = once(s, 'close');
  for (const p of parts) {
    if (s.destroyed) break;
    s.write(p);
    if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
  }
  if (opts.halfClose) s.end();
  const limit = setTimeout(() => s.destroy(), opts.limitMs ?? 5000);
  await closed;
  clearTimeout(limit);
  return { text, closedAfterMs: performance.now() - t0 };
}

function parseResponse(text: string): { status: number; headers: Record<string, string>; body: string } {
  const end = text.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
  return { status: Number(statusLine!.split(' ')[1]), headers, body: text.slice(end + 4) };
}

describe('finding 1: header values from client input', () => {
  it('an OpenAI stream with a content part of type "画像" to an Anthropic target: 200, a safe header, gauge back to 0', async () => {
    const { data, response } = await openai.chat.completions
      .create({
        model: 'anthropic/claude-sonnet-4-6',
        stream: true,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'hello there' }, { type: '画像', url: 'x' } as unknown as OpenAI.ChatCompletionContentPartText] }],
      })
      .withResponse();
    assert.equal(response.status, 200);
    const unmapped = response.headers.get('x-switchyard-unmapped');
    if (unmapped !== null) {
      assert.match(unmapped, /^[\x20-\x7e]*$/);
      if (unmapped.includes('%')) assert.ok(decodeURIComponent(unmapped).length > 0);
    }
    let text = '';
    for await (const chunk of data) text += chunk.choices[0]?.delta?.content ?? '';
    assert.ok(text.length > 0);
    await inFlightIsZero();
  });

  it('an Anthropic request with a top-level key "ключ" to an OpenAI target: 200, the key percent-encoded in x-switchyard-unmapped', async () => {
    const { data, response } = await anthropic.messages
      .create({ model: 'openai/gpt-4o-mini', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }], ключ: 'значение' } as Anthropic.MessageCreateParamsNonStreaming)
      .withResponse();
    assert.equal(response.status, 200);
    assert.equal(data.type, 'message');
    const unmapped = response.headers.get('x-switchyard-unmapped') ?? '';
    assert.match(unmapped, /%D0%BA%D0%BB%D1%8E%D1%87/);
    assert.match(decodeURIComponent(unmapped), /ключ/);
    await inFlightIsZero();
  });

  it('control characters in an unknown key of a stream request: 200 and a well-formed stream', async () => {
    const stream = await anthropic.messages.create({ model: 'openai/gpt-4o-mini', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi' }], 'a\r\nb\u0000': 1 } as Anthropic.MessageCreateParamsStreaming);
    const types: string[] = [];
    for await (const e of stream) types.push(e.type);
    assert.equal(types.at(-1), 'message_stop');
    await inFlightIsZero();
  });
});

describe('finding 2: deeply nested JSON', () => {
  const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
  const cases: Array<[string, string, string]> = [
    ['metadata', '/v1/chat/completions', `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":${deep(10_000)}}`],
    ['tool parameters', '/v1/chat/completions', `{"model":"anthropic/claude-sonnet-4-6","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${deep(10_000)}}}]}`],
    ['json_schema', '/v1/chat/completions', `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"s","schema":${deep(10_000)}}}}`],
    ['tool_use.input', '/anthropic/v1/messages', `{"model":"openai/gpt-4o-mini","max_tokens":10,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":${deep(10_000)}}]}]}`],
  ];
  for (const [name, path, body] of cases) {
    it(`10,000 levels in ${name}: 400 GW_ERR_JSON_TOO_DEEP in the client's dialect`, async () => {
      const res = await fetch(`${stack.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('x-switchyard-error-code'), 'GW_ERR_JSON_TOO_DEEP');
      const json = (await res.json()) as { type?: string; error: { type: string; message: string } };
      if (path.startsWith('/anthropic')) assert.equal(json.type, 'error');
      assert.equal(json.error.type, 'invalid_request_error');
      assert.match(json.error.message, /max_json_depth \(128\)/);
      assert.doesNotMatch(json.error.message, /call stack/);
    });
  }

  it('nesting at the limit is accepted', async () => {
    const res = await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], metadata: JSON.parse(deep(1)) as Record<string, string> });
    assert.equal(res.object, 'chat.completion');
  });
});

describe('finding 4: slow and idle clients', () => {
  it('slowloris (a header line every 150 ms) gets 408 and the connection closed within headers_timeout_ms', async () => {
    const parts = ['POST /v1/messages HTTP/1.1\r\n', 'Host: x\r\n', ...Array.from({ length: 40 }, (_, i) => `X-Slow-${i}: y\r\n`)];
    const r = await raw(parts, { gapMs: 150 });
    const res = parseResponse(r.text);
    assert.equal(res.status, 408);
    assert.equal(res.headers['x-switchyard-error-code'], 'GW_ERR_REQUEST_TIMEOUT');
    assert.equal((JSON.parse(res.body) as { type: string }).type, 'error', 'Anthropic error shape');
    assert.ok(r.closedAfterMs < 4000, `closed after ${r.closedAfterMs} ms`);
  });

  it('a body trickled at 1 byte per 100 ms gets 408 in the route\'s dialect within request_timeout_ms', async () => {
    const head = 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n';
    const r = await raw([head, ...'{"model":"openai/gpt-4o-mini","messages":[]}'.split('')], { gapMs: 100 });
    const res = parseResponse(r.text);
    assert.equal(res.status, 408);
    assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'GW_ERR_REQUEST_TIMEOUT');
    assert.ok(r.closedAfterMs < 4000, `closed after ${r.closedAfterMs} ms`);
    await inFlightIsZero();
  });

  it('a connection that never sends a byte is closed after headers_timeout_ms', async () => {
    const r = await raw([]);
    assert.equal(r.text, '');
    assert.ok(r.closedAfterMs < 4000, `closed after ${r.closedAfterMs} ms`);
  });

  it('an idle keep-alive connection is closed after keep_alive_timeout_ms', async () => {
    const r = await raw(['GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n']);
    assert.equal(parseResponse(r.text).status, 200);
    assert.ok(r.closedAfterMs < 4500, `closed after ${r.closedAfterMs} ms`);
  });

  it('a stream that runs longer than every timeout is not cut', async () => {
    stack.mock.setFaults([{ fault: { kind: 'slow-drip', intervalMs: 150 }, times: 1 }]);
    const t0 = performance.now();
    const stream = await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'one two three four five six seven eight nine ten eleven twelve' }] });
    let chunks = 0;
    let finish: string | null | undefined;
    for await (const c of stream) {
      chunks++;
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    const took = performance.now() - t0;
    assert.equal(finish, 'stop');
    assert.ok(took > LIMITS.keep_alive_timeout_ms, `the stream took ${took} ms, longer than the timeouts (${chunks} chunks)`);
  });

  it('connections above max_connections are closed at once; the ones below keep working', async () => {
    const u = new URL(stack.url);
    const held: Socket[] = [];
    try {
      for (let i = 0; i < LIMITS.max_connections; i++) {
        const s = connect(Number(u.port), u.hostname);
        s.on('error', () => undefined);
        await once(s, 'connect');
        s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
        await once(s, 'data');
        held.push(s);
      }
      const extra = connect(Number(u.port), u.hostname);
      extra.on('error', () => undefined);
      extra.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      let got = '';
      extra.on('data', (d: Buffer) => (got += d.toString()));
      const limit = setTimeout(() => extra.destroy(), 3000);
      await once(extra, 'close');
      clearTimeout(limit);
      assert.equal(got, '', 'the connection over the cap got no answer');
      held[0]!.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      const [again] = (await once(held[0]!, 'data')) as [Buffer];
      assert.match(again.toString(), /^HTTP\/1\.1 200/);
    } finally {
      for (const s of held) s.destroy();
      // The server counts a connection closed when it sees the close: wait for that, bounded.
      const server = stack.gw.app.server;
      await pollUntil('connections closed', () => new Promise<true | undefined>((r) => server.getConnections((_e, n) => r(n < 5 ? true : undefined))), 5000);
    }
  });
});

describe('finding 6: malformed framing and oversized headers, answered in the dialect', () => {
  it('a chunked body cut short (half-close): 400 GW_ERR_MALFORMED_HTTP, Anthropic-shaped on /v1/messages', async () => {
    const r = await raw(['POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"mod\r\n'], { halfClose: true });
    const res = parseResponse(r.text);
    assert.equal(res.status, 400);
    assert.equal(res.headers['x-switchyard-error-code'], 'GW_ERR_MALFORMED_HTTP');
    const body = JSON.parse(res.body) as { type: string; error: { type: string; message: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'invalid_request_error');
    await inFlightIsZero();
  });

  it('a body shorter than its Content-Length (half-close): 400, OpenAI-shaped on /v1/chat/completions', async () => {
    const r = await raw(['POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"model":'], { halfClose: true });
    const res = parseResponse(r.text);
    assert.equal(res.status, 400);
    const body = JSON.parse(res.body) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'GW_ERR_MALFORMED_HTTP');
    assert.match(body.error.message, /Content-Length/);
  });

  it('an invalid chunk size: 400 in the route\'s dialect', async () => {
    const r = await raw(['POST /anthropic/v1/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n']);
    const res = parseResponse(r.text);
    assert.equal(res.status, 400);
    assert.equal((JSON.parse(res.body) as { type: string }).type, 'error');
  });

  it('headers over server.header_limit_bytes: 431 GW_ERR_HEADERS_TOO_LARGE in the route\'s dialect', async () => {
    const r = await raw([`POST /v1/messages HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`]);
    const res = parseResponse(r.text);
    assert.equal(res.status, 431);
    assert.equal(res.headers['x-switchyard-error-code'], 'GW_ERR_HEADERS_TOO_LARGE');
    const body = JSON.parse(res.body) as { type: string; error: { type: string; message: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'request_too_large');
    assert.match(body.error.message, /header_limit_bytes \(8192 bytes\)/);
  });

  it('an unparseable request line: 400 with an OpenAI-shaped body, never a bare 400', async () => {
    const res = parseResponse((await raw(['HELLO\r\n\r\n'])).text);
    assert.equal(res.status, 400);
    assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'GW_ERR_MALFORMED_HTTP');
  });
});

describe('finding 8: embeddings dimensions', () => {
  it('dimensions: 1e9 is refused with a clear 400 naming the field; the upstream never sees it', async () => {
    const before = stack.mock.requests?.length;
    await assert.rejects(
      openai.embeddings.create({ model: 'openai/text-embedding-3-small', input: 'hello', dimensions: 1_000_000_000 }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'dimensions' && /at most 16384/.test(e.message),
    );
    if (before !== undefined) assert.equal(stack.mock.requests!.length, before);
    const ok = await openai.embeddings.create({ model: 'openai/text-embedding-3-small', input: 'hello', dimensions: 8 });
    assert.equal(ok.data[0]!.embedding.length, 8);
  });
});
