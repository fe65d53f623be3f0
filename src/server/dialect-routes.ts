/**
 * The routes whose model is in the URL — Gemini (`/genai/{version}/models/{model}:{method}`) and
 * Bedrock (`/bedrock/model/{modelId}/{action}`) — and token counting (`/v1/messages/count_tokens`,
 * Gemini `:countTokens`, Bedrock `/count-tokens`). Chat calls go through gateway.handle like every
 * dialect, embeddings through gateway.handleEmbeddings (answers re-shaped for Gemini), counts
 * through count-tokens/count-tokens.ts. app.ts owns reading, tracking and writing (`begin`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { countTokens } from '../count-tokens/count-tokens.js';
import type { TokenCount } from '../count-tokens/count-tokens.js';
import type { ApiId } from '../core/dialect.js';
import { ERROR_CODES, GatewayError, invalidRequest, toGatewayError } from '../core/errors.js';
import type { ErrorCode } from '../core/errors.js';
import type { CoreRequest } from '../core/request.js';
import { anthropicMessagesDialect } from '../dialects/anthropic-messages/index.js';
import { bedrockConverseDialect, loadConverseCodec } from '../dialects/bedrock-converse/index.js';
import type { ConverseCall } from '../dialects/bedrock-converse/index.js';
import type { ClientDialect } from '../dialects/client-dialect.js';
import { geminiDialect } from '../dialects/gemini/index.js';
import type { GeminiCall } from '../dialects/gemini/index.js';
import { errorOutcome } from '../gateway.js';
import type { Gateway, GatewayOutcome } from '../gateway.js';
import { lazyChild } from '../observability/logger.js';
import type { Logger } from '../observability/logger.js';
import { systemClock } from '../routing/clock.js';

type Handler = (req: IncomingMessage, res: ServerResponse, requestId: string) => Promise<void>;

/** Authenticates and reads one JSON call (answering refusals itself); undefined when refused. */
export type BeginCall = (args: {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  dialect: ClientDialect;
  api: ApiId;
}) => Promise<{ body: unknown; signal: AbortSignal; answer(outcome: GatewayOutcome): void } | undefined>;

export interface DialectRoutesOptions {
  gateway: Gateway;
  logger: Logger;
  begin: BeginCall;
  /** Writes an outcome to a response that was not begun (bad method or path). */
  reply(req: IncomingMessage, res: ServerResponse, outcome: GatewayOutcome): void;
}

export interface DialectRoutes {
  /** The handler for a path with a model in it, or undefined. */
  match(path: string): Handler | undefined;
  /** POST /v1/messages/count_tokens (Anthropic dialect). */
  anthropicCountTokens: Handler;
  /** Route patterns, for the startup banner. */
  patterns: string[];
}

const GEMINI = /^\/genai\/(v1beta|v1|v1alpha)\/(?:models|tunedModels)\/(.+):(generateContent|streamGenerateContent|countTokens|embedContent|batchEmbedContents)$/;
const BEDROCK = /^\/bedrock\/model\/([^/]+)\/(converse|converse-stream|count-tokens)$/;

/** The header that marks a locally estimated count, naming the tokenizer. */
export const TOKEN_ESTIMATE_HEADER = 'x-switchyard-token-estimate';

export function createDialectRoutes(options: DialectRoutesOptions): DialectRoutes {
  const { gateway, logger, begin, reply } = options;

  const decode = (raw: string, dialect: ClientDialect, res: ServerResponse, req: IncomingMessage, requestId: string): string | undefined => {
    try {
      const model = decodeURIComponent(raw);
      if (model.length > 0) return model;
    } catch {
      /* answered below */
    }
    reply(req, res, errorOutcome(dialect, invalidRequest('model', `the model in the path ("${raw}") is not a valid URL-encoded name`), { 'x-request-id': requestId }));
    return undefined;
  };
  const onlyPost = (req: IncomingMessage, res: ServerResponse, requestId: string, dialect: ClientDialect): boolean => {
    if (req.method === 'POST') return true;
    req.resume();
    res.setHeader('allow', 'POST');
    reply(req, res, errorOutcome(dialect, new GatewayError('GW_ERR_METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use POST`), { 'x-request-id': requestId }));
    return false;
  };

  /** A chat call whose model (and streaming) the path gave. */
  const chat = async (args: { req: IncomingMessage; res: ServerResponse; requestId: string; dialect: ClientDialect; model: string; stream: boolean }) => {
    const { req, res, requestId, dialect } = args;
    const call = await begin({ req, res, requestId, dialect, api: dialect.id });
    if (!call) return;
    const wrapped: GeminiCall | ConverseCall = { model: args.model, stream: args.stream, body: call.body };
    const outcome = await gateway.handle({ dialect, body: wrapped, headers: req.headers, signal: call.signal, requestId });
    if (outcome.kind === 'stream' && dialect.streamContentType) outcome.headers['content-type'] = dialect.streamContentType;
    call.answer(outcome);
  };

  /** A count, answered as `format(count)` in the dialect's shape, marked when estimated. */
  const count = async (args: {
    req: IncomingMessage;
    res: ServerResponse;
    requestId: string;
    dialect: ClientDialect;
    parse: (body: unknown) => CoreRequest;
    format: (n: number) => unknown;
  }) => {
    const { req, res, requestId, dialect } = args;
    const call = await begin({ req, res, requestId, dialect, api: dialect.id });
    if (!call) return;
    const headers: Record<string, string> = { 'x-request-id': requestId };
    let result: TokenCount;
    try {
      const request = args.parse(call.body);
      const runtime = gateway.currentRuntime;
      result = await countTokens({
        runtime,
        request,
        signal: call.signal,
        logger: lazyChild(logger, { requestId }),
        clock: systemClock,
        breakers: gateway.breakers,
        deadlineAt: systemClock.now() + (runtime.aliases.get(request.model)?.deadlineMs ?? runtime.config.routing.deadline_ms),
      });
    } catch (e) {
      call.answer(errorOutcome(dialect, toGatewayError(e), headers));
      return;
    }
    headers['content-type'] = 'application/json';
    headers['x-switchyard-provider'] = result.target.provider.name;
    headers['x-switchyard-model'] = result.target.model;
    if (result.estimate) headers[TOKEN_ESTIMATE_HEADER] = `${result.estimate.tokenizer}; reason="${result.estimate.reason.replace(/["\\\r\n]/g, '')}"`;
    call.answer({ kind: 'json', status: 200, headers, body: JSON.stringify(args.format(result.inputTokens)) });
  };

  /** Gemini embedContent / batchEmbedContents through the OpenAI-shaped embeddings pipeline. */
  const geminiEmbed = async (args: { req: IncomingMessage; res: ServerResponse; requestId: string; model: string; batch: boolean }) => {
    const { req, res, requestId } = args;
    const call = await begin({ req, res, requestId, dialect: geminiDialect, api: 'openai-embeddings' });
    if (!call) return;
    let texts: string[];
    let dimensions: number | undefined;
    try {
      ({ texts, dimensions } = geminiEmbedInputs(call.body, args.batch));
    } catch (e) {
      call.answer(errorOutcome(geminiDialect, toGatewayError(e), { 'x-request-id': requestId }));
      return;
    }
    const body = { model: args.model, input: texts, ...(dimensions !== undefined ? { dimensions } : {}) };
    const outcome = await gateway.handleEmbeddings({ body, headers: req.headers, signal: call.signal, requestId });
    call.answer(reshapeEmbeddings(outcome, args.batch));
  };

  const match = (path: string): Handler | undefined => {
    const g = GEMINI.exec(path);
    if (g) {
      const [, , rawModel, method] = g as unknown as [string, string, string, string];
      return async (req, res, requestId) => {
        if (!onlyPost(req, res, requestId, geminiDialect)) return;
        const model = decode(rawModel, geminiDialect, res, req, requestId);
        if (model === undefined) return void req.resume();
        if (method === 'generateContent' || method === 'streamGenerateContent') {
          return chat({ req, res, requestId, dialect: geminiDialect, model, stream: method === 'streamGenerateContent' });
        }
        if (method === 'countTokens') {
          return count({
            req,
            res,
            requestId,
            dialect: geminiDialect,
            parse: (body) => geminiDialect.parseRequest({ model, stream: false, body: geminiCountBody(body) } satisfies GeminiCall),
            format: (n) => ({ totalTokens: n }),
          });
        }
        return geminiEmbed({ req, res, requestId, model, batch: method === 'batchEmbedContents' });
      };
    }
    const b = BEDROCK.exec(path);
    if (b) {
      const [, rawModel, action] = b as unknown as [string, string, string];
      return async (req, res, requestId) => {
        if (!onlyPost(req, res, requestId, bedrockConverseDialect)) return;
        const model = decode(rawModel, bedrockConverseDialect, res, req, requestId);
        if (model === undefined) return void req.resume();
        if (action === 'converse-stream') await loadConverseCodec();
        if (action !== 'count-tokens') return chat({ req, res, requestId, dialect: bedrockConverseDialect, model, stream: action === 'converse-stream' });
        return count({
          req,
          res,
          requestId,
          dialect: bedrockConverseDialect,
          parse: (body) => bedrockConverseDialect.parseRequest({ model, stream: false, body: bedrockCountBody(body) } satisfies ConverseCall),
          format: (n) => ({ inputTokens: n }),
        });
      };
    }
    return undefined;
  };

  const anthropicCountTokens: Handler = (req, res, requestId) =>
    count({
      req,
      res,
      requestId,
      dialect: anthropicMessagesDialect,
      // count_tokens takes a Messages body without max_tokens.
      parse: (body) => {
        const b = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : body;
        return anthropicMessagesDialect.parseRequest(typeof b === 'object' && b !== null && (b as Record<string, unknown>).max_tokens === undefined ? { ...b, max_tokens: 1 } : b);
      },
      format: (n) => ({ input_tokens: n }),
    });

  return {
    match,
    anthropicCountTokens,
    patterns: [
      'POST /genai/v1beta/models/{model}:generateContent|streamGenerateContent|countTokens|embedContent|batchEmbedContents',
      'POST /bedrock/model/{modelId}/converse|converse-stream|count-tokens',
    ],
  };
}

/** Gemini countTokens takes `{contents}` or `{generateContentRequest: {...}}`. */
function geminiCountBody(body: unknown): unknown {
  if (typeof body === 'object' && body !== null && 'generateContentRequest' in body) {
    const inner = (body as { generateContentRequest: unknown }).generateContentRequest;
    if (typeof inner === 'object' && inner !== null) {
      const { model: _model, ...rest } = inner as Record<string, unknown>;
      return rest;
    }
  }
  return body;
}

/** Bedrock CountTokens takes `{input: {converse: {...}}}`. */
function bedrockCountBody(body: unknown): unknown {
  const input = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).input : undefined;
  const converse = typeof input === 'object' && input !== null ? (input as Record<string, unknown>).converse : undefined;
  if (converse === undefined) throw invalidRequest('input.converse', 'input.converse: required (CountTokens here counts Converse input)');
  return converse;
}

function partsText(content: unknown, path: string): string {
  const parts = typeof content === 'object' && content !== null ? (content as Record<string, unknown>).parts : undefined;
  if (!Array.isArray(parts)) throw invalidRequest(`${path}.parts`, `${path}.parts: expected an array`);
  return parts
    .map((p, i) => {
      const text = typeof p === 'object' && p !== null ? (p as Record<string, unknown>).text : undefined;
      if (typeof text !== 'string') throw invalidRequest(`${path}.parts[${i}].text`, `${path}.parts[${i}].text: expected a string (embeddings take text parts)`);
      return text;
    })
    .join(' ');
}

/** The texts of embedContent (`{content}`) or batchEmbedContents (`{requests: [{content}]}`). */
function geminiEmbedInputs(body: unknown, batch: boolean): { texts: string[]; dimensions?: number } {
  const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const entries = batch ? b.requests : [b];
  if (!Array.isArray(entries) || entries.length === 0) throw invalidRequest('requests', 'requests: expected a non-empty array');
  let dimensions: number | undefined;
  const texts = entries.map((e, i) => {
    const path = batch ? `requests[${i}].content` : 'content';
    const entry = typeof e === 'object' && e !== null ? (e as Record<string, unknown>) : {};
    if (typeof entry.outputDimensionality === 'number') dimensions = entry.outputDimensionality;
    return partsText(entry.content, path);
  });
  return dimensions === undefined ? { texts } : { texts, dimensions };
}

/** An OpenAI-shaped embeddings outcome → Gemini's (`{embedding}` / `{embeddings}`), errors included. */
function reshapeEmbeddings(outcome: GatewayOutcome, batch: boolean): GatewayOutcome {
  if (outcome.kind !== 'json') return outcome;
  const parsed = JSON.parse(outcome.body) as { data?: Array<{ embedding: number[] }>; error?: { message?: string } };
  if (outcome.status !== 200) {
    const code = outcome.headers['x-switchyard-error-code'];
    const known = code !== undefined && code in ERROR_CODES;
    const err = new GatewayError(known ? (code as ErrorCode) : 'GW_ERR_INTERNAL', parsed.error?.message ?? 'embeddings failed', { status: outcome.status });
    return errorOutcome(geminiDialect, err, { 'x-request-id': outcome.headers['x-request-id'] ?? '' });
  }
  const vectors = (parsed.data ?? []).map((d) => ({ values: d.embedding }));
  const body = batch ? { embeddings: vectors } : { embedding: vectors[0] };
  return { ...outcome, body: JSON.stringify(body) };
}
