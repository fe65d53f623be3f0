/**
 * Mock upstream LLM provider: an HTTP server speaking the OpenAI Chat Completions and Anthropic
 * Messages wire formats (JSON and SSE streaming, tool calls, usage), with injectable network and
 * HTTP faults. The gateway's tests point providers at it; `switchyard mock-upstream` runs it.
 *
 * ROUTES
 *   POST /v1/chat/completions  OpenAI. Needs `Authorization: Bearer <non-empty>` (else 401) and
 *                              `model` + non-empty `messages` (else 400), errors in OpenAI's shape
 *                              {error:{message,type,param,code}}.
 *   POST /v1/messages          Anthropic. Needs `x-api-key` or `Authorization: Bearer` (else 401
 *                              authentication_error), `anthropic-version` (else 400), and `model`,
 *                              integer `max_tokens`, `messages` (else 400 invalid_request_error),
 *                              errors as {type:'error',error:{type,message},request_id}.
 *                              Responses carry `request-id`.
 *   GET  /v1/models            OpenAI model list; Anthropic's shape when `anthropic-version` is sent.
 *   POST /v1/embeddings        OpenAI embeddings (embeddings-wire.ts).
 *   POST /v1/responses         OpenAI Responses (openai-responses-wire.ts): same auth and answers as chat
 *                              completions; `input` string or items, `instructions`, function tools,
 *                              `max_output_tokens`; typed SSE events when streaming; keeps no responses
 *                              (a `previous_response_id` gets 400 previous_response_not_found).
 *   POST /model/{id}/converse, /converse-stream, /invoke   AWS Bedrock (bedrock-wire.ts).
 *   POST /v1beta/models/{m}:generateContent, :streamGenerateContent, :batchEmbedContents   Gemini (gemini-wire.ts).
 *   anything else              404 JSON (Anthropic shape under /v1/messages, OpenAI shape otherwise).
 *   Invalid JSON bodies get a 400 in the route's shape (after the auth check).
 *
 * DETERMINISTIC ANSWERS (the content depends only on the request, not on earlier requests)
 *   Tool call: when the request has tools, the conversation does not end with a tool result
 *     (OpenAI: last message role `tool`; Anthropic: last message is a user message holding a
 *     `tool_result` block) and tool_choice is not none (OpenAI "none", Anthropic {type:'none'}):
 *     ONE call of the first tool, or of the tool forced by tool_choice (OpenAI
 *     {type:'function',function:{name}}, Anthropic {type:'tool',name}). Its arguments hold one
 *     value per property of the tool's JSON schema `properties`, by type: string "mock",
 *     number/integer 1, boolean true, array [], object {}, null null, anything else "mock".
 *     Id: `call_mock_<n>` (OpenAI) / `toolu_mock_<n>` (Anthropic), n = 1 + the number of tool calls
 *     the assistant already made in the conversation. finish_reason "tool_calls" / stop_reason
 *     "tool_use". Output tokens: 10.
 *     Directives (in any message text): `[mock-call: a, b]` calls the tools a and b in one turn
 *     (parallel calls; OpenAI chat and Anthropic render every call, other wires the first) instead
 *     of the first tool; `[mock-call-always: a]` calls a even when the conversation ends with a tool
 *     result (a model that keeps calling). tool_choice none still wins. Output tokens: 10 per call.
 *   Text otherwise:
 *     - `tool result was: <text>` when the conversation ends with a tool result (the text of the
 *       last tool result: OpenAI tool message content, Anthropic last `tool_result` block's content);
 *     - else `mock reply to: <text of the last user message>` (text parts joined by a space),
 *       plus ` [images: N]` when that message has N image parts (image_url / image);
 *     - prefixed with `[system: <first 40 chars of the system text>] ` when there is a system
 *       prompt (OpenAI system/developer messages, Anthropic `system` string or text blocks; several
 *       joined by a space);
 *     - when max_tokens (OpenAI max_completion_tokens, else max_tokens; Anthropic max_tokens) is
 *       below the reply's whitespace-separated word count, the reply is cut to that many words
 *       (joined by single spaces) and finishes with "length" / "max_tokens"; else "stop" / "end_turn".
 *   Choices (OpenAI `n` > 1): one answer per choice; choice i > 0 is prefixed `[choice i] `. Streams
 *     interleave the choices' chunks piece by piece; usage counts every choice's output.
 *   Structured output (OpenAI `response_format`, Anthropic `output_config.format` / `output_format`,
 *     Gemini `responseMimeType` / `responseSchema` / `responseJsonSchema`): json_object answers
 *     {"reply": <the text above>}; json_schema answers a minimal instance of the schema (every
 *     property; strings "mock", the first enum value, the smallest allowed number, minItems items,
 *     local $refs followed; see instanceFromSchema in build-mock-reply.ts).
 *   Stop sequences (OpenAI `stop`, Anthropic `stop_sequences`, Gemini `stopSequences`, Bedrock
 *     `inferenceConfig.stopSequences`): the text ends just before the first one it contains;
 *     finish "stop" / stop_reason "stop_sequence" with `stop_sequence` / Bedrock "stop_sequence".
 *   Thinking (Anthropic `thinking.type` enabled or adaptive; OpenAI `reasoning_effort` other than
 *     none): reasoning text `thinking about: <last user text or tool result>`. Anthropic answers it
 *     as a thinking block (thinking_delta pieces, then a signature_delta) before the answer's block;
 *     OpenAI reports its words as completion_tokens_details.reasoning_tokens. Its words count as output.
 *   Usage: input tokens = whitespace-separated words of all message text (string contents, text
 *     parts, tool result texts) and the system text, at least 1; output tokens = words of the reply
 *     (10 for a tool call). OpenAI: prompt_tokens, completion_tokens, total_tokens,
 *     prompt_tokens_details.cached_tokens 0, completion_tokens_details.reasoning_tokens 0.
 *     Anthropic: input_tokens, output_tokens, cache_creation_input_tokens 0, cache_read_input_tokens 0.
 *   The model is echoed as sent. Response ids count requests on this server since start or the
 *     last reset(): `chatcmpl-mock000001`, `msg_mock000001`, request ids `req_mock000001`.
 *   Fixture replay: model `fixture:<folder>/<file-base>` (e.g. `fixture:anthropic/anthropic-text`)
 *     answers with the recording shared/fixtures/<folder>/<file-base>.json verbatim (status 200,
 *     or the error status when the body is an error), or, when streaming, with
 *     <file-base>.chunks.txt framed as SSE (Anthropic route: `event: <type>`; OpenAI route: data
 *     lines, then `data: [DONE]`). Missing recording: 404. Directory: option `fixturesDir`, env
 *     SWITCHYARD_FIXTURES_DIR, else ../../../shared/fixtures from this file.
 *
 * STREAMING (`stream: true`; `Content-Type: text/event-stream`; one socket write per event)
 *   Text is sent word by word (each word with the whitespace before it).
 *   OpenAI: chunk {delta:{role:'assistant',content:'',refusal:null}}, one chunk per word, a chunk
 *     with empty delta and finish_reason, then with stream_options.include_usage a chunk with
 *     `choices: []` and usage, then `data: [DONE]`. Every chunk has id, object
 *     'chat.completion.chunk', created, model, service_tier, system_fingerprint (and `usage: null`
 *     when include_usage, `obfuscation` unless stream_options.include_obfuscation is false — as the
 *     real API). A tool call: first chunk carries role, index 0, id, type 'function', name and
 *     arguments '', then 2+ chunks with only index and function.arguments pieces.
 *   Anthropic: message_start (usage: input tokens, output_tokens 1), content_block_start, ping,
 *     content_block_delta (text_delta per word; for a tool: input_json_delta '' then 2+ pieces),
 *     content_block_stop, message_delta (stop_reason, usage.output_tokens), message_stop.
 *
 * FAULTS (rules checked in order; the first rule whose `path` matches, or has none, and that has
 *   `times` left is consumed and applied; `times` omitted = forever). Every request is recorded in
 *   `requests` before its fault applies.
 *   none              normal answer.
 *   latency           waits ms (+ random 0..jitterMs) before the headers, then answers normally.
 *   status            that status with the route's error body (OpenAI: 429 type "requests" code
 *                     "rate_limit_exceeded", 5xx "server_error"; Anthropic type by status, 529
 *                     overloaded_error), plus `retry-after` / `retry-after-ms` headers when given.
 *   blackhole         reads the request and never answers, until the client leaves or close().
 *   reset             reads the request, then resets the TCP connection (RST), no response.
 *   cut-mid-stream    stream: headers, the events before the first content event, `afterEvents`
 *                     (default 2) content events, then the socket is destroyed (never the final
 *                     event). Non-stream: the headers (with content-length), then destroyed.
 *   slow-drip         stream: headers at once, then each event intervalMs after the previous one
 *                     (the first intervalMs after the headers).
 *                     Non-stream: headers at once, the body intervalMs later.
 *   error-first-event stream: 200 and an SSE stream whose only event is an error (OpenAI
 *                     `data: {"error":{...,"type":"server_error"}}`; Anthropic `event: error` with
 *                     overloaded_error), then the end. Non-stream: the provider's plain error
 *                     instead of a 200 (OpenAI 500 server_error, Anthropic 529 overloaded_error).
 *   json-for-stream   a lenient server: a stream request is answered as if it were not one (the
 *                     complete JSON body, application/json); non-stream requests are unchanged.
 *   empty-body        200 with the route's headers and an empty body (stream or not).
 *   error-first-event only replaces 200 answers (a 401 or 400 is sent as is); cut-mid-stream and
 *   slow-drip apply to whatever the route answered, fixture replays included.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { answerAnthropicCountTokens, answerAnthropicMessages, anthropicError, anthropicModelsList, anthropicStreamErrorFrame, validateAnthropicRequest } from './anthropic-messages-wire.js';
import { answerOpenAIChat, openaiError, openaiHeaders, openaiModelsList, openaiStreamErrorFrame, validateOpenAIChatRequest } from './openai-chat-wire.js';
import { answerBedrock } from './bedrock-wire.js';
import { answerOpenAIEmbeddings } from './embeddings-wire.js';
import { answerOpenAIResponses } from './openai-responses-wire.js';
import { answerGemini } from './gemini-wire.js';
import { readBody, sleep, socketFlushed, writeAndFlush } from './mock-io.js';
import type { PreparedResponse, WireContext, WireProvider } from './prepared-response.js';
import { defaultFixturesDir, FIXTURE_MODEL_PREFIX, replayFixture } from './replay-fixture.js';

export interface RecordedRequest {
  method: string;
  /** The path without the query string, e.g. `/v1/messages`. */
  path: string;
  /** The full request target, query string included. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, or undefined when the body was empty or not JSON. */
  body: any;
}

export type Fault =
  | { kind: 'none' }
  | { kind: 'latency'; ms: number; jitterMs?: number }
  | { kind: 'status'; status: number; retryAfterSeconds?: number; retryAfterMs?: number }
  | { kind: 'blackhole' }
  | { kind: 'reset' }
  | { kind: 'cut-mid-stream'; afterEvents?: number }
  | { kind: 'slow-drip'; intervalMs: number }
  | { kind: 'error-first-event' }
  | { kind: 'json-for-stream' }
  | { kind: 'empty-body' };

export interface FaultRule {
  fault: Fault;
  /** Apply to the next N matching requests, then stop; default forever. */
  times?: number;
  /** Only requests to this path (exact match, without query string). */
  path?: string;
}

export interface MockUpstreamOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 = a random free port. */
  port?: number;
  faults?: FaultRule[];
  /** Where `fixture:` models are read from; default SWITCHYARD_FIXTURES_DIR or ../../../shared/fixtures. */
  fixturesDir?: string;
}

export interface MockUpstream {
  /** e.g. http://127.0.0.1:43567 (no trailing slash, no /v1). */
  url: string;
  port: number;
  /** Every request received, in order (cleared by reset(); the array object stays the same). */
  requests: RecordedRequest[];
  /** Replaces the fault rules (their `times` counters start afresh). */
  setFaults(rules: FaultRule[]): void;
  /** Clears the recorded requests and the fault rules, and restarts the id counter. */
  reset(): void;
  /** Resolves once at least `count` requests are recorded (counting since the last reset()). */
  waitForRequests(count: number): Promise<RecordedRequest[]>;
  /** Stops listening and destroys every open socket, blackholed ones included. */
  close(): Promise<void>;
}

/** One received request, as the router sees it. */
interface Exchange {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  ctx: WireContext;
}

/** A decided response and how to deliver it. */
interface Delivery {
  res: ServerResponse;
  prepared: PreparedResponse<string | Uint8Array>;
  fault: Fault;
  provider: WireProvider;
  ctx: WireContext;
  signal: AbortSignal;
}

interface RuleState {
  rule: FaultRule;
  remaining: number;
}

const NO_FAULT: Fault = { kind: 'none' };

function compileRules(rules: FaultRule[]): RuleState[] {
  return rules.map((rule) => ({ rule: { ...rule, fault: { ...rule.fault } }, remaining: rule.times ?? Infinity }));
}

function statusFaultResponse({
  fault,
  provider,
  ctx,
}: {
  fault: Extract<Fault, { kind: 'status' }>;
  provider: WireProvider;
  ctx: WireContext;
}): PreparedResponse {
  const headers: Record<string, string> = {};
  if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
  if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
  return provider === 'anthropic'
    ? anthropicError({ status: fault.status, headers }, ctx)
    : openaiError({ status: fault.status, headers: { ...openaiHeaders(ctx), ...headers } });
}

/** The same request without streaming: `stream: false` in the body, Gemini's non-stream method. */
function asNonStream(path: string, body: unknown): { path: string; body: unknown } {
  const b = typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...(body as Record<string, unknown>), stream: false } : body;
  return { path: path.replace(/:streamGenerateContent$/, ':generateContent').replace(/\/converse-stream$/, '/converse'), body: b };
}

export async function startMockUpstream(opts: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const host = opts.host ?? '127.0.0.1';
  const fixturesDir = opts.fixturesDir ?? defaultFixturesDir();
  const requests: RecordedRequest[] = [];
  let rules = compileRules(opts.faults ?? []);
  let seq = 0;
  let waiters: Array<{ count: number; resolve: (r: RecordedRequest[]) => void }> = [];
  const lifetime = new AbortController();
  const sockets = new Set<Socket>();

  const takeFault = (path: string): Fault => {
    for (const state of rules) {
      if (state.rule.path !== undefined && state.rule.path !== path) continue;
      if (state.remaining <= 0) continue;
      state.remaining--;
      return state.rule.fault;
    }
    return NO_FAULT;
  };

  const record = (r: RecordedRequest) => {
    requests.push(r);
    const ready = waiters.filter((w) => requests.length >= w.count);
    waiters = waiters.filter((w) => requests.length < w.count);
    for (const w of ready) w.resolve(requests);
  };

  const route = async ({ method, path, headers, body, ctx }: Exchange): Promise<PreparedResponse<string | Uint8Array>> => {
    if (path === '/v1/chat/completions' && method === 'POST') {
      const invalid = validateOpenAIChatRequest({ headers, body }, ctx);
      if (invalid) return invalid;
      const b = body as Record<string, any>;
      if (b.model.startsWith(FIXTURE_MODEL_PREFIX)) {
        return replayFixture({ spec: b.model.slice(FIXTURE_MODEL_PREFIX.length), stream: b.stream === true, provider: 'openai', fixturesDir, ctx });
      }
      return answerOpenAIChat(b, ctx);
    }
    if (path === '/v1/messages/count_tokens' && method === 'POST') return answerAnthropicCountTokens({ headers, body }, ctx);
    if (path === '/v1/messages' && method === 'POST') {
      const invalid = validateAnthropicRequest({ headers, body }, ctx);
      if (invalid) return invalid;
      const b = body as Record<string, any>;
      if (b.model.startsWith(FIXTURE_MODEL_PREFIX)) {
        return replayFixture({ spec: b.model.slice(FIXTURE_MODEL_PREFIX.length), stream: b.stream === true, provider: 'anthropic', fixturesDir, ctx });
      }
      return answerAnthropicMessages(b, ctx);
    }
    if (path === '/v1/responses' && method === 'POST') return answerOpenAIResponses({ headers, body, fixturesDir }, ctx);
    if (path === '/v1/embeddings' && method === 'POST') return answerOpenAIEmbeddings({ headers, body }, ctx);
    const providerRoute = (await answerBedrock({ method, path, headers, body, ctx, fixturesDir })) ?? (await answerGemini({ method, path, headers, body, ctx, fixturesDir }));
    if (providerRoute) return providerRoute;
    if (path === '/v1/models' && method === 'GET') {
      return headers['anthropic-version'] !== undefined ? anthropicModelsList(ctx) : openaiModelsList(ctx);
    }
    if (path.startsWith('/v1/messages')) {
      return anthropicError({ status: 404, message: `Not found: ${method} ${path}` }, ctx);
    }
    return openaiError({ status: 404, message: `Invalid URL (${method} ${path})`, headers: openaiHeaders(ctx) });
  };

  const send = async ({ res, prepared, fault, provider, ctx, signal }: Delivery): Promise<void> => {
    if (fault.kind === 'empty-body' && prepared.status === 200) {
      res.writeHead(200, { ...prepared.headers, 'content-length': '0' });
      res.end();
      return;
    }
    if (prepared.type === 'json') {
      const p =
        fault.kind === 'error-first-event' && prepared.status === 200
          ? provider === 'anthropic'
            ? anthropicError({ status: 529 }, ctx)
            : openaiError({ status: 500, headers: openaiHeaders(ctx) })
          : prepared;
      const body = Buffer.from(p.body, 'utf8');
      res.writeHead(p.status, { ...p.headers, 'content-length': String(body.length) });
      if (fault.kind === 'cut-mid-stream') {
        res.flushHeaders();
        if (await socketFlushed(res.socket, signal)) res.socket?.destroy();
        return;
      }
      if (fault.kind === 'slow-drip') {
        res.flushHeaders();
        if (!(await sleep(fault.intervalMs, signal))) return;
      }
      res.end(body);
      return;
    }

    const p = prepared;
    let events = p.events;
    if (fault.kind === 'error-first-event') {
      events = [provider === 'anthropic' ? anthropicStreamErrorFrame() : openaiStreamErrorFrame()];
    }
    const cutAt =
      fault.kind === 'cut-mid-stream' ? Math.max(0, Math.min(p.preamble + (fault.afterEvents ?? 2), events.length - 1)) : -1;
    res.writeHead(p.status, p.headers);
    res.flushHeaders();
    for (let i = 0; i < events.length; i++) {
      if (i === cutAt) {
        if (await socketFlushed(res.socket, signal)) res.socket?.destroy();
        return;
      }
      if (fault.kind === 'slow-drip') {
        if (!(await sleep(fault.intervalMs, signal))) return;
      } else {
        // Let the event loop turn so every event leaves as its own write.
        await nextTurn();
      }
      if (!(await writeAndFlush({ res, chunk: events[i]!, signal }))) return;
    }
    res.end();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const exchange = new AbortController();
    res.on('close', () => exchange.abort());
    const signal = AbortSignal.any([lifetime.signal, exchange.signal]);

    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch {
      return; // the client went away mid-request
    }
    const target = req.url ?? '/';
    const qs = target.indexOf('?');
    const path = qs >= 0 ? target.slice(0, qs) : target;
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = undefined;
      }
    }
    const method = req.method ?? 'GET';
    const n = ++seq;
    record({ method, path, url: target, headers: { ...req.headers }, body });

    const ctx: WireContext = {
      seq: n,
      requestId: `req_mock${String(n).padStart(6, '0')}`,
      created: Math.floor(Date.now() / 1000),
    };
    const provider: WireProvider = path.startsWith('/v1/messages') ? 'anthropic' : 'openai';
    const fault = takeFault(path);
    switch (fault.kind) {
      case 'blackhole':
        return; // keep the socket open and silent; close() destroys it
      case 'reset':
        req.socket.resetAndDestroy();
        return;
      case 'latency':
        if (!(await sleep(fault.ms + Math.random() * (fault.jitterMs ?? 0), signal))) return;
        break;
      case 'status':
        await send({ res, prepared: statusFaultResponse({ fault, provider, ctx }), fault: NO_FAULT, provider, ctx, signal });
        return;
      default:
        break;
    }
    const lenient = fault.kind === 'json-for-stream' ? asNonStream(path, body) : undefined;
    const prepared = await route({ method, path: lenient?.path ?? path, headers: req.headers, body: lenient ? lenient.body : body, ctx });
    if (signal.aborted) return;
    await send({ res, prepared, fault, provider, ctx, signal });
  };

  const server = createServer({ noDelay: true }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        const message = err instanceof Error ? err.message : String(err);
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `mock upstream failure: ${message}`, type: 'server_error', param: null, code: null } }));
      } else {
        res.destroy();
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('mock upstream: unexpected server address');
  const port = address.port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    requests,
    setFaults(next: FaultRule[]) {
      rules = compileRules(next);
    },
    reset() {
      requests.length = 0;
      rules = [];
      seq = 0;
    },
    waitForRequests(count: number) {
      if (requests.length >= count) return Promise.resolve(requests);
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        lifetime.abort();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}
