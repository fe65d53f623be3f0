/**
 * The Google Gemini provider (Gemini API, `generativelanguage.googleapis.com`):
 * `POST /{version}/models/{model}:generateContent`, `:streamGenerateContent?alt=sse`, and
 * `:batchEmbedContents` for embeddings. The key goes in `x-goog-api-key`.
 */
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../core/embeddings.js';
import { GatewayError } from '../../core/errors.js';
import type { CoreRequest } from '../../core/request.js';
import type { ProviderAdapter, ProviderCallContext, ProviderResult } from '../provider-adapter.js';
import { createSseUpstreamStream } from '../shared/sse-stream.js';
import { geminiJsonToSse } from './gemini-json-to-sse.js';
import { parseJsonBody, readBodyText, UpstreamClient } from '../shared/upstream-client.js';
import type { UpstreamResponse } from '../shared/upstream-client.js';
import { convertToGeminiRequest } from './convert-to-gemini-request.js';
import { mapGeminiHttpError } from './map-gemini-error.js';
import { mapGeminiResponse } from './map-gemini-response.js';
import { createGeminiStreamMapper } from './map-gemini-stream.js';
import { ThoughtSignatureCache } from './thought-signatures.js';

export interface GeminiProviderOptions {
  name: string;
  /** Base URL without the version path (default https://generativelanguage.googleapis.com). */
  baseUrl?: string;
  /** API version path segment (default v1beta). */
  apiVersion?: string;
  connectTimeoutMs: number;
  maxConnections: number;
  headers?: Record<string, string>;
}

export const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';
export const GEMINI_DEFAULT_API_VERSION = 'v1beta';

/** Gemini's batch limit for batchEmbedContents. */
const EMBED_BATCH = 100;

/** `models/{model}` (or a `models/...` / `tunedModels/...` name as given), the id URL-encoded. */
export function geminiModelResource(model: string): string {
  for (const prefix of ['models/', 'tunedModels/']) {
    if (model.startsWith(prefix)) return prefix + encodeURIComponent(model.slice(prefix.length));
  }
  return `models/${encodeURIComponent(model)}`;
}

export function createGeminiProvider(options: GeminiProviderOptions): ProviderAdapter {
  const name = options.name;
  const client = new UpstreamClient({
    baseUrl: options.baseUrl ?? GEMINI_DEFAULT_BASE_URL,
    provider: name,
    connectTimeoutMs: options.connectTimeoutMs,
    maxConnections: options.maxConnections,
  });
  const version = options.apiVersion ?? GEMINI_DEFAULT_API_VERSION;
  const extraHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.headers ?? {})) extraHeaders[k.toLowerCase()] = v;
  const signatures = new ThoughtSignatureCache();
  const rememberSignature = (id: string, sig: string) => signatures.set(id, sig);

  const post = async (path: string, body: unknown, ctx: ProviderCallContext, accept = 'application/json'): Promise<UpstreamResponse> => {
    const headers: Record<string, string> = { ...extraHeaders, 'content-type': 'application/json', accept };
    if (ctx.key.value) headers['x-goog-api-key'] = ctx.key.value;
    const res = await client.request({ path, headers, body: JSON.stringify(body), signal: ctx.signal, timeouts: ctx.timeouts });
    if (res.status >= 400) {
      const text = await readBodyText(res, name, ctx.signal, ctx.timeouts);
      throw mapGeminiHttpError({ status: res.status, headers: res.headers, text, provider: name });
    }
    return res;
  };

  return {
    name,
    type: 'gemini',
    async send(req: CoreRequest, ctx: ProviderCallContext): Promise<ProviderResult> {
      const { body, unmapped } = convertToGeminiRequest(req, { model: ctx.model, signatureFor: (id) => signatures.get(id) });
      const resource = `/${version}/${geminiModelResource(ctx.model)}`;
      const result = unmapped.length > 0 ? { unmapped } : {};
      if (req.stream) {
        const res = await post(`${resource}:streamGenerateContent?alt=sse`, body, ctx, 'text/event-stream');
        const mapper = createGeminiStreamMapper({ provider: name, model: ctx.model, rememberSignature });
        // A GenerateContentResponse is also one stream chunk (an array, without alt=sse, is several).
        const jsonAnswer = (json: string) => geminiJsonToSse(json, name);
        const stream = createSseUpstreamStream({ body: res.body, mapper, provider: name, signal: ctx.signal, timeouts: ctx.timeouts, jsonAnswer, logger: ctx.logger });
        return { kind: 'stream', stream, ...result };
      }
      const res = await post(`${resource}:generateContent`, body, ctx);
      const text = await readBodyText(res, name, ctx.signal, ctx.timeouts);
      const response = mapGeminiResponse(parseJsonBody(text, name), { provider: name, model: ctx.model, rememberSignature });
      return { kind: 'response', response, ...result };
    },
    async countTokens(req: CoreRequest, ctx: ProviderCallContext): Promise<number> {
      const { body } = convertToGeminiRequest(req, { model: ctx.model, signatureFor: (id) => signatures.get(id) });
      const resource = geminiModelResource(ctx.model);
      // With a system instruction or tools the whole request is counted, as generateContent would see it.
      const countBody = body.systemInstruction !== undefined || body.tools !== undefined ? { generateContentRequest: { model: resource, ...body } } : { contents: body.contents };
      const res = await post(`/${version}/${resource}:countTokens`, countBody, ctx);
      const json = parseJsonBody(await readBodyText(res, name, ctx.signal, ctx.timeouts), name) as { totalTokens?: unknown };
      if (typeof json.totalTokens !== 'number') throw new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${name}: countTokens answer has no totalTokens`, { provider: name });
      return json.totalTokens;
    },
    async embed(request: EmbeddingsRequest, ctx: ProviderCallContext): Promise<EmbeddingsResponse> {
      if (request.input.kind !== 'text') {
        throw new GatewayError('GW_ERR_UNSUPPORTED', `${name}: token-array input is not supported by Gemini embeddings; send text`, { provider: name, param: 'input' });
      }
      const resource = geminiModelResource(ctx.model);
      const texts = request.input.texts;
      const embeddings: number[][] = [];
      let tokens = 0;
      for (let start = 0; start < texts.length; start += EMBED_BATCH) {
        const batch = texts.slice(start, start + EMBED_BATCH);
        const requests = batch.map((text) => ({
          model: resource,
          content: { parts: [{ text }] },
          ...(request.dimensions !== undefined ? { outputDimensionality: request.dimensions } : {}),
        }));
        const res = await post(`/${version}/${resource}:batchEmbedContents`, { requests }, ctx);
        const json = parseJsonBody(await readBodyText(res, name, ctx.signal, ctx.timeouts), name) as { embeddings?: Array<{ values?: number[] }>; usageMetadata?: { promptTokenCount?: number } };
        const list = json.embeddings;
        if (!Array.isArray(list) || list.length !== batch.length || list.some((e) => !Array.isArray(e?.values))) {
          throw new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${name}: batchEmbedContents did not return one embedding per input`, { provider: name });
        }
        for (const e of list) embeddings.push(e.values!);
        if (typeof json.usageMetadata?.promptTokenCount === 'number') tokens += json.usageMetadata.promptTokenCount;
      }
      return { model: ctx.model, embeddings, usage: { inputTokens: tokens } };
    },
    close: () => client.close(),
  };
}
