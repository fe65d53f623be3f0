/**
 * The Anthropic provider (Messages API, `POST /v1/messages`). Requests from Anthropic-dialect
 * clients are forwarded as sent (model replaced, `anthropic-beta` passed on); others are converted
 * from the canonical request.
 */
import { GatewayError } from '../../core/errors.js';
import type { CoreRequest } from '../../core/request.js';
import type { ProviderAdapter, ProviderCallContext, ProviderResult } from '../provider-adapter.js';
import { createSseUpstreamStream } from '../shared/sse-stream.js';
import { anthropicJsonToSse } from './anthropic-json-to-sse.js';
import { errorMessageFromBody, mapHttpError, parseJsonBody, readBodyText, UpstreamClient } from '../shared/upstream-client.js';
import { convertToAnthropicRequest } from './convert-to-anthropic-request.js';
import { mapAnthropicResponse } from './map-anthropic-response.js';
import { createAnthropicStreamMapper } from './map-anthropic-stream.js';

export interface AnthropicProviderOptions {
  name: string;
  /** Base URL without the version path, as in Anthropic's SDK (default https://api.anthropic.com). */
  baseUrl?: string;
  connectTimeoutMs: number;
  maxConnections: number;
  /** The `anthropic-version` header. */
  anthropicVersion: string;
  /** Extra headers sent upstream on every request. */
  headers?: Record<string, string>;
}

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

export function createAnthropicProvider(options: AnthropicProviderOptions): ProviderAdapter {
  const name = options.name;
  const client = new UpstreamClient({
    baseUrl: options.baseUrl ?? ANTHROPIC_DEFAULT_BASE_URL,
    provider: name,
    connectTimeoutMs: options.connectTimeoutMs,
    maxConnections: options.maxConnections,
  });
  const extraHeaders = lowerCaseKeys(options.headers ?? {});

  return {
    name,
    type: 'anthropic',
    nativeDialect: 'anthropic-messages',
    async send(req: CoreRequest, ctx: ProviderCallContext): Promise<ProviderResult> {
      const { body, unmapped } = convertToAnthropicRequest(req, ctx.model);
      const headers: Record<string, string> = {
        ...extraHeaders,
        'content-type': 'application/json',
        'anthropic-version': options.anthropicVersion,
        'x-api-key': ctx.key.value,
      };
      const beta = req.dialect === 'anthropic-messages' ? req.forwardHeaders?.['anthropic-beta'] : undefined;
      if (beta) headers['anthropic-beta'] = extraHeaders['anthropic-beta'] ? `${extraHeaders['anthropic-beta']},${beta}` : beta;
      if (req.stream) headers.accept = 'text/event-stream';

      const res = await client.request({ path: '/v1/messages', headers, body: JSON.stringify(body), signal: ctx.signal, timeouts: ctx.timeouts });
      if (res.status >= 400) {
        const text = await readBodyText(res, name, ctx.signal, ctx.timeouts);
        throw mapHttpError({ status: res.status, headers: res.headers, message: errorMessageFromBody(text), provider: name });
      }
      const result = unmapped.length > 0 ? { unmapped } : {};
      if (req.stream) {
        const mapper = createAnthropicStreamMapper({ provider: name });
        const stream = createSseUpstreamStream({
          body: res.body,
          mapper,
          provider: name,
          signal: ctx.signal,
          timeouts: ctx.timeouts,
          rawDialect: 'anthropic-messages',
          jsonAnswer: (json) => anthropicJsonToSse(json, name),
          logger: ctx.logger,
        });
        return { kind: 'stream', stream, ...result };
      }
      const text = await readBodyText(res, name, ctx.signal, ctx.timeouts);
      const response = mapAnthropicResponse(parseJsonBody(text, name), name);
      return { kind: 'response', response, raw: { dialect: 'anthropic-messages', body: text }, ...result };
    },
    async countTokens(req: CoreRequest, ctx: ProviderCallContext): Promise<number> {
      const { body } = convertToAnthropicRequest(req, ctx.model);
      // count_tokens takes the prompt fields only.
      const countBody: Record<string, unknown> = {};
      for (const k of ['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking', 'mcp_servers']) if (body[k] !== undefined) countBody[k] = body[k];
      const headers: Record<string, string> = { ...extraHeaders, 'content-type': 'application/json', 'anthropic-version': options.anthropicVersion, 'x-api-key': ctx.key.value };
      const beta = req.dialect === 'anthropic-messages' ? req.forwardHeaders?.['anthropic-beta'] : undefined;
      if (beta) headers['anthropic-beta'] = beta;
      const res = await client.request({ path: '/v1/messages/count_tokens', headers, body: JSON.stringify(countBody), signal: ctx.signal, timeouts: ctx.timeouts });
      const text = await readBodyText(res, name, ctx.signal, ctx.timeouts);
      if (res.status >= 400) throw mapHttpError({ status: res.status, headers: res.headers, message: errorMessageFromBody(text), provider: name });
      return countFrom(parseJsonBody(text, name), 'input_tokens', name);
    },
    close: () => client.close(),
  };
}

function countFrom(body: unknown, field: string, provider: string): number {
  const n = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[field] : undefined;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: count_tokens answer has no ${field}`, { provider });
  return n;
}

function lowerCaseKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}
