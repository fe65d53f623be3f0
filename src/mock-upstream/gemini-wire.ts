/**
 * Google Gemini API wire format for the mock upstream: `POST /v1beta/models/{model}:generateContent`,
 * `:streamGenerateContent` (SSE with `alt=sse`: one whole GenerateContentResponse per event) and
 * `:batchEmbedContents`. Same deterministic answers as the other routes (build-mock-reply.ts).
 *
 * Auth: `x-goog-api-key` (or `?key=`); else 403 PERMISSION_DENIED. Errors are
 * `{error:{code, message, status}}`. Function calls carry a `thoughtSignature`
 * (`mock-signature-<n>`), and for `gemini-3*` models a history function call without one is
 * refused (400), as the real API does. A function call ends with finishReason STOP. Model
 * `fixture:gemini/<file-base>` replays a recording (JSON, or the .chunks.txt lines as SSE events).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildMockReply, isRecord, splitForStreaming, type MockConversation, type MockTool, type MockTurn } from './build-mock-reply.js';
import { MOCK_EMBEDDING_DIMENSIONS, mockEmbedding } from './embeddings-wire.js';
import { jsonResponse, SSE_HEADERS, type IncomingMockRequest, type PreparedResponse, type WireContext } from './prepared-response.js';

export const GEMINI_PATH = /^\/(v1beta|v1|v1alpha)\/(models|tunedModels)\/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents|countTokens)$/;

const STATUS_NAMES: Record<number, string> = { 400: 'INVALID_ARGUMENT', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };

export function geminiError(code: number, message: string): PreparedResponse {
  return jsonResponse(code, { error: { code, message, status: STATUS_NAMES[code] ?? (code >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT') } });
}

const sseFrame = (payload: unknown) => `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\r\n\r\n`;

function textOfParts(parts: unknown[]): string[] {
  return parts.filter((p): p is { text: string } => isRecord(p) && typeof p.text === 'string' && p.thought !== true).map((p) => p.text);
}

function responseText(fr: Record<string, any>): string {
  const r = fr.response;
  if (isRecord(r) && typeof r.content === 'string') return r.content;
  if (isRecord(r) && typeof r.error === 'string') return r.error;
  return JSON.stringify(r ?? {});
}

export function reduceGeminiRequest(body: Record<string, any>): MockConversation {
  const contents = body.contents as Record<string, any>[];
  const system = isRecord(body.systemInstruction) && Array.isArray(body.systemInstruction.parts) ? textOfParts(body.systemInstruction.parts) : [];
  const countedTexts = [...system];
  let priorToolCalls = 0;
  for (const c of contents) {
    const parts: unknown[] = Array.isArray(c.parts) ? c.parts : [];
    countedTexts.push(...textOfParts(parts));
    for (const p of parts) {
      if (!isRecord(p)) continue;
      if (isRecord(p.functionResponse)) countedTexts.push(responseText(p.functionResponse));
      if (isRecord(p.functionCall) && c.role === 'model') priorToolCalls++;
    }
  }
  const last = contents[contents.length - 1]!;
  const lastParts: unknown[] = Array.isArray(last.parts) ? last.parts : [];
  const responses = lastParts.filter((p): p is Record<string, any> => isRecord(p) && isRecord(p.functionResponse));
  let lastUser: Record<string, any> | undefined;
  for (let i = contents.length - 1; i >= 0; i--) {
    const c = contents[i]!;
    if (c.role !== 'model' && !(c.parts ?? []).some((p: unknown) => isRecord(p) && p.functionResponse)) {
      lastUser = c;
      break;
    }
  }
  const userParts: unknown[] = Array.isArray(lastUser?.parts) ? lastUser.parts : [];
  const tools: MockTool[] = [];
  for (const t of Array.isArray(body.tools) ? body.tools : []) {
    for (const d of isRecord(t) && Array.isArray(t.functionDeclarations) ? t.functionDeclarations : []) {
      if (isRecord(d) && typeof d.name === 'string') tools.push({ name: d.name, schema: d.parameters ?? d.parametersJsonSchema });
    }
  }
  const fcc = body.toolConfig?.functionCallingConfig;
  let toolChoice: MockConversation['toolChoice'];
  if (isRecord(fcc) && fcc.mode === 'NONE') toolChoice = 'none';
  else if (isRecord(fcc) && fcc.mode === 'ANY' && Array.isArray(fcc.allowedFunctionNames) && typeof fcc.allowedFunctionNames[0] === 'string') {
    toolChoice = { name: fcc.allowedFunctionNames[0] };
  }
  const gen = isRecord(body.generationConfig) ? body.generationConfig : {};
  const conv: MockConversation = {
    systemText: system.length > 0 ? system.join(' ') : undefined,
    countedTexts,
    lastUserText: textOfParts(userParts).join(' '),
    lastUserImages: userParts.filter((p) => isRecord(p) && (isRecord(p.inlineData) || isRecord(p.fileData))).length,
    toolResultText: last.role !== 'model' && responses.length > 0 ? responseText(responses[responses.length - 1]!.functionResponse) : undefined,
    tools,
    toolChoice,
    maxTokens: typeof gen.maxOutputTokens === 'number' ? gen.maxOutputTokens : undefined,
    priorToolCalls,
  };
  const schema = gen.responseJsonSchema ?? gen.responseSchema;
  if (schema !== undefined) conv.responseFormat = { kind: 'json-schema', schema: lowerCaseTypes(schema) };
  else if (gen.responseMimeType === 'application/json') conv.responseFormat = { kind: 'json' };
  if (Array.isArray(gen.stopSequences)) conv.stop = gen.stopSequences.filter((x: unknown): x is string => typeof x === 'string');
  return conv;
}

/** Gemini's OpenAPI-style schemas write types in capitals (`OBJECT`); JSON Schema's are lower case. */
function lowerCaseTypes(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(lowerCaseTypes);
  if (!isRecord(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === 'type' && typeof v === 'string' ? v.toLowerCase() : lowerCaseTypes(v);
  return out;
}

function usageOf(turn: MockTurn, outputSoFar = turn.outputTokens) {
  return { promptTokenCount: turn.inputTokens, candidatesTokenCount: outputSoFar, totalTokenCount: turn.inputTokens + outputSoFar, promptTokensDetails: [{ modality: 'TEXT', tokenCount: turn.inputTokens }] };
}

export function formatGeminiTurn(turn: MockTurn, opts: { model: string; stream: boolean; ctx: WireContext }): PreparedResponse {
  const responseId = `mockresp${String(opts.ctx.seq).padStart(6, '0')}`;
  const finishReason = turn.kind === 'text' && turn.truncated ? 'MAX_TOKENS' : 'STOP';
  const callPart = (t: Extract<MockTurn, { kind: 'tool-call' }>) => ({ functionCall: { name: t.name, args: t.arguments }, thoughtSignature: `mock-signature-${t.callNumber}` });
  const chunk = (parts: unknown[], usage: unknown, finish?: string) => ({
    candidates: [{ content: { parts, role: 'model' }, ...(finish ? { finishReason: finish } : {}), index: 0 }],
    usageMetadata: usage,
    modelVersion: opts.model,
    responseId,
  });
  if (!opts.stream) {
    const parts = turn.kind === 'text' ? [{ text: turn.text }] : [callPart(turn)];
    return jsonResponse(200, chunk(parts, usageOf(turn), finishReason));
  }
  const events: string[] = [];
  if (turn.kind === 'text') {
    const pieces = splitForStreaming(turn.text);
    pieces.forEach((piece, i) => {
      const isLast = i === pieces.length - 1;
      events.push(sseFrame(chunk([{ text: piece }], usageOf(turn, isLast ? turn.outputTokens : i + 1), isLast ? finishReason : undefined)));
    });
    if (pieces.length === 0) events.push(sseFrame(chunk([{ text: '' }], usageOf(turn), finishReason)));
  } else {
    events.push(sseFrame(chunk([callPart(turn)], usageOf(turn))));
    events.push(sseFrame(chunk([{ text: '' }], usageOf(turn), 'STOP')));
  }
  return { type: 'sse', status: 200, headers: { ...SSE_HEADERS }, events, preamble: 0 };
}

async function replayGeminiFixture(spec: string, stream: boolean, fixturesDir: string): Promise<PreparedResponse> {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]*\/[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(spec)) return geminiError(400, `invalid fixture model "fixture:${spec}"`);
  let text: string;
  try {
    text = await readFile(join(fixturesDir, `${spec}${stream ? '.chunks.txt' : '.json'}`), 'utf8');
  } catch {
    return geminiError(404, `models/fixture:${spec} is not found: no recording`);
  }
  if (!stream) {
    let status = 200;
    try {
      const b = JSON.parse(text) as { error?: { code?: unknown } };
      if (typeof b.error?.code === 'number') status = b.error.code;
    } catch {
      /* served as is */
    }
    return { type: 'json', status, headers: { 'content-type': 'application/json' }, body: text };
  }
  const events = text.split(/\r?\n/).filter((l) => l.trim() !== '').map((l) => sseFrame(l));
  return { type: 'sse', status: 200, headers: { ...SSE_HEADERS }, events, preamble: 0 };
}

/** Gemini 3 refuses a history function call (the first of a model turn) without its thought signature. */
function missingSignature(model: string, contents: Record<string, any>[]): boolean {
  const m = /gemini-(\d+)/.exec(model);
  if (!m || Number(m[1]) < 3) return false;
  return contents.some((c) => {
    if (c.role !== 'model' || !Array.isArray(c.parts)) return false;
    const first = c.parts.find((p: unknown) => isRecord(p) && isRecord(p.functionCall));
    return first !== undefined && typeof first.thoughtSignature !== 'string';
  });
}

function batchEmbed(model: string, body: Record<string, any>): PreparedResponse {
  if (!Array.isArray(body.requests) || body.requests.length === 0) return geminiError(400, '* BatchEmbedContentsRequest.requests: requests is required');
  const embeddings = [];
  for (const r of body.requests as unknown[]) {
    const parts = isRecord(r) && isRecord(r.content) && Array.isArray(r.content.parts) ? r.content.parts : [];
    const text = textOfParts(parts).join(' ');
    if (!text) return geminiError(400, '* BatchEmbedContentsRequest.requests[].content: contents.parts must not be empty.');
    const dims = isRecord(r) && typeof r.outputDimensionality === 'number' ? r.outputDimensionality : MOCK_EMBEDDING_DIMENSIONS;
    embeddings.push({ values: mockEmbedding(text, dims) });
  }
  void model;
  return jsonResponse(200, { embeddings });
}

export interface GeminiMockInput extends IncomingMockRequest {
  method: string;
  path: string;
  /** The full request target (query string included), for `?key=`. */
  url?: string;
  ctx: WireContext;
  fixturesDir: string;
}

/** Answers a Gemini API route, or undefined when the path is not one. */
export async function answerGemini(input: GeminiMockInput): Promise<PreparedResponse | undefined> {
  const m = GEMINI_PATH.exec(input.path);
  if (!m || input.method !== 'POST') return undefined;
  const model = decodeURIComponent(m[3]!);
  const method = m[4]!;
  const key = input.headers['x-goog-api-key'];
  if ((typeof key !== 'string' || key.length === 0) && !/[?&]key=[^&]+/.test(input.url ?? '')) {
    return geminiError(403, 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.');
  }
  const body = input.body;
  if (!isRecord(body)) return geminiError(400, 'Invalid JSON payload received.');
  if (method === 'batchEmbedContents') return batchEmbed(model, body);
  if (method === 'countTokens') {
    // {contents} or {generateContentRequest: {contents, systemInstruction?, tools?}} → {totalTokens}, the reply's count.
    const request = isRecord(body.generateContentRequest) ? body.generateContentRequest : body;
    if (!Array.isArray(request.contents) || request.contents.length === 0) return geminiError(400, '* CountTokensRequest.contents: contents is not specified');
    return jsonResponse(200, { totalTokens: buildMockReply(reduceGeminiRequest(request)).inputTokens });
  }
  const stream = method === 'streamGenerateContent';
  if (model.startsWith('fixture:')) return replayGeminiFixture(model.slice('fixture:'.length), stream, input.fixturesDir);
  if (!Array.isArray(body.contents) || body.contents.length === 0) return geminiError(400, '* GenerateContentRequest.contents: contents is not specified');
  for (const c of body.contents as unknown[]) {
    if (!isRecord(c) || !Array.isArray(c.parts) || c.parts.length === 0) return geminiError(400, '* GenerateContentRequest.contents[].parts: contents.parts must not be empty.');
  }
  if (missingSignature(model, body.contents)) {
    return geminiError(400, 'Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly.');
  }
  return formatGeminiTurn(buildMockReply(reduceGeminiRequest(body)), { model, stream, ctx: input.ctx });
}
