import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { GatewayError } from '../../core/errors.js';
import type { CoreRequest } from '../../core/request.js';
import type { StreamEvent } from '../../core/stream-event.js';
import { parseAnthropicRequest } from '../../dialects/anthropic-messages/parse-anthropic-request.js';
import { silentLogger } from '../../observability/logger.js';
import type { ProviderAdapter, ProviderCallContext, StreamFrame } from '../provider-adapter.js';
import { createAnthropicProvider } from './anthropic-provider.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

const seen: Seen[] = [];
let reply: Reply = { status: 200, body: '{}' };
const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (body += c));
  req.on('end', () => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(reply.body);
  });
});
let baseUrl = '';
const providers: ProviderAdapter[] = [];

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  for (const p of providers) await p.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  seen.length = 0;
});

function provider(opts: { baseUrl?: string; headers?: Record<string, string> } = {}): ProviderAdapter {
  const p = createAnthropicProvider({
    name: 'anthropic',
    baseUrl: opts.baseUrl ?? baseUrl,
    connectTimeoutMs: 1000,
    maxConnections: 4,
    anthropicVersion: '2023-06-01',
    ...(opts.headers ? { headers: opts.headers } : {}),
  });
  providers.push(p);
  return p;
}

function ctx(model = 'claude-sonnet-4-5'): ProviderCallContext {
  return {
    model,
    key: { id: 'anthropic-0', value: 'sk-ant-test' },
    signal: new AbortController().signal,
    timeouts: { connectMs: 1000, firstByteMs: 2000, idleMs: 2000 },
    logger: silentLogger(),
  };
}

const message = {
  id: 'msg_01',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content: [{ type: 'text', text: 'Hello' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 3, output_tokens: 1, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
};

function openAIRequest(over: Partial<CoreRequest> = {}): CoreRequest {
  return {
    model: 'fast',
    system: [],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    stream: false,
    raw: {},
    dialect: 'openai-chat',
    extras: {},
    forwardHeaders: { 'anthropic-beta': 'should-not-be-sent' },
    ...over,
  };
}

describe('createAnthropicProvider', () => {
  it('identifies itself', () => {
    const p = provider();
    assert.equal(p.name, 'anthropic');
    assert.equal(p.type, 'anthropic');
    assert.equal(p.nativeDialect, 'anthropic-messages');
  });

  it('converts a non-native request, sends the Anthropic headers, and maps the response', async () => {
    const text = JSON.stringify(message);
    reply = { status: 200, body: text };
    const result = await provider({ headers: { 'X-Team': 'blue' } }).send(openAIRequest({ seed: 1 }), ctx());
    assert.equal(seen.length, 1);
    const s = seen[0] as Seen;
    assert.equal(s.method, 'POST');
    assert.equal(s.url, '/v1/messages');
    assert.equal(s.headers['x-api-key'], 'sk-ant-test');
    assert.equal(s.headers['anthropic-version'], '2023-06-01');
    assert.equal(s.headers['content-type'], 'application/json');
    assert.equal(s.headers['x-team'], 'blue');
    assert.equal(s.headers['anthropic-beta'], undefined);
    assert.equal(s.headers.authorization, undefined);
    assert.deepEqual(JSON.parse(s.body), {
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
      max_tokens: 4096,
    });
    assert.equal(result.kind, 'response');
    if (result.kind !== 'response') return;
    assert.deepEqual(result.unmapped, ['seed']);
    assert.deepEqual(result.raw, { dialect: 'anthropic-messages', body: text });
    assert.deepEqual(result.response, {
      id: 'msg_01',
      model: 'claude-sonnet-4-5-20250929',
      content: [{ type: 'text', text: 'Hello' }],
      finishReason: 'stop',
      rawFinishReason: 'end_turn',
      usage: { inputTokens: 3, outputTokens: 1, cachedInputTokens: 0, cacheWriteTokens: 0 },
    });
  });

  it('forwards a native request byte-for-byte (model replaced) with anthropic-beta, under a base URL path', async () => {
    reply = { status: 200, body: JSON.stringify(message) };
    const body = {
      model: 'fast',
      max_tokens: 100,
      messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'd' } }, { type: 'text', text: 'sum' }] }],
      tools: [{ type: 'web_search_20250305', name: 'web_search' }],
      context_management: { edits: [] },
      fallbacks: ['openai/gpt-4o'],
    };
    const req = parseAnthropicRequest(body);
    req.forwardHeaders = { 'anthropic-beta': 'context-management-2025-06-27' };
    const result = await provider({ baseUrl: `${baseUrl}/gateway/anthropic/` }).send(req, ctx('claude-opus-4-1'));
    const s = seen[0] as Seen;
    assert.equal(s.url, '/gateway/anthropic/v1/messages');
    assert.equal(s.headers['anthropic-beta'], 'context-management-2025-06-27');
    const { fallbacks: _f, ...forwarded } = body;
    assert.deepEqual(JSON.parse(s.body), { ...forwarded, model: 'claude-opus-4-1' });
    assert.equal(result.unmapped, undefined);
  });

  it('maps HTTP errors with Anthropic\'s message', async () => {
    const errBody = (type: string, msg: string) => JSON.stringify({ type: 'error', error: { type, message: msg }, request_id: 'req_1' });
    const cases: Array<[Reply, string, Partial<GatewayError>]> = [
      [{ status: 400, body: errBody('invalid_request_error', 'max_tokens: too large') }, 'GW_ERR_UPSTREAM_BAD_REQUEST', { status: 400, retryable: false }],
      [{ status: 401, body: errBody('authentication_error', 'invalid x-api-key') }, 'GW_ERR_UPSTREAM_AUTH', { retryable: true }],
      [{ status: 404, body: errBody('not_found_error', 'model: claude-nope') }, 'GW_ERR_UPSTREAM_NOT_FOUND', {}],
      [{ status: 429, headers: { 'retry-after': '3' }, body: errBody('rate_limit_error', 'slow down') }, 'GW_ERR_UPSTREAM_RATE_LIMITED', { retryAfterMs: 3000 }],
      [{ status: 529, body: errBody('overloaded_error', 'Overloaded') }, 'GW_ERR_UPSTREAM_OVERLOADED', { retryable: true }],
      [{ status: 500, body: 'upstream exploded' }, 'GW_ERR_UPSTREAM_ERROR', {}],
    ];
    const p = provider();
    for (const [r, code, props] of cases) {
      reply = r;
      await assert.rejects(p.send(openAIRequest(), ctx()), (e: unknown) => {
        assert.ok(e instanceof GatewayError);
        assert.equal(e.code, code);
        assert.equal(e.upstreamStatus, r.status);
        const expectedMessage = r.body.startsWith('{') ? (JSON.parse(r.body) as { error: { message: string } }).error.message : r.body;
        assert.equal(e.message, `anthropic: ${expectedMessage}`);
        for (const [k, v] of Object.entries(props)) assert.equal((e as unknown as Record<string, unknown>)[k], v, `${code}.${k}`);
        return true;
      });
    }
  });

  it('rejects a 2xx body that is not JSON as a protocol error', async () => {
    reply = { status: 200, body: '<html>' };
    await assert.rejects(provider().send(openAIRequest(), ctx()), (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_UPSTREAM_PROTOCOL');
  });

  it('streams: canonical events plus raw frames for Anthropic clients', async () => {
    const payloads = [
      { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { input_tokens: 3, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } },
      { type: 'message_stop' },
    ];
    reply = {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: payloads.map((p) => `event: ${p.type}\ndata: ${JSON.stringify(p)}\n\n`).join(''),
    };
    const result = await provider().send(openAIRequest({ stream: true }), ctx());
    assert.equal(JSON.parse((seen[0] as Seen).body).stream, true);
    assert.equal((seen[0] as Seen).headers.accept, 'text/event-stream');
    assert.equal(result.kind, 'stream');
    if (result.kind !== 'stream') return;
    const frames: StreamFrame[] = [];
    await new Promise<void>((resolve, reject) =>
      result.stream.start({ frame: (f) => frames.push(f), end: resolve, error: reject }),
    );
    const events: StreamEvent[] = frames.flatMap((f) => f.events);
    assert.deepEqual(
      events.map((e) => e.type),
      ['start', 'text-start', 'text-delta', 'text-end', 'finish'],
    );
    // Anthropic clients get the upstream's bytes as they came, whole messages at a time.
    const raw = frames.flatMap((f) => (f.raw ? [f.raw] : []));
    assert.ok(raw.every((r) => r.dialect === 'anthropic-messages'));
    assert.equal(Buffer.concat(raw.map((r) => r.bytes)).toString(), reply.body);
  });
});
