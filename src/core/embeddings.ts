/**
 * The canonical embeddings request and response. Client dialects parse into it (today only the
 * OpenAI `/v1/embeddings` shape); providers that can embed convert from it. Vectors are always
 * plain float arrays here; the client's encoding (OpenAI `encoding_format: base64`) is applied by
 * the dialect when formatting.
 */

export type EmbeddingsInput =
  | { kind: 'text'; texts: string[] }
  /** Pre-tokenized input (OpenAI accepts arrays of token ids); only OpenAI-family upstreams can take it. */
  | { kind: 'tokens'; tokens: number[][] };

export interface EmbeddingsRequest {
  /** Model as the client addressed it (alias or provider/model). */
  model: string;
  input: EmbeddingsInput;
  /** What the client wants back; the gateway always asks upstream for floats. */
  encodingFormat: 'float' | 'base64';
  /** Output dimensions, for models that can shorten their vectors. */
  dimensions?: number;
  user?: string;
  /** The client's body as parsed, for same-dialect upstreams. */
  raw: Record<string, unknown>;
}

export interface EmbeddingsUsage {
  inputTokens: number;
}

export interface EmbeddingsResponse {
  /** The model that answered, as the upstream named it (or the upstream model id). */
  model: string;
  /** One vector per input, in input order. */
  embeddings: number[][];
  usage: EmbeddingsUsage;
}

/** Number of inputs in a request. */
export function embeddingsInputCount(input: EmbeddingsInput): number {
  return input.kind === 'text' ? input.texts.length : input.tokens.length;
}
