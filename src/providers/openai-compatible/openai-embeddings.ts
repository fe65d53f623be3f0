/**
 * OpenAI-style embeddings (`POST {base}/embeddings`), shared by OpenAI, Azure OpenAI and the
 * OpenAI-compatible hosts. The gateway always asks for floats (the client's base64 wish is applied
 * by the dialect), and `withEmbeddings` adds the method to a chat adapter.
 */
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../core/embeddings.js';
import { GatewayError } from '../../core/errors.js';
import type { ProviderAdapter, ProviderCallContext } from '../provider-adapter.js';
import { errorMessageFromBody, mapHttpError, parseJsonBody, readBodyText, UpstreamClient } from '../shared/upstream-client.js';

export interface OpenAIEmbeddingsOptions {
  name: string;
  baseUrl: string;
  connectTimeoutMs: number;
  maxConnections: number;
  headers?: Record<string, string>;
  /** Embeddings path for an upstream model (default `/embeddings`). */
  pathFor?: (model: string) => string;
  /** Query string (Azure's api-version). */
  query?: string;
  /** Auth headers for a key (default Authorization: Bearer, omitted for an empty key). */
  authHeaders?: (key: string) => Record<string, string>;
  /** Whether the host takes `encoding_format` (default true). */
  encodingFormat?: boolean;
  /** The `model` sent for an upstream model (Azure v1: the deployment name). */
  modelFor?: (model: string) => string;
}

export interface Embedder {
  embed(request: EmbeddingsRequest, ctx: ProviderCallContext): Promise<EmbeddingsResponse>;
  close(): Promise<void>;
}

export function bearerAuth(key: string): Record<string, string> {
  return key ? { authorization: `Bearer ${key}` } : {};
}

export function createOpenAIEmbeddings(options: OpenAIEmbeddingsOptions): Embedder {
  const { name } = options;
  const client = new UpstreamClient({ baseUrl: options.baseUrl, provider: name, connectTimeoutMs: options.connectTimeoutMs, maxConnections: options.maxConnections });
  const auth = options.authHeaders ?? bearerAuth;
  const query = options.query ? `?${options.query}` : '';
  return {
    async embed(request, ctx) {
      const body: Record<string, unknown> = {
        model: options.modelFor ? options.modelFor(ctx.model) : ctx.model,
        input: request.input.kind === 'text' ? request.input.texts : request.input.tokens,
      };
      if (options.encodingFormat !== false) body.encoding_format = 'float';
      if (request.dimensions !== undefined) body.dimensions = request.dimensions;
      if (request.user !== undefined) body.user = request.user;
      const headers = { 'content-type': 'application/json', ...options.headers, ...auth(ctx.key.value) };
      const path = (options.pathFor ? options.pathFor(ctx.model) : '/embeddings') + query;
      const res = await client.request({ path, headers, body: JSON.stringify(body), signal: ctx.signal, timeouts: ctx.timeouts });
      const text = await readBodyText(res, name, ctx.signal, ctx.timeouts);
      if (res.status >= 400) throw mapHttpError({ status: res.status, headers: res.headers, message: errorMessageFromBody(text), provider: name });
      return mapOpenAIEmbeddingsResponse(parseJsonBody(text, name), { provider: name, model: ctx.model, count: body.input instanceof Array ? body.input.length : 0 });
    },
    close: () => client.close(),
  };
}

/** An OpenAI `list` of embeddings → canonical, in input order (by each item's `index`). */
export function mapOpenAIEmbeddingsResponse(json: unknown, args: { provider: string; model: string; count: number }): EmbeddingsResponse {
  const { provider } = args;
  const b = json as { data?: Array<{ index?: number; embedding?: unknown }>; model?: unknown; usage?: { prompt_tokens?: unknown; total_tokens?: unknown } };
  if (!Array.isArray(b?.data) || b.data.length !== args.count) {
    throw new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: embeddings response does not hold one embedding per input`, { provider });
  }
  const embeddings: number[][] = new Array(args.count);
  b.data.forEach((item, i) => {
    const index = typeof item.index === 'number' ? item.index : i;
    let vector = item.embedding;
    if (typeof vector === 'string') vector = decodeBase64Floats(vector);
    if (!Array.isArray(vector) || index < 0 || index >= args.count) {
      throw new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: embeddings response item ${i} has no vector`, { provider });
    }
    embeddings[index] = vector as number[];
  });
  const tokens = typeof b.usage?.prompt_tokens === 'number' ? b.usage.prompt_tokens : typeof b.usage?.total_tokens === 'number' ? b.usage.total_tokens : 0;
  return { model: typeof b.model === 'string' && b.model ? b.model : args.model, embeddings, usage: { inputTokens: tokens } };
}

function decodeBase64Floats(b64: string): number[] {
  const buf = Buffer.from(b64, 'base64');
  const out = new Array<number>(buf.length >> 2);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

/** A chat adapter with embeddings added (its own connection pool, closed with the adapter). */
export function withEmbeddings(adapter: ProviderAdapter, embedder: Embedder): ProviderAdapter {
  return {
    name: adapter.name,
    type: adapter.type,
    ...(adapter.nativeDialect ? { nativeDialect: adapter.nativeDialect } : {}),
    send: (req, ctx) => adapter.send(req, ctx),
    embed: (req, ctx) => embedder.embed(req, ctx),
    async close() {
      await Promise.all([adapter.close(), embedder.close()]);
    },
  };
}
