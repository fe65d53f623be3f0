/**
 * The OpenAI provider (Chat Completions), also the base of every OpenAI-compatible host: a preset
 * only changes the base URL, the auth header and the quirks in `OpenAIProviderOptions`.
 */
import type { DialectId } from '../../core/dialect.js';
import type { CoreRequest } from '../../core/request.js';
import type { ProviderAdapter, ProviderCallContext, ProviderResult } from '../provider-adapter.js';
import { createSseUpstreamStream } from '../shared/sse-stream.js';
import type { StreamMapper } from '../shared/sse-stream.js';
import { errorMessageFromBody, mapHttpError, parseJsonBody, readBodyText, UpstreamClient } from '../shared/upstream-client.js';
import { convertToOpenAIRequest } from './convert-to-openai-request.js';
import { mapOpenAIResponse } from './map-openai-response.js';
import { createOpenAIStreamMapper } from './map-openai-stream.js';
import { apiForModel, sendOpenAIResponses } from './send-openai-responses.js';
import { openAIJsonToSse } from './openai-json-to-sse.js';

export interface OpenAIProviderOptions {
  name: string;
  type?: string;
  /** Base URL including the version path, as in OpenAI's SDK (default https://api.openai.com/v1). */
  baseUrl?: string;
  connectTimeoutMs: number;
  maxConnections: number;
  headers?: Record<string, string>;
  /** Field for the output limit (default max_completion_tokens; older compatible servers want max_tokens). */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** Path of the chat endpoint below the base URL. */
  chatPath?: string;
  /** Builds the auth headers for a key (default `Authorization: Bearer`). */
  authHeaders?: (key: string) => Record<string, string>;
  /** Query string appended to the chat path (Azure's api-version). */
  query?: string;
  /** Chat path for an upstream model (Azure: one deployment per model); wins over `chatPath`. */
  chatPathFor?: (model: string) => string;
  /**
   * Last changes to the outgoing body for a host's quirks (field names, unsupported fields). Runs
   * on forwarded OpenAI-dialect bodies too; it may replace top-level keys, never mutate nested values.
   */
  adjustBody?: (body: Record<string, unknown>, req: CoreRequest) => void;
  /**
   * Rewrites an upstream JSON payload (a whole response or one stream chunk) into OpenAI's shape
   * before it is mapped and forwarded; returns undefined when there was nothing to change.
   */
  normalizePayload?: (payload: Record<string, unknown>) => Record<string, unknown> | undefined;
  /** Which OpenAI API to call: Chat Completions (default) or Responses (`POST /responses`). */
  api?: 'chat' | 'responses';
  /** Per-model override of `api`, by exact model name or "prefix*". */
  modelApi?: Record<string, 'chat' | 'responses'>;
}

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export function createOpenAIProvider(options: OpenAIProviderOptions): ProviderAdapter {
  const name = options.name;
  const client = new UpstreamClient({
    baseUrl: options.baseUrl ?? OPENAI_DEFAULT_BASE_URL,
    provider: name,
    connectTimeoutMs: options.connectTimeoutMs,
    maxConnections: options.maxConnections,
  });
  const maxTokensField = options.maxTokensField ?? 'max_completion_tokens';
  const path = (options.chatPath ?? '/chat/completions') + (options.query ? `?${options.query}` : '');
  const auth = options.authHeaders ?? ((key: string) => ({ authorization: `Bearer ${key}` }));
  const extraHeaders = options.headers ?? {};

  return {
    name,
    type: options.type ?? 'openai',
    // Mixed APIs per model: no one dialect is native, so streams are re-encoded (whole bodies still pass by raw.dialect).
    ...(nativeDialectOf(options) ? { nativeDialect: nativeDialectOf(options)! } : {}),
    async send(req: CoreRequest, ctx: ProviderCallContext): Promise<ProviderResult> {
      if (options.api === 'responses' || options.modelApi) {
        if (apiForModel(ctx.model, options.api ?? 'chat', options.modelApi ?? {}) === 'responses') {
          return sendOpenAIResponses({ client, provider: name, request: req, ctx, headers: { 'content-type': 'application/json', ...extraHeaders, ...auth(ctx.key.value) } });
        }
      }
      const { body, unmapped } = convertToOpenAIRequest(req, ctx.model, { maxTokensField });
      options.adjustBody?.(body, req);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        ...extraHeaders,
        ...auth(ctx.key.value),
      };
      if (req.stream) headers.accept = 'text/event-stream';
      const target = options.chatPathFor ? options.chatPathFor(ctx.model) + (options.query ? `?${options.query}` : '') : path;
      const res = await client.request({ path: target, headers, body: JSON.stringify(body), signal: ctx.signal, timeouts: ctx.timeouts });
      if (res.status >= 400) {
        const text = await readBodyText(res, name, ctx.signal, ctx.timeouts);
        throw mapHttpError({ status: res.status, headers: res.headers, message: errorMessageFromBody(text), provider: name });
      }
      if (req.stream) {
        const choices = req.dialect === 'openai-chat' && typeof req.raw.n === 'number' ? req.raw.n : 1;
        const openaiMapper = createOpenAIStreamMapper({ provider: name, clientWantsUsage: req.streamUsage === true, choices });
        const mapper = options.normalizePayload ? normalizingMapper(openaiMapper, options.normalizePayload) : openaiMapper;
        const stream = createSseUpstreamStream({
          body: res.body,
          mapper,
          provider: name,
          signal: ctx.signal,
          timeouts: ctx.timeouts,
          rawDialect: 'openai-chat',
          jsonAnswer: (json) => openAIJsonToSse(json, name),
          logger: ctx.logger,
        });
        return { kind: 'stream', stream, unmapped };
      }
      let text = await readBodyText(res, name, ctx.signal, ctx.timeouts);
      let parsed = parseJsonBody(text, name);
      const normalized = options.normalizePayload && isRecord(parsed) ? options.normalizePayload(parsed) : undefined;
      if (normalized) {
        parsed = normalized;
        text = JSON.stringify(normalized);
      }
      const response = mapOpenAIResponse(parsed, name);
      return { kind: 'response', response, raw: { dialect: 'openai-chat', body: text }, unmapped };
    },
    close: () => client.close(),
  };
}

function nativeDialectOf(options: OpenAIProviderOptions): DialectId | undefined {
  const api = options.api ?? 'chat';
  if (options.modelApi && Object.values(options.modelApi).some((a) => a !== api)) return undefined;
  return api === 'responses' ? 'openai-responses' : 'openai-chat';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Normalizes each stream chunk before the OpenAI mapper reads it. The rewritten JSON replaces
 * `message.data`, which the SSE stream then forwards as the raw payload to same-dialect clients.
 */
function normalizingMapper(inner: StreamMapper, normalize: NonNullable<OpenAIProviderOptions['normalizePayload']>): StreamMapper {
  return {
    get finished() {
      return inner.finished;
    },
    push(message, out) {
      if (message.data !== '[DONE]') {
        let chunk: unknown;
        try {
          chunk = JSON.parse(message.data);
        } catch {
          chunk = undefined;
        }
        const normalized = isRecord(chunk) ? normalize(chunk) : undefined;
        if (normalized) message.data = JSON.stringify(normalized);
      }
      return inner.push(message, out);
    },
  };
}
