/**
 * Embeddings on Bedrock through InvokeModel (`POST /model/{modelId}/invoke`), by model family:
 * Amazon Titan text embeddings (one input per call, run a few at a time) and Cohere Embed (up to
 * 96 texts per call). Other models have no embeddings mapping: GW_ERR_UNSUPPORTED.
 */
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../core/embeddings.js';
import { GatewayError } from '../../core/errors.js';

type Obj = Record<string, any>;

/** One InvokeModel call: JSON body in, JSON body and the input token count header out. */
export type InvokeModel = (body: Record<string, unknown>) => Promise<{ json: unknown; inputTokens?: number }>;

/** Titan calls in flight at once for one request. */
const TITAN_CONCURRENCY = 8;
/** Cohere Embed's limit of texts per call. */
const COHERE_BATCH = 96;

export type BedrockEmbeddingFamily = 'titan' | 'cohere';

/** The embeddings family of a Bedrock model id or inference profile (`us.cohere.embed-...`), if any. */
export function bedrockEmbeddingFamily(model: string): BedrockEmbeddingFamily | undefined {
  const m = model.toLowerCase();
  if (/(^|\.)amazon\.titan-embed/.test(m)) return 'titan';
  if (/(^|\.)cohere\.embed/.test(m)) return 'cohere';
  return undefined;
}

export async function bedrockEmbed(args: { request: EmbeddingsRequest; model: string; provider: string; invoke: InvokeModel }): Promise<EmbeddingsResponse> {
  const { request, model, provider, invoke } = args;
  const family = bedrockEmbeddingFamily(model);
  if (!family) {
    throw new GatewayError('GW_ERR_UNSUPPORTED', `${provider}: model "${model}" is not an embeddings model this gateway can call on Bedrock (amazon.titan-embed-*, cohere.embed-*)`, {
      provider,
      param: 'model',
    });
  }
  if (request.input.kind !== 'text') {
    throw new GatewayError('GW_ERR_UNSUPPORTED', `${provider}: token-array input is not supported by Bedrock embeddings models; send text`, { provider, param: 'input' });
  }
  const texts = request.input.texts;
  return family === 'titan' ? titan(texts, request, model, provider, invoke) : cohere(texts, request, model, provider, invoke);
}

async function titan(texts: string[], request: EmbeddingsRequest, model: string, provider: string, invoke: InvokeModel): Promise<EmbeddingsResponse> {
  const v2 = model.includes('titan-embed-text-v2');
  const image = model.includes('titan-embed-image');
  if (request.dimensions !== undefined && !v2 && !image) {
    throw new GatewayError('GW_ERR_UNSUPPORTED', `${provider}: model "${model}" has a fixed vector size; "dimensions" needs amazon.titan-embed-text-v2`, {
      provider,
      param: 'dimensions',
    });
  }
  const embeddings: number[][] = new Array(texts.length);
  let tokens = 0;
  let next = 0;
  const worker = async () => {
    while (next < texts.length) {
      const i = next++;
      const body: Record<string, unknown> = { inputText: texts[i] };
      if (request.dimensions !== undefined) {
        if (v2) body.dimensions = request.dimensions;
        else body.embeddingConfig = { outputEmbeddingLength: request.dimensions };
      }
      const { json, inputTokens } = await invoke(body);
      const r = json as Obj;
      if (!Array.isArray(r?.embedding)) throw protocol(provider, 'Titan response has no embedding');
      embeddings[i] = r.embedding as number[];
      tokens += typeof r.inputTextTokenCount === 'number' ? r.inputTextTokenCount : (inputTokens ?? 0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(TITAN_CONCURRENCY, texts.length) }, worker));
  return { model, embeddings, usage: { inputTokens: tokens } };
}

async function cohere(texts: string[], request: EmbeddingsRequest, model: string, provider: string, invoke: InvokeModel): Promise<EmbeddingsResponse> {
  const embeddings: number[][] = [];
  let tokens = 0;
  for (let start = 0; start < texts.length; start += COHERE_BATCH) {
    const batch = texts.slice(start, start + COHERE_BATCH);
    const body: Record<string, unknown> = { texts: batch, input_type: 'search_document', embedding_types: ['float'] };
    if (request.dimensions !== undefined) body.output_dimension = request.dimensions;
    const { json, inputTokens } = await invoke(body);
    const r = json as Obj;
    const vectors: unknown = Array.isArray(r?.embeddings) ? r.embeddings : r?.embeddings?.float;
    if (!Array.isArray(vectors) || vectors.length !== batch.length) throw protocol(provider, 'Cohere response has no embeddings for every text');
    embeddings.push(...(vectors as number[][]));
    const billed = r?.meta?.billed_units?.input_tokens;
    tokens += inputTokens ?? (typeof billed === 'number' ? billed : 0);
  }
  return { model, embeddings, usage: { inputTokens: tokens } };
}

function protocol(provider: string, what: string): GatewayError {
  return new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: ${what}`, { provider });
}
