/**
 * The mock upstream's OpenAI Responses route (`POST /v1/responses`), in the real API's wire format
 * (learned from the recordings in shared/fixtures/openai-responses): a `response` object, or typed
 * SSE events (`event: <type>` + `data: {type, sequence_number, …}`) from response.created to
 * response.completed, with no `[DONE]`. The answer follows the same deterministic rules as the
 * other routes (build-mock-reply.ts, documented in mock-upstream.ts); `fixture:<folder>/<file>`
 * models replay a recording with Responses framing.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildMockReply, isRecord } from './build-mock-reply.js';
import type { MockConversation, MockTool, MockTurn } from './build-mock-reply.js';
import { openaiError, openaiHeaders } from './openai-chat-wire.js';
import { jsonResponse, namedFrame, SSE_HEADERS } from './prepared-response.js';
import type { IncomingMockRequest, PreparedResponse, WireContext } from './prepared-response.js';
import { FIXTURE_MODEL_PREFIX, statusForRecordedBody } from './replay-fixture.js';

type Obj = Record<string, any>;

/** Checks auth and the required fields; returns the error response, or undefined when valid. */
export function validateOpenAIResponsesRequest({ headers, body }: IncomingMockRequest, ctx: WireContext): PreparedResponse | undefined {
  const h = openaiHeaders(ctx);
  const auth = headers['authorization'];
  if (typeof auth !== 'string' || !/^Bearer\s+\S/i.test(auth)) {
    return openaiError({ status: 401, message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", code: null, headers: h });
  }
  if (!isRecord(body)) return openaiError({ status: 400, message: 'We could not parse the JSON body of your request. The request body must be a JSON object.', headers: h });
  if (typeof body.model !== 'string') return openaiError({ status: 400, message: "Missing required parameter: 'model'.", param: 'model', code: 'missing_required_parameter', headers: h });
  if (typeof body.input !== 'string' && !Array.isArray(body.input)) {
    return openaiError({ status: 400, message: "Invalid type for 'input': expected a string or an array of input items.", param: 'input', code: 'invalid_type', headers: h });
  }
  if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
    // The mock keeps no responses: the gateway must resolve conversations itself.
    return openaiError({ status: 400, message: `Previous response with id '${String(body.previous_response_id)}' not found.`, param: 'previous_response_id', code: 'previous_response_not_found', headers: h });
  }
  return undefined;
}

function partsText(content: unknown): { text: string; images: number } {
  if (typeof content === 'string') return { text: content, images: 0 };
  if (!Array.isArray(content)) return { text: '', images: 0 };
  const texts: string[] = [];
  let images = 0;
  for (const p of content) {
    if (!isRecord(p)) continue;
    if (typeof p.text === 'string') texts.push(p.text);
    else if (p.type === 'input_image') images++;
  }
  return { text: texts.join(' '), images };
}

export function reduceOpenAIResponsesRequest(body: Obj): MockConversation {
  const items: Obj[] = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : (body.input as unknown[]).filter(isRecord);
  const systemTexts: string[] = typeof body.instructions === 'string' && body.instructions ? [body.instructions] : [];
  const countedTexts: string[] = [...systemTexts];
  let priorToolCalls = 0;
  let lastUser: { text: string; images: number } = { text: '', images: 0 };
  for (const item of items) {
    const type = item.type ?? 'message';
    if (type === 'message') {
      const c = partsText(item.content);
      countedTexts.push(c.text);
      if (item.role === 'system' || item.role === 'developer') systemTexts.push(c.text);
      if (item.role === 'user') lastUser = c;
    } else if (type === 'function_call') priorToolCalls++;
    else if (type === 'function_call_output') countedTexts.push(partsText(item.output).text);
  }
  const last = items[items.length - 1];
  const tools: MockTool[] = [];
  if (Array.isArray(body.tools)) for (const t of body.tools) if (isRecord(t) && t.type === 'function' && typeof t.name === 'string') tools.push({ name: t.name, schema: t.parameters });
  let toolChoice: MockConversation['toolChoice'];
  if (body.tool_choice === 'none') toolChoice = 'none';
  else if (isRecord(body.tool_choice) && body.tool_choice.type === 'function' && typeof body.tool_choice.name === 'string') toolChoice = { name: body.tool_choice.name };
  const conv: MockConversation = {
    systemText: systemTexts.length > 0 ? systemTexts.join(' ') : undefined,
    countedTexts,
    lastUserText: lastUser.text,
    lastUserImages: lastUser.images,
    toolResultText: last && last.type === 'function_call_output' ? partsText(last.output).text : undefined,
    tools,
    toolChoice,
    maxTokens: typeof body.max_output_tokens === 'number' ? body.max_output_tokens : undefined,
    priorToolCalls,
  };
  const format = isRecord(body.text) && isRecord(body.text.format) ? body.text.format : undefined;
  const extra = conv as MockConversation & Record<string, unknown>;
  if (format?.type === 'json_object') extra.responseFormat = { kind: 'json' };
  else if (format?.type === 'json_schema') extra.responseFormat = { kind: 'json-schema', schema: format.schema };
  if (isRecord(body.reasoning) && typeof body.reasoning.effort === 'string' && body.reasoning.effort !== 'none') extra.thinking = true;
  return conv;
}

const hex = (n: number, len: number) => n.toString(16).padStart(len, '0');

export interface FormatResponsesOptions {
  model: string;
  stream: boolean;
  body: Obj;
  ctx: WireContext;
}

/** The `response` object and the typed events for one turn. */
export function formatOpenAIResponsesTurn(turn: MockTurn, opts: FormatResponsesOptions): PreparedResponse {
  const { ctx, body } = opts;
  const id = `resp_mock${hex(ctx.seq, 6)}`;
  const headers = openaiHeaders(ctx);
  const reasoningText = (turn as { reasoning?: string }).reasoning;
  const usage = {
    input_tokens: turn.inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: turn.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: turn.inputTokens + turn.outputTokens,
  };
  const incomplete = turn.kind === 'text' && turn.truncated;
  const envelope = (status: string, output: unknown[], withUsage: boolean) => ({
    id,
    object: 'response',
    created_at: ctx.created,
    status,
    background: false,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: opts.model,
    output,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: body.reasoning?.effort ?? null, summary: body.reasoning?.summary ?? null },
    service_tier: 'default',
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: { format: body.text?.format ?? { type: 'text' }, verbosity: 'medium' },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: body.top_p ?? 1,
    truncation: 'disabled',
    usage: withUsage ? usage : null,
    user: null,
    metadata: body.metadata ?? {},
  });
  const showSummary = typeof body.reasoning?.summary === 'string';
  const reasoningItem = reasoningText === undefined ? undefined : { id: `rs_mock${hex(ctx.seq, 6)}`, type: 'reasoning', summary: showSummary ? [{ type: 'summary_text', text: reasoningText }] : [] };
  const finalItem =
    turn.kind === 'text'
      ? { id: `msg_mock${hex(ctx.seq, 6)}`, type: 'message', status: incomplete ? 'incomplete' : 'completed', content: [{ type: 'output_text', annotations: [], logprobs: [], text: turn.text }], role: 'assistant' }
      : { id: `fc_mock${hex(ctx.seq, 6)}`, type: 'function_call', status: 'completed', arguments: JSON.stringify(turn.arguments), call_id: `call_mock_${turn.callNumber}`, name: turn.name };
  const output = reasoningItem ? [reasoningItem, finalItem] : [finalItem];
  const status = incomplete ? 'incomplete' : 'completed';
  if (!opts.stream) return jsonResponse(200, envelope(status, output, true), headers);

  let seq = 0;
  const ev = (type: string, fields: Obj) => namedFrame(type, { type, sequence_number: seq++, ...fields });
  const events: string[] = [ev('response.created', { response: envelope('in_progress', [], false) }), ev('response.in_progress', { response: envelope('in_progress', [], false) })];
  let index = 0;
  if (reasoningItem) {
    events.push(ev('response.output_item.added', { output_index: index, item: { ...reasoningItem, summary: [] } }));
    if (showSummary) {
      const at = { item_id: reasoningItem.id, output_index: index, summary_index: 0 };
      events.push(ev('response.reasoning_summary_part.added', { ...at, part: { type: 'summary_text', text: '' } }));
      for (const piece of words(reasoningText!)) events.push(ev('response.reasoning_summary_text.delta', { ...at, delta: piece, obfuscation: 'mock' }));
      events.push(ev('response.reasoning_summary_text.done', { ...at, text: reasoningText }));
      events.push(ev('response.reasoning_summary_part.done', { ...at, part: { type: 'summary_text', text: reasoningText } }));
    }
    events.push(ev('response.output_item.done', { output_index: index, item: reasoningItem }));
    index++;
  }
  const preamble = events.length;
  if (turn.kind === 'text') {
    const at = { item_id: finalItem.id, output_index: index, content_index: 0 };
    events.push(ev('response.output_item.added', { output_index: index, item: { ...finalItem, status: 'in_progress', content: [] } }));
    events.push(ev('response.content_part.added', { ...at, part: { type: 'output_text', annotations: [], logprobs: [], text: '' } }));
    for (const piece of words(turn.text)) events.push(ev('response.output_text.delta', { ...at, delta: piece, logprobs: [], obfuscation: 'mock' }));
    events.push(ev('response.output_text.done', { ...at, text: turn.text, logprobs: [] }));
    events.push(ev('response.content_part.done', { ...at, part: { type: 'output_text', annotations: [], logprobs: [], text: turn.text } }));
  } else {
    const args = JSON.stringify(turn.arguments);
    events.push(ev('response.output_item.added', { output_index: index, item: { ...finalItem, status: 'in_progress', arguments: '' } }));
    for (const piece of halves(args)) events.push(ev('response.function_call_arguments.delta', { item_id: finalItem.id, output_index: index, delta: piece, obfuscation: 'mock' }));
    events.push(ev('response.function_call_arguments.done', { item_id: finalItem.id, output_index: index, arguments: args }));
  }
  events.push(ev('response.output_item.done', { output_index: index, item: finalItem }));
  events.push(ev(incomplete ? 'response.incomplete' : 'response.completed', { response: envelope(status, output, true) }));
  return { type: 'sse', status: 200, headers: { ...SSE_HEADERS, ...headers }, events, preamble };
}

/** Word by word, each word with the whitespace before it. */
function words(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [text];
}

/** Arguments in at least two pieces, as the real API streams them. */
function halves(text: string): string[] {
  const mid = Math.max(1, Math.floor(text.length / 2));
  return text.length > 1 ? [text.slice(0, mid), text.slice(mid)] : [text];
}

/** Replays shared/fixtures/<spec>.json or .chunks.txt with Responses framing (`event: <type>`, no [DONE]). */
async function replayResponsesFixture({ spec, stream, fixturesDir, ctx }: { spec: string; stream: boolean; fixturesDir: string; ctx: WireContext }): Promise<PreparedResponse> {
  const headers = openaiHeaders(ctx);
  if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]*\/[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(spec) || spec.split('/').some((s) => s === '..')) {
    return openaiError({ status: 400, message: `Invalid fixture model "${FIXTURE_MODEL_PREFIX}${spec}".`, headers });
  }
  let text: string;
  try {
    text = await readFile(join(fixturesDir, `${spec}${stream ? '.chunks.txt' : '.json'}`), 'utf8');
  } catch {
    return openaiError({ status: 404, message: `The model \`${FIXTURE_MODEL_PREFIX}${spec}\` does not exist.`, code: 'model_not_found', headers });
  }
  if (!stream) return { type: 'json', status: statusForRecordedBody(text), headers: { 'content-type': 'application/json', ...headers }, body: text };
  const events: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    let type = 'message';
    try {
      const parsed: unknown = JSON.parse(line);
      if (isRecord(parsed) && typeof parsed.type === 'string') type = parsed.type;
    } catch {
      // sent as is
    }
    events.push(`event: ${type}\ndata: ${line}\n\n`);
  }
  return { type: 'sse', status: 200, headers: { ...SSE_HEADERS, ...headers }, events, preamble: Math.min(2, events.length) };
}

/** Answers POST /v1/responses (after auth and validation by validateOpenAIResponsesRequest). */
export async function answerOpenAIResponses(req: IncomingMockRequest & { fixturesDir: string }, ctx: WireContext): Promise<PreparedResponse> {
  const invalid = validateOpenAIResponsesRequest(req, ctx);
  if (invalid) return invalid;
  const b = req.body as Obj;
  if (b.model.startsWith(FIXTURE_MODEL_PREFIX)) return replayResponsesFixture({ spec: b.model.slice(FIXTURE_MODEL_PREFIX.length), stream: b.stream === true, fixturesDir: req.fixturesDir, ctx });
  return formatOpenAIResponsesTurn(buildMockReply(reduceOpenAIResponsesRequest(b)), { model: b.model, stream: b.stream === true, body: b, ctx });
}
