/**
 * Canonical embeddings response → OpenAI's `list` of `embedding` objects. With
 * `encoding_format: base64` each vector is little-endian float32, base64-encoded, as OpenAI sends
 * it (the OpenAI SDKs ask for base64 by default and decode it).
 */
import type { EmbeddingsResponse } from '../../core/embeddings.js';

export function encodeEmbeddingBase64(vector: number[]): string {
  const buf = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) buf.writeFloatLE(vector[i]!, i * 4);
  return buf.toString('base64');
}

export function formatOpenAIEmbeddingsResponse(res: EmbeddingsResponse, encodingFormat: 'float' | 'base64'): unknown {
  return {
    object: 'list',
    data: res.embeddings.map((v, index) => ({
      object: 'embedding',
      index,
      embedding: encodingFormat === 'base64' ? encodeEmbeddingBase64(v) : v,
    })),
    model: res.model,
    usage: { prompt_tokens: res.usage.inputTokens, total_tokens: res.usage.inputTokens },
  };
}
