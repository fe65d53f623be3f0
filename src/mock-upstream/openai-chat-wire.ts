/**
 * OpenAI Chat Completions wire format for the mock upstream: request validation, reduction of a
 * request to a MockConversation, and formatting of a MockTurn as a `chat.completion` body or a
 * `chat.completion.chunk` SSE stream (ending with `data: [DONE]`), plus OpenAI-shaped errors.
 * Shapes follow the real recordings in shared/fixtures/openai-chat/.
 */
import {
  buildMockReply,
  countWords,
  isRecord,
  type MockResponseFormat,
  splitForStreaming,
  splitJsonForStreaming,
  type MockConversation,
  type MockTool,
  type MockTurn,
} from './build-mock-reply.js';
import {
  dataFrame,
  jsonResponse,
  SSE_HEADERS,
  type IncomingMockRequest,
  type JsonResponse,
  type PreparedResponse,
  type WireContext,
} from './prepared-response.js';

export const OPENAI_SYSTEM_FINGERPRINT = 'fp_mock0001';

export interface OpenAIErrorInit {
  status: number;
  message?: string;
  type?: string;
  param?: string | null;
  code?: string | null;
  headers?: Record<string, string>;
}

/** The default `type`, `code` and message the real API uses for a status. */
function openaiErrorDefaults(status: number): { type: string; code: string | null; message: string } {
  switch (status) {
    case 400:
      return { type: 'invalid_request_error', code: null, message: 'Bad request.' };
    case 401:
      return { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided.' };
    case 403:
      return { type: 'request_forbidden', code: null, message: 'You are not allowed to make this request.' };
    case 404:
      return { type: 'invalid_request_error', code: null, message: 'Not found.' };
    case 408:
      return { type: 'timeout', code: null, message: 'Request timed out.' };
    case 409:
      return { type: 'invalid_request_error', code: 'conflict', message: 'Conflict.' };
    case 413:
      return { type: 'invalid_request_error', code: 'request_too_large', message: 'Request too large.' };
    case 429:
      return {
        type: 'requests',
        code: 'rate_limit_exceeded',
        message: 'Rate limit reached for requests. Please try again later.',
      };
    case 500:
      return {
        type: 'server_error',
        code: null,
        message: 'The server had an error while processing your request. Sorry about that!',
      };
    case 503:
      return { type: 'server_error', code: null, message: 'The engine is currently overloaded, please try again later.' };
    default:
      return status >= 500
        ? { type: 'server_error', code: null, message: `Upstream server error (HTTP ${status}).` }
        : { type: 'invalid_request_error', code: null, message: `Request failed (HTTP ${status}).` };
  }
}

export function openaiErrorBody(init: Omit<OpenAIErrorInit, 'headers'>): { error: Record<string, unknown> } {
  const d = openaiErrorDefaults(init.status);
  return {
    error: {
      message: init.message ?? d.message,
      type: init.type ?? d.type,
      param: init.param ?? null,
      code: init.code === undefined ? d.code : init.code,
    },
  };
}

export function openaiError(init: OpenAIErrorInit): JsonResponse {
  return jsonResponse(init.status, openaiErrorBody(init), init.headers);
}

/** The mid-stream error frame the real API sends: `data: {"error":{...}}`. */
export function openaiStreamErrorFrame(): string {
  return dataFrame(openaiErrorBody({ status: 500 }));
}

export function openaiHeaders(ctx: WireContext): Record<string, string> {
  return { 'x-request-id': ctx.requestId, 'openai-processing-ms': '1', 'openai-version': '2020-10-01' };
}

/** Checks auth and the required fields; returns the error response, or undefined when valid. */
export function validateOpenAIChatRequest({ headers, body }: IncomingMockRequest, ctx: WireContext): PreparedResponse | undefined {
  const h = openaiHeaders(ctx);
  const auth = headers['authorization'];
  if (typeof auth !== 'string' || !/^Bearer\s+\S/i.test(auth)) {
    return openaiError({
      status: 401,
      message:
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      code: null,
      headers: h,
    });
  }
  if (!isRecord(body)) {
    return openaiError({
      status: 400,
      message: 'We could not parse the JSON body of your request. The request body must be a JSON object.',
      headers: h,
    });
  }
  for (const field of ['model', 'messages'] as const) {
    if (body[field] === undefined || body[field] === null) {
      return openaiError({
        status: 400,
        message: `Missing required parameter: '${field}'.`,
        param: field,
        code: 'missing_required_parameter',
        headers: h,
      });
    }
  }
  if (typeof body.model !== 'string') {
    return openaiError({ status: 400, message: "Invalid type for 'model': expected a string.", param: 'model', code: 'invalid_type', headers: h });
  }
  if (!Array.isArray(body.messages)) {
    return openaiError({ status: 400, message: "Invalid type for 'messages': expected an array.", param: 'messages', code: 'invalid_type', headers: h });
  }
  if (body.messages.length === 0) {
    return openaiError({
      status: 400,
      message: "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      param: 'messages',
      code: 'empty_array',
      headers: h,
    });
  }
  for (let i = 0; i < body.messages.length; i++) {
    const m = body.messages[i];
    if (!isRecord(m) || typeof m.role !== 'string') {
      return openaiError({
        status: 400,
        message: `Missing required parameter: 'messages[${i}].role'.`,
        param: `messages[${i}].role`,
        code: 'missing_required_parameter',
        headers: h,
      });
    }
  }
  return undefined;
}

/** Text of an OpenAI message content: a string, or the `text` parts of an array joined by a space. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((p) => isRecord(p) && p.type === 'text' && typeof p.text === 'string')
    .map((p) => p.text as string)
    .join(' ');
}

export function reduceOpenAIChatRequest(body: Record<string, any>): MockConversation {
  const messages = body.messages as Record<string, any>[];
  const systemTexts: string[] = [];
  const countedTexts: string[] = [];
  let priorToolCalls = 0;
  for (const m of messages) {
    const text = textOf(m.content);
    countedTexts.push(text);
    if (m.role === 'system' || m.role === 'developer') systemTexts.push(text);
    if (m.role === 'assistant') {
      if (Array.isArray(m.tool_calls)) priorToolCalls += m.tool_calls.length;
      else if (isRecord(m.function_call)) priorToolCalls += 1;
    }
  }
  let lastUser: Record<string, any> | undefined;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.role === 'user') {
      lastUser = messages[i];
      break;
    }
  }
  const last = messages[messages.length - 1]!;
  const lastIsToolResult = last.role === 'tool' || last.role === 'function';

  const tools: MockTool[] = [];
  if (Array.isArray(body.tools)) {
    for (const t of body.tools) {
      if (isRecord(t) && isRecord(t.function) && typeof t.function.name === 'string') {
        tools.push({ name: t.function.name, schema: t.function.parameters });
      }
    }
  }
  let toolChoice: MockConversation['toolChoice'];
  const tc = body.tool_choice;
  if (tc === 'none') toolChoice = 'none';
  else if (isRecord(tc) && isRecord(tc.function) && typeof tc.function.name === 'string') toolChoice = { name: tc.function.name };

  const maxTokens =
    typeof body.max_completion_tokens === 'number'
      ? body.max_completion_tokens
      : typeof body.max_tokens === 'number'
        ? body.max_tokens
        : undefined;

  const conv: MockConversation = {
    systemText: systemTexts.length > 0 ? systemTexts.join(' ') : undefined,
    countedTexts,
    lastUserText: lastUser ? textOf(lastUser.content) : '',
    lastUserImages: lastUser && Array.isArray(lastUser.content)
      ? lastUser.content.filter((p: unknown) => isRecord(p) && p.type === 'image_url').length
      : 0,
    toolResultText: lastIsToolResult ? textOf(last.content) : undefined,
    tools,
    toolChoice,
    maxTokens,
    priorToolCalls,
  };
  const rf = openAIResponseFormat(body.response_format);
  if (rf) conv.responseFormat = rf;
  if (typeof body.stop === 'string') conv.stop = [body.stop];
  else if (Array.isArray(body.stop)) conv.stop = body.stop.filter((x: unknown): x is string => typeof x === 'string');
  // Reasoning models think when asked for an effort; chat completions report it only as tokens.
  if (typeof body.reasoning_effort === 'string' && body.reasoning_effort !== 'none') conv.thinking = true;
  return conv;
}

/** `response_format` {type: json_object} / {type: json_schema, json_schema: {schema}}. */
function openAIResponseFormat(rf: unknown): MockResponseFormat | undefined {
  if (!isRecord(rf)) return undefined;
  if (rf.type === 'json_object') return { kind: 'json' };
  if (rf.type === 'json_schema' && isRecord(rf.json_schema)) return { kind: 'json-schema', schema: rf.json_schema.schema };
  return undefined;
}

function usageOf(turns: MockTurn[]): Record<string, unknown> {
  const input = turns[0]!.inputTokens;
  const output = turns.reduce((n, t) => n + t.outputTokens, 0);
  const reasoning = turns.reduce((n, t) => n + (t.reasoning ? countWords(t.reasoning) : 0), 0);
  return {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: input + output,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function finishReasonOf(turn: MockTurn): string {
  if (turn.kind === 'tool-call') return 'tool_calls';
  return turn.truncated ? 'length' : 'stop';
}

export function openaiToolCallId(turn: Extract<MockTurn, { kind: 'tool-call' }>): string {
  return `call_mock_${turn.callNumber}`;
}

export interface FormatOpenAIOptions {
  model: string;
  stream: boolean;
  includeUsage: boolean;
  /** The real API pads each chunk with an `obfuscation` field unless told not to. */
  includeObfuscation: boolean;
  ctx: WireContext;
}

export function formatOpenAIChatTurn(turn: MockTurn, opts: FormatOpenAIOptions): PreparedResponse {
  return formatOpenAIChatTurns([turn], opts);
}

/** One answer per choice (`n`): a `chat.completion` with every choice, or their chunks interleaved. */
export function formatOpenAIChatTurns(turns: MockTurn[], opts: FormatOpenAIOptions): PreparedResponse {
  const { ctx } = opts;
  const id = `chatcmpl-mock${String(ctx.seq).padStart(6, '0')}`;
  const headers = openaiHeaders(ctx);
  if (!opts.stream) {
    const choices = turns.map((turn, index) => {
      const message: Record<string, unknown> =
        turn.kind === 'text'
          ? { role: 'assistant', content: turn.text, refusal: null, annotations: [] }
          : {
              role: 'assistant',
              content: null,
              tool_calls: [
                { id: openaiToolCallId(turn), type: 'function', function: { name: turn.name, arguments: JSON.stringify(turn.arguments) } },
                ...(turn.more ?? []).map((c) => ({ id: `call_mock_${c.callNumber}`, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } })),
              ],
              refusal: null,
              annotations: [],
            };
      return { index, message, logprobs: null, finish_reason: finishReasonOf(turn) };
    });
    return jsonResponse(
      200,
      {
        id,
        object: 'chat.completion',
        created: ctx.created,
        model: opts.model,
        choices,
        usage: usageOf(turns),
        service_tier: 'default',
        system_fingerprint: OPENAI_SYSTEM_FINGERPRINT,
      },
      headers,
    );
  }

  let n = 0;
  const chunk = (choices: unknown[], usage?: unknown): string => {
    const payload: Record<string, unknown> = {
      id,
      object: 'chat.completion.chunk',
      created: ctx.created,
      model: opts.model,
      service_tier: 'default',
      system_fingerprint: OPENAI_SYSTEM_FINGERPRINT,
      choices,
    };
    if (opts.includeUsage) payload.usage = usage ?? null;
    if (opts.includeObfuscation) payload.obfuscation = 'mockpad'.slice(0, 1 + (n++ % 7));
    return dataFrame(payload);
  };
  const delta = (index: number, d: Record<string, unknown>, finish: string | null = null): string =>
    chunk([{ index, delta: d, logprobs: null, finish_reason: finish }]);

  // Per choice: its opening chunk, then its pieces; the pieces of the choices interleave as the real API's do.
  const openings: string[] = [];
  const pieces: string[][] = [];
  turns.forEach((turn, index) => {
    if (turn.kind === 'text') {
      openings.push(delta(index, { role: 'assistant', content: '', refusal: null }));
      pieces.push(splitForStreaming(turn.text).map((piece) => delta(index, { content: piece })));
    } else {
      openings.push(
        delta(index, {
          role: 'assistant',
          content: null,
          tool_calls: [{ index: 0, id: openaiToolCallId(turn), type: 'function', function: { name: turn.name, arguments: '' } }],
          refusal: null,
        }),
      );
      const own = splitJsonForStreaming(JSON.stringify(turn.arguments)).map((piece) => delta(index, { tool_calls: [{ index: 0, function: { arguments: piece } }] }));
      // Parallel calls (a [mock-call: a, b] directive): each opens with its id and name, then its arguments.
      (turn.more ?? []).forEach((c, k) => {
        own.push(delta(index, { tool_calls: [{ index: k + 1, id: `call_mock_${c.callNumber}`, type: 'function', function: { name: c.name, arguments: '' } }] }));
        for (const piece of splitJsonForStreaming(JSON.stringify(c.arguments))) own.push(delta(index, { tool_calls: [{ index: k + 1, function: { arguments: piece } }] }));
      });
      pieces.push(own);
    }
  });
  const events: string[] = [...openings];
  const longest = Math.max(...pieces.map((p) => p.length));
  for (let i = 0; i < longest; i++) for (const p of pieces) if (i < p.length) events.push(p[i]!);
  turns.forEach((turn, index) => events.push(delta(index, {}, finishReasonOf(turn))));
  if (opts.includeUsage) events.push(chunk([], usageOf(turns)));
  events.push(dataFrame('[DONE]'));
  return { type: 'sse', status: 200, headers: { ...SSE_HEADERS, ...headers }, events, preamble: openings.length };
}

/** Answers one chat completion request that passed validateOpenAIChatRequest. */
export function answerOpenAIChat(b: Record<string, any>, ctx: WireContext): PreparedResponse {
  const conv = reduceOpenAIChatRequest(b);
  const count = Number.isInteger(b.n) && b.n > 1 ? Math.min(b.n, 128) : 1;
  const turns = Array.from({ length: count }, (_, choice) => buildMockReply(conv, choice));
  const so = isRecord(b.stream_options) ? b.stream_options : {};
  return formatOpenAIChatTurns(turns, {
    model: b.model,
    stream: b.stream === true,
    includeUsage: so.include_usage === true,
    includeObfuscation: so.include_obfuscation !== false,
    ctx,
  });
}

export const MOCK_OPENAI_MODELS = ['gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-4o-mini', 'o4-mini'];

export function openaiModelsList(ctx: WireContext): PreparedResponse {
  return jsonResponse(
    200,
    {
      object: 'list',
      data: MOCK_OPENAI_MODELS.map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'system' })),
    },
    openaiHeaders(ctx),
  );
}
