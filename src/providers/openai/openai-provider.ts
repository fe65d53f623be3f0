/**
 * The OpenAI provider (Chat Completions), also the base of every OpenAI-compatible host: a preset
 * only changes the base URL, the auth header and the quirks in `OpenAIProviderOptions`.
 */
import type { CoreRequest } from '../../core/request.js';
import type { ProviderAdapter, ProviderCallContext, ProviderResult } from '../provider-adapter.js';
import { createSseUpstreamStream } from '../shared/sse-stream.js';
import { mapHttpError, parseJsonBody, readBodyText, UpstreamClient } from '../shared/upstream-client.js';
import { convertToOpenAIRequest } from './convert-to-openai-request.js';
import { mapOpenAIResponse } from './map-openai-response.js';
import { createOpenAIStreamMapper } from './map-openai-stream.js';

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
}

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** Extracts an OpenAI-shaped error message from an error body. */
export function openAIErrorMessage(text: string): string {
  try {
    const b = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof b.error === 'string') return b.error;
    if (b.error && typeof b.error.message === 'string') return b.error.message;
    if (typeof b.message === 'string') return b.message;
  } catch {
    /* not JSON */
  }
  return text.slice(0, 500);
}

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
    nativeDialect: 'openai-chat',
    async send(req: CoreRequest, ctx: ProviderCallContext): Promise<ProviderResult> {
      const { body, unmapped } = convertToOpenAIRequest(req, ctx.model, { maxTokensField });
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        ...extraHeaders,
        ...auth(ctx.key.value),
      };
      if (req.stream) headers.accept = 'text/event-stream';
      const res = await client.request({ path, headers, body: JSON.stringify(body), signal: ctx.signal, timeouts: ctx.timeouts });
      if (res.status >= 400) {
        const text = await readBodyText(res, name, ctx.signal, ctx.timeouts);
        throw mapHttpError({ status: res.status, headers: res.headers, message: openAIErrorMessage(text), provider: name });
      }
      if (req.stream) {
        const mapper = createOpenAIStreamMapper({ provider: name, clientWantsUsage: req.streamUsage === true });
        const stream = createSseUpstreamStream({ body: res.body, mapper, provider: name, signal: ctx.signal, timeouts: ctx.timeouts, rawDialect: 'openai-chat' });
        return { kind: 'stream', stream, unmapped };
      }
      const text = await readBodyText(res, name, ctx.signal, ctx.timeouts);
      const response = mapOpenAIResponse(parseJsonBody(text, name), name);
      return { kind: 'response', response, raw: { dialect: 'openai-chat', body: text }, unmapped };
    },
    close: () => client.close(),
  };
}
