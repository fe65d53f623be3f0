/**
 * AWS Bedrock Runtime wire format for the mock upstream: Converse (`POST /model/{id}/converse`),
 * ConverseStream (`/converse-stream`, a binary AWS event stream written in awkwardly split chunks:
 * frames cut across writes and several frames in one write), and InvokeModel (`/invoke`) for Titan
 * and Cohere embeddings. Same deterministic answers as the other routes (build-mock-reply.ts).
 *
 * Auth: a SigV4 `authorization` (`AWS4-HMAC-SHA256 Credential=.../bedrock/aws4_request`, with
 * `x-amz-date`) or a Bedrock API key (`Authorization: Bearer`); else 403
 * UnrecognizedClientException. Signatures are not verified. Errors carry `x-amzn-errortype` and
 * `{message}` as Bedrock's do. Model `fixture:bedrock/<file-base>` replays a recording (the JSON,
 * or the .chunks.txt lines as event-stream frames).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeBedrockEvent } from '../providers/bedrock/event-stream-decoder.js';
import { buildMockReply, isRecord, splitForStreaming, splitJsonForStreaming, type MockConversation, type MockTool, type MockTurn } from './build-mock-reply.js';
import { MOCK_EMBEDDING_DIMENSIONS, mockEmbedding, tokensOf } from './embeddings-wire.js';
import { jsonResponse, type IncomingMockRequest, type PreparedResponse, type WireContext } from './prepared-response.js';

export const BEDROCK_PATH = /^\/model\/([^/]+)\/(converse|converse-stream|invoke|count-tokens)$/;

/** Write sizes cycled through when splitting an event stream (odd, to cut frames anywhere). */
const SPLITS = [7, 61, 1, 23, 3, 140, 2, 37];

export function bedrockError(status: number, type: string, message: string, ctx: WireContext): PreparedResponse<Uint8Array> {
  return jsonResponse(status, { message }, { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`, 'x-amzn-requestid': ctx.requestId });
}

function authorized(headers: IncomingMockRequest['headers']): boolean {
  const auth = headers['authorization'];
  if (typeof auth !== 'string') return false;
  if (/^Bearer\s+\S/.test(auth)) return true;
  return /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/bedrock\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/.test(auth) && typeof headers['x-amz-date'] === 'string';
}

function textsOf(content: unknown[]): string[] {
  return content.filter((b): b is { text: string } => isRecord(b) && typeof b.text === 'string').map((b) => b.text);
}

function toolResultText(block: Record<string, any>): string {
  const content = Array.isArray(block.toolResult?.content) ? block.toolResult.content : [];
  return content.map((c: unknown) => (isRecord(c) && typeof c.text === 'string' ? c.text : isRecord(c) && c.json !== undefined ? JSON.stringify(c.json) : '')).join(' ');
}

export function reduceBedrockRequest(body: Record<string, any>): MockConversation {
  const messages = body.messages as Record<string, any>[];
  const system = Array.isArray(body.system) ? textsOf(body.system) : [];
  const countedTexts = [...system];
  let priorToolCalls = 0;
  for (const m of messages) {
    const content: unknown[] = Array.isArray(m.content) ? m.content : [];
    countedTexts.push(...textsOf(content));
    for (const b of content) {
      if (!isRecord(b)) continue;
      if (b.toolResult) countedTexts.push(toolResultText(b));
      if (b.toolUse && m.role === 'assistant') priorToolCalls++;
    }
  }
  const last = messages[messages.length - 1]!;
  const lastContent: unknown[] = Array.isArray(last.content) ? last.content : [];
  const results = lastContent.filter((b): b is Record<string, any> => isRecord(b) && isRecord(b.toolResult));
  let lastUser: Record<string, any> | undefined;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.role === 'user' && !(messages[i]!.content ?? []).some((b: unknown) => isRecord(b) && b.toolResult)) {
      lastUser = messages[i];
      break;
    }
  }
  const userContent: unknown[] = Array.isArray(lastUser?.content) ? lastUser.content : [];
  const tools: MockTool[] = [];
  const tc = isRecord(body.toolConfig) ? body.toolConfig : {};
  for (const t of Array.isArray(tc.tools) ? tc.tools : []) {
    if (isRecord(t) && isRecord(t.toolSpec) && typeof t.toolSpec.name === 'string') tools.push({ name: t.toolSpec.name, schema: t.toolSpec.inputSchema?.json });
  }
  const choice: MockConversation['toolChoice'] = isRecord(tc.toolChoice) && isRecord(tc.toolChoice.tool) && typeof tc.toolChoice.tool.name === 'string' ? { name: tc.toolChoice.tool.name } : undefined;
  const maxTokens = isRecord(body.inferenceConfig) && typeof body.inferenceConfig.maxTokens === 'number' ? body.inferenceConfig.maxTokens : undefined;
  const conv: MockConversation = {
    systemText: system.length > 0 ? system.join(' ') : undefined,
    countedTexts,
    lastUserText: textsOf(userContent).join(' '),
    lastUserImages: userContent.filter((b) => isRecord(b) && isRecord(b.image)).length,
    toolResultText: last.role === 'user' && results.length > 0 ? toolResultText(results[results.length - 1]!) : undefined,
    tools,
    toolChoice: choice,
    maxTokens,
    priorToolCalls,
  };
  const stops = isRecord(body.inferenceConfig) ? body.inferenceConfig.stopSequences : undefined;
  if (Array.isArray(stops)) conv.stop = stops.filter((x: unknown): x is string => typeof x === 'string');
  return conv;
}

function stopReasonOf(turn: MockTurn): string {
  if (turn.kind === 'tool-call') return 'tool_use';
  if (turn.stopSequence !== undefined) return 'stop_sequence';
  return turn.truncated ? 'max_tokens' : 'end_turn';
}

const toolUseId = (turn: Extract<MockTurn, { kind: 'tool-call' }>) => `tooluse_mock_${turn.callNumber}`;

function usageOf(turn: MockTurn) {
  return { inputTokens: turn.inputTokens, outputTokens: turn.outputTokens, totalTokens: turn.inputTokens + turn.outputTokens, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 };
}

/** Frames written in SPLITS-sized pieces; `preamble` counts pieces before the first content frame starts. */
export function splitEventStream(frames: Uint8Array[], firstContentFrame: number): { chunks: Uint8Array[]; preamble: number } {
  const whole = Buffer.concat(frames);
  let contentStart = 0;
  for (let i = 0; i < Math.min(firstContentFrame, frames.length); i++) contentStart += frames[i]!.length;
  const chunks: Uint8Array[] = [];
  let preamble = 0;
  for (let off = 0, n = 0; off < whole.length; n++) {
    const size = SPLITS[n % SPLITS.length]!;
    if (off + size <= contentStart) preamble = chunks.length + 1;
    chunks.push(whole.subarray(off, off + size));
    off += size;
  }
  return { chunks, preamble };
}

function streamResponse(frames: Uint8Array[], firstContentFrame: number, ctx: WireContext): PreparedResponse<Uint8Array> {
  const { chunks, preamble } = splitEventStream(frames, firstContentFrame);
  return {
    type: 'sse',
    status: 200,
    headers: { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': ctx.requestId },
    events: chunks,
    preamble,
  };
}

export function formatBedrockTurn(turn: MockTurn, opts: { stream: boolean; ctx: WireContext }): PreparedResponse<Uint8Array> {
  const { ctx } = opts;
  if (!opts.stream) {
    const content = turn.kind === 'text' ? [{ text: turn.text }] : [{ toolUse: { toolUseId: toolUseId(turn), name: turn.name, input: turn.arguments } }];
    return jsonResponse(
      200,
      { output: { message: { role: 'assistant', content } }, stopReason: stopReasonOf(turn), usage: usageOf(turn), metrics: { latencyMs: 1 } },
      { 'x-amzn-requestid': ctx.requestId },
    );
  }
  const frames: Uint8Array[] = [encodeBedrockEvent('messageStart', { role: 'assistant' })];
  if (turn.kind === 'text') {
    for (const piece of splitForStreaming(turn.text)) frames.push(encodeBedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: piece } }));
  } else {
    frames.push(encodeBedrockEvent('contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: toolUseId(turn), name: turn.name } } }));
    for (const piece of splitJsonForStreaming(JSON.stringify(turn.arguments))) {
      frames.push(encodeBedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: piece } } }));
    }
  }
  frames.push(encodeBedrockEvent('contentBlockStop', { contentBlockIndex: 0 }));
  frames.push(encodeBedrockEvent('messageStop', { stopReason: stopReasonOf(turn) }));
  frames.push(encodeBedrockEvent('metadata', { usage: usageOf(turn), metrics: { latencyMs: 1 } }));
  return streamResponse(frames, 1, ctx);
}

async function replayBedrockFixture(spec: string, stream: boolean, fixturesDir: string, ctx: WireContext): Promise<PreparedResponse<Uint8Array>> {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]*\/[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(spec)) return bedrockError(400, 'ValidationException', `invalid fixture model "fixture:${spec}"`, ctx);
  let text: string;
  try {
    text = await readFile(join(fixturesDir, `${spec}${stream ? '.chunks.txt' : '.json'}`), 'utf8');
  } catch {
    return bedrockError(404, 'ResourceNotFoundException', `no recording for fixture:${spec}`, ctx);
  }
  if (!stream) return { type: 'json', status: 200, headers: { 'content-type': 'application/json', 'x-amzn-requestid': ctx.requestId }, body: text };
  const frames: Uint8Array[] = [];
  let firstContent = -1;
  for (const line of text.split(/\r?\n/).filter((l) => l.trim() !== '')) {
    const obj = JSON.parse(line) as Record<string, unknown>;
    const [type, payload] = Object.entries(obj)[0]!;
    if (firstContent < 0 && (type === 'contentBlockDelta' || type === 'contentBlockStart')) firstContent = frames.length;
    frames.push(encodeBedrockEvent(type, payload));
  }
  return streamResponse(frames, Math.max(0, firstContent), ctx);
}

function invoke(model: string, body: Record<string, any>, ctx: WireContext): PreparedResponse<Uint8Array> {
  const headers = { 'x-amzn-requestid': ctx.requestId };
  if (/(^|\.)amazon\.titan-embed/.test(model)) {
    if (typeof body.inputText !== 'string' || body.inputText.length === 0) return bedrockError(400, 'ValidationException', 'inputText: required', ctx);
    const dims = typeof body.dimensions === 'number' ? body.dimensions : MOCK_EMBEDDING_DIMENSIONS;
    return jsonResponse(200, { embedding: mockEmbedding(body.inputText, dims), inputTextTokenCount: tokensOf(body.inputText) }, headers);
  }
  if (/(^|\.)cohere\.embed/.test(model)) {
    if (!Array.isArray(body.texts) || body.texts.length === 0) return bedrockError(400, 'ValidationException', 'texts: required', ctx);
    const texts = body.texts as string[];
    const vectors = texts.map((t) => mockEmbedding(t, typeof body.output_dimension === 'number' ? body.output_dimension : MOCK_EMBEDDING_DIMENSIONS));
    const tokens = texts.reduce((n, t) => n + tokensOf(t), 0);
    const byType = Array.isArray(body.embedding_types);
    return jsonResponse(
      200,
      { id: `mock-${ctx.seq}`, texts, embeddings: byType ? { float: vectors } : vectors, response_type: byType ? 'embeddings_by_type' : 'embeddings_floats' },
      { ...headers, 'x-amzn-bedrock-input-token-count': String(tokens) },
    );
  }
  return bedrockError(400, 'ValidationException', `The mock serves InvokeModel for amazon.titan-embed-* and cohere.embed-* only, not ${model}`, ctx);
}

export interface BedrockMockInput extends IncomingMockRequest {
  method: string;
  path: string;
  ctx: WireContext;
  fixturesDir: string;
}

/** Answers a Bedrock Runtime route, or undefined when the path is not one. */
export async function answerBedrock(input: BedrockMockInput): Promise<PreparedResponse<Uint8Array> | undefined> {
  const m = BEDROCK_PATH.exec(input.path);
  if (!m || input.method !== 'POST') return undefined;
  const { ctx, body } = input;
  const model = decodeURIComponent(m[1]!);
  const action = m[2]!;
  if (!authorized(input.headers)) return bedrockError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.', ctx);
  if (!isRecord(body)) return bedrockError(400, 'ValidationException', 'The request body is not valid JSON.', ctx);
  if (action === 'invoke') return invoke(model, body, ctx);
  if (action === 'count-tokens') {
    // CountTokens: {input: {converse: {messages, system?, toolConfig?}}} → {inputTokens}, the reply's count.
    const converse = isRecord(body.input) && isRecord(body.input.converse) ? body.input.converse : undefined;
    if (!converse || !Array.isArray(converse.messages) || converse.messages.length === 0) return bedrockError(400, 'ValidationException', 'input.converse.messages: required', ctx);
    return jsonResponse(200, { inputTokens: buildMockReply(reduceBedrockRequest(converse)).inputTokens }, { 'x-amzn-requestid': ctx.requestId });
  }
  const stream = action === 'converse-stream';
  if (model.startsWith('fixture:')) return replayBedrockFixture(model.slice('fixture:'.length), stream, input.fixturesDir, ctx);
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return bedrockError(400, 'ValidationException', 'A conversation must start with a user message. Try again with a conversation that starts with a user message.', ctx);
  }
  for (const msg of body.messages as unknown[]) {
    if (!isRecord(msg) || (msg.role !== 'user' && msg.role !== 'assistant') || !Array.isArray(msg.content)) {
      return bedrockError(400, 'ValidationException', 'messages: each message needs role user|assistant and a content array', ctx);
    }
    if ((msg.content as unknown[]).some((b) => isRecord(b) && (b.toolUse || b.toolResult)) && !isRecord(body.toolConfig)) {
      return bedrockError(400, 'ValidationException', 'The toolConfig field must be defined when using toolUse and toolResult content blocks.', ctx);
    }
  }
  return formatBedrockTurn(buildMockReply(reduceBedrockRequest(body)), { stream, ctx });
}
