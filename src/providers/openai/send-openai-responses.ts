/**
 * One attempt against OpenAI's Responses endpoint (`POST {base_url}/responses`), for an `openai`
 * provider or model with `api: responses`: Responses-only models work, and a Responses client's
 * request goes upstream as it came (raw), its answer back as it came (raw bytes / body).
 */
import type { CoreRequest } from '../../core/request.js';
import type { ProviderCallContext, ProviderResult } from '../provider-adapter.js';
import { createSseUpstreamStream } from '../shared/sse-stream.js';
import { errorMessageFromBody, mapHttpError, parseJsonBody, readBodyText } from '../shared/upstream-client.js';
import type { UpstreamClient } from '../shared/upstream-client.js';
import { convertToOpenAIResponsesRequest } from './convert-to-openai-responses-request.js';
import { mapOpenAIResponsesResponse } from './map-openai-responses-response.js';
import { createOpenAIResponsesStreamMapper } from './map-openai-responses-stream.js';

export interface SendResponsesInput {
  client: UpstreamClient;
  provider: string;
  request: CoreRequest;
  ctx: ProviderCallContext;
  /** Headers for every request (content type, extra headers, auth). */
  headers: Record<string, string>;
  /** Path below the base URL; default /responses. */
  path?: string;
}

export async function sendOpenAIResponses(input: SendResponsesInput): Promise<ProviderResult> {
  const { client, provider: name, request: req, ctx } = input;
  const { body, unmapped } = convertToOpenAIResponsesRequest(req, ctx.model);
  const headers = { ...input.headers };
  if (req.stream) headers.accept = 'text/event-stream';
  const res = await client.request({ path: input.path ?? '/responses', headers, body: JSON.stringify(body), signal: ctx.signal, timeouts: ctx.timeouts });
  if (res.status >= 400) {
    const text = await readBodyText(res, name, ctx.signal, ctx.timeouts);
    throw mapHttpError({ status: res.status, headers: res.headers, message: errorMessageFromBody(text), provider: name });
  }
  if (req.stream) {
    const mapper = createOpenAIResponsesStreamMapper({ provider: name });
    const stream = createSseUpstreamStream({ body: res.body, mapper, provider: name, signal: ctx.signal, timeouts: ctx.timeouts, rawDialect: 'openai-responses' });
    return { kind: 'stream', stream, unmapped };
  }
  const text = await readBodyText(res, name, ctx.signal, ctx.timeouts);
  const response = mapOpenAIResponsesResponse(parseJsonBody(text, name), name);
  return { kind: 'response', response, raw: { dialect: 'openai-responses', body: text }, unmapped };
}

/** Which API a model is called with: its `model_api` entry (exact, or "prefix*"), else the provider's `api`. */
export function apiForModel(model: string, api: 'chat' | 'responses', modelApi: Record<string, 'chat' | 'responses'>): 'chat' | 'responses' {
  const exact = modelApi[model];
  if (exact) return exact;
  let best: { len: number; api: 'chat' | 'responses' } | undefined;
  for (const [pattern, value] of Object.entries(modelApi)) {
    if (pattern.endsWith('*') && model.startsWith(pattern.slice(0, -1)) && (!best || pattern.length > best.len)) best = { len: pattern.length, api: value };
  }
  return best?.api ?? api;
}
