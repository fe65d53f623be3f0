/**
 * Anthropic Messages wire format for the mock upstream: request validation, reduction of a request
 * to a MockConversation, and formatting of a MockTurn as a `message` body or the real SSE sequence
 * (message_start, content_block_start, ping, content_block_delta..., content_block_stop,
 * message_delta, message_stop), plus Anthropic-shaped errors. Shapes follow the real recordings in
 * shared/fixtures/anthropic/.
 */
import {
  buildMockReply,
  isRecord,
  splitForStreaming,
  splitJsonForStreaming,
  type MockConversation,
  type MockTool,
  type MockTurn,
} from './build-mock-reply.js';
import {
  jsonResponse,
  namedFrame,
  SSE_HEADERS,
  type IncomingMockRequest,
  type JsonResponse,
  type PreparedResponse,
  type WireContext,
} from './prepared-response.js';

/** Anthropic's error `type` for an HTTP status. */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

function defaultMessage(type: string, status: number): string {
  switch (type) {
    case 'overloaded_error':
      return 'Overloaded';
    case 'rate_limit_error':
      return 'Number of requests has exceeded your rate limit. Please try again later.';
    case 'api_error':
      return 'Internal server error';
    case 'authentication_error':
      return 'invalid x-api-key';
    case 'not_found_error':
      return 'Not found';
    default:
      return `Request failed (HTTP ${status}).`;
  }
}

export interface AnthropicErrorInit {
  status: number;
  type?: string;
  message?: string;
  headers?: Record<string, string>;
}

export function anthropicErrorBody(init: AnthropicErrorInit, requestId: string): Record<string, unknown> {
  const type = init.type ?? anthropicErrorType(init.status);
  return { type: 'error', error: { type, message: init.message ?? defaultMessage(type, init.status) }, request_id: requestId };
}

export function anthropicHeaders(ctx: WireContext): Record<string, string> {
  return { 'request-id': ctx.requestId, 'anthropic-organization-id': '00000000-0000-4000-8000-000000000000' };
}

export function anthropicError(init: AnthropicErrorInit, ctx: WireContext): JsonResponse {
  return jsonResponse(init.status, anthropicErrorBody(init, ctx.requestId), { ...anthropicHeaders(ctx), ...init.headers });
}

/** The error event the real API sends inside a 200 stream. */
export function anthropicStreamErrorFrame(): string {
  return namedFrame('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
}

export function validateAnthropicRequest({ headers, body }: IncomingMockRequest, ctx: WireContext): PreparedResponse | undefined {
  const apiKey = headers['x-api-key'];
  const auth = headers['authorization'];
  const hasKey = (typeof apiKey === 'string' && apiKey.trim() !== '') || (typeof auth === 'string' && /^Bearer\s+\S/i.test(auth));
  if (!hasKey) return anthropicError({ status: 401, message: 'x-api-key header is required' }, ctx);
  const version = headers['anthropic-version'];
  if (typeof version !== 'string' || version.trim() === '') {
    return anthropicError({ status: 400, message: 'anthropic-version: header is required' }, ctx);
  }
  const bad = (message: string) => anthropicError({ status: 400, message }, ctx);
  if (!isRecord(body)) return bad('Request body must be a JSON object');
  for (const field of ['model', 'max_tokens', 'messages'] as const) {
    if (body[field] === undefined || body[field] === null) return bad(`${field}: Field required`);
  }
  if (typeof body.model !== 'string') return bad('model: Input should be a valid string');
  if (!Number.isInteger(body.max_tokens)) return bad('max_tokens: Input should be a valid integer');
  if (!Array.isArray(body.messages)) return bad('messages: Input should be a valid list');
  for (let i = 0; i < body.messages.length; i++) {
    const m = body.messages[i];
    if (!isRecord(m) || (m.role !== 'user' && m.role !== 'assistant')) {
      return bad(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    }
    if (typeof m.content !== 'string' && !Array.isArray(m.content)) {
      return bad(`messages.${i}.content: Field required`);
    }
  }
  return undefined;
}

function blocksOf(content: unknown): Record<string, any>[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? content.filter(isRecord) : [];
}

function textOfBlocks(content: unknown): string {
  return blocksOf(content)
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .join(' ');
}

export function reduceAnthropicRequest(body: Record<string, any>): MockConversation {
  const systemText = body.system === undefined || body.system === null ? undefined : textOfBlocks(body.system);
  const countedTexts: string[] = systemText !== undefined ? [systemText] : [];
  const messages = body.messages as Record<string, any>[];
  let priorToolCalls = 0;
  for (const m of messages) {
    for (const b of blocksOf(m.content)) {
      if (b.type === 'text' && typeof b.text === 'string') countedTexts.push(b.text);
      else if (b.type === 'tool_result') countedTexts.push(textOfBlocks(b.content));
      else if (b.type === 'tool_use' && m.role === 'assistant') priorToolCalls++;
    }
  }
  let lastUser: Record<string, any> | undefined;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.role === 'user') {
      lastUser = messages[i];
      break;
    }
  }
  const last = messages[messages.length - 1];
  let toolResultText: string | undefined;
  if (last && last.role === 'user') {
    const results = blocksOf(last.content).filter((b) => b.type === 'tool_result');
    if (results.length > 0) toolResultText = textOfBlocks(results[results.length - 1]!.content);
  }

  const tools: MockTool[] = [];
  if (Array.isArray(body.tools)) {
    for (const t of body.tools) if (isRecord(t) && typeof t.name === 'string') tools.push({ name: t.name, schema: t.input_schema });
  }
  let toolChoice: MockConversation['toolChoice'];
  const tc = body.tool_choice;
  if (isRecord(tc)) {
    if (tc.type === 'none') toolChoice = 'none';
    else if (tc.type === 'tool' && typeof tc.name === 'string') toolChoice = { name: tc.name };
  }

  const conv: MockConversation = {
    systemText,
    countedTexts,
    lastUserText: lastUser ? textOfBlocks(lastUser.content) : '',
    lastUserImages: lastUser ? blocksOf(lastUser.content).filter((b) => b.type === 'image').length : 0,
    toolResultText,
    tools,
    toolChoice,
    maxTokens: body.max_tokens as number,
    priorToolCalls,
  };
  // Structured outputs: `output_config.format` (and the older beta `output_format`).
  const format = isRecord(body.output_config) && isRecord(body.output_config.format) ? body.output_config.format : body.output_format;
  if (isRecord(format) && format.type === 'json_schema') conv.responseFormat = { kind: 'json-schema', schema: format.schema };
  if (Array.isArray(body.stop_sequences)) conv.stop = body.stop_sequences.filter((x: unknown): x is string => typeof x === 'string');
  if (isRecord(body.thinking) && (body.thinking.type === 'enabled' || body.thinking.type === 'adaptive')) conv.thinking = true;
  return conv;
}

/** A stand-in for the opaque signature of a thinking block: base64 of a fixed tag and the text. */
export function mockThinkingSignature(thinking: string): string {
  return Buffer.from(`mock-signature:${thinking}`).toString('base64');
}

function stopReasonOf(turn: MockTurn): string {
  if (turn.kind === 'tool-call') return 'tool_use';
  if (turn.stopSequence !== undefined) return 'stop_sequence';
  return turn.truncated ? 'max_tokens' : 'end_turn';
}

function stopSequenceOf(turn: MockTurn): string | null {
  return turn.kind === 'text' && turn.stopSequence !== undefined ? turn.stopSequence : null;
}

export function anthropicToolUseId(turn: Extract<MockTurn, { kind: 'tool-call' }>): string {
  return `toolu_mock_${turn.callNumber}`;
}

export function formatAnthropicTurn(turn: MockTurn, opts: { model: string; stream: boolean; ctx: WireContext }): PreparedResponse {
  const { ctx } = opts;
  const id = `msg_mock${String(ctx.seq).padStart(6, '0')}`;
  const headers = anthropicHeaders(ctx);
  const usage = (outputTokens: number) => ({
    input_tokens: turn.inputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    output_tokens: outputTokens,
    service_tier: 'standard',
  });
  const message = (content: unknown[], stopReason: string | null, outputTokens: number, stopSequence: string | null = null) => ({
    model: opts.model,
    id,
    type: 'message',
    role: 'assistant',
    content,
    stop_reason: stopReason,
    stop_sequence: stopSequence,
    usage: usage(outputTokens),
  });
  const thinking = turn.reasoning;

  if (!opts.stream) {
    const block =
      turn.kind === 'text'
        ? { type: 'text', text: turn.text }
        : { type: 'tool_use', id: anthropicToolUseId(turn), name: turn.name, input: turn.arguments };
    const more = turn.kind === 'tool-call' ? (turn.more ?? []).map((c) => ({ type: 'tool_use', id: `toolu_mock_${c.callNumber}`, name: c.name, input: c.arguments })) : [];
    const blocks = thinking === undefined ? [block, ...more] : [{ type: 'thinking', thinking, signature: mockThinkingSignature(thinking) }, block, ...more];
    return jsonResponse(200, message(blocks, stopReasonOf(turn), turn.outputTokens, stopSequenceOf(turn)), headers);
  }

  const ev = (payload: Record<string, unknown> & { type: string }) => namedFrame(payload.type, payload);
  const events: string[] = [ev({ type: 'message_start', message: message([], null, 1) })];
  // With thinking, the thinking block comes first (index 0) and the answer's block follows.
  let index = 0;
  if (thinking !== undefined) {
    events.push(ev({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } }));
    events.push(ev({ type: 'ping' }));
    for (const piece of splitForStreaming(thinking)) {
      events.push(ev({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: piece } }));
    }
    events.push(ev({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: mockThinkingSignature(thinking) } }));
    events.push(ev({ type: 'content_block_stop', index }));
    index++;
  }
  if (turn.kind === 'text') {
    events.push(ev({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
    if (index === 0) events.push(ev({ type: 'ping' }));
    for (const piece of splitForStreaming(turn.text)) {
      events.push(ev({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } }));
    }
  } else {
    events.push(
      ev({
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: anthropicToolUseId(turn), name: turn.name, input: {} },
      }),
    );
    if (index === 0) events.push(ev({ type: 'ping' }));
    // Like the real API: an empty first delta, then the JSON in pieces.
    events.push(ev({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } }));
    for (const piece of splitJsonForStreaming(JSON.stringify(turn.arguments))) {
      events.push(ev({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } }));
    }
    // Parallel calls (a [mock-call: a, b] directive): one tool_use block each.
    for (const c of turn.more ?? []) {
      events.push(ev({ type: 'content_block_stop', index }));
      index++;
      events.push(ev({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: `toolu_mock_${c.callNumber}`, name: c.name, input: {} } }));
      events.push(ev({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } }));
      for (const piece of splitJsonForStreaming(JSON.stringify(c.arguments))) {
        events.push(ev({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } }));
      }
    }
  }
  events.push(ev({ type: 'content_block_stop', index }));
  events.push(
    ev({
      type: 'message_delta',
      delta: { stop_reason: stopReasonOf(turn), stop_sequence: stopSequenceOf(turn) },
      usage: {
        input_tokens: turn.inputTokens,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: turn.outputTokens,
      },
    }),
  );
  events.push(ev({ type: 'message_stop' }));
  return { type: 'sse', status: 200, headers: { ...SSE_HEADERS, ...headers }, events, preamble: 3 };
}

/** Answers one Messages request that passed validateAnthropicRequest. */
export function answerAnthropicMessages(b: Record<string, any>, ctx: WireContext): PreparedResponse {
  const turn = buildMockReply(reduceAnthropicRequest(b));
  return formatAnthropicTurn(turn, { model: b.model, stream: b.stream === true, ctx });
}

export const MOCK_ANTHROPIC_MODELS = ['claude-sonnet-4-5-20250929', 'claude-haiku-4-5-20251001', 'claude-opus-4-1-20250805'];

/** GET /v1/models in Anthropic's shape (used when the request carries `anthropic-version`). */
/**
 * `POST /v1/messages/count_tokens`: the input tokens the same request would be billed in a reply
 * (the mock's word count), as `{input_tokens}`. No max_tokens needed, as upstream.
 */
export function answerAnthropicCountTokens({ headers, body }: IncomingMockRequest, ctx: WireContext): PreparedResponse {
  const withMax = isRecord(body) && body.max_tokens === undefined ? { ...body, max_tokens: 1 } : body;
  const invalid = validateAnthropicRequest({ headers, body: withMax }, ctx);
  if (invalid) return invalid;
  return jsonResponse(200, { input_tokens: buildMockReply(reduceAnthropicRequest(withMax as Record<string, any>)).inputTokens }, anthropicHeaders(ctx));
}

export function anthropicModelsList(ctx: WireContext): PreparedResponse {
  const data = MOCK_ANTHROPIC_MODELS.map((id) => ({
    type: 'model',
    id,
    display_name: id,
    created_at: '2025-01-01T00:00:00Z',
  }));
  return jsonResponse(
    200,
    { data, has_more: false, first_id: data[0]!.id, last_id: data[data.length - 1]!.id },
    anthropicHeaders(ctx),
  );
}
