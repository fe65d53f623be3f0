/**
 * OpenAI `POST /v1/embeddings` body → canonical embeddings request. Strict: `model`, and `input` as
 * a string, an array of strings, an array of token ids, or an array of token-id arrays (none
 * empty); `encoding_format` float | base64; `dimensions` a positive integer up to MAX_EMBEDDING_DIMENSIONS.
 */
import { invalidRequest } from '../../core/errors.js';
import type { EmbeddingsInput, EmbeddingsRequest } from '../../core/embeddings.js';
import { describe, expectNonEmptyString, expectObject, optNumber, optString } from '../shared/validate.js';

/** OpenAI's own limit of inputs per request. */
export const MAX_EMBEDDING_INPUTS = 2048;

/**
 * Largest `dimensions` accepted. The widest embedding models today return 3,072–4,096 values; this
 * leaves room for wider ones while refusing values that would make a provider (or the bundled mock)
 * build a vector of a billion floats.
 */
export const MAX_EMBEDDING_DIMENSIONS = 16_384;

export function parseOpenAIEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  const b = expectObject(body, 'body');
  const model = expectNonEmptyString(b.model, 'model');
  const input = parseInput(b.input);
  const format = optString(b, 'encoding_format', '') ?? 'float';
  if (format !== 'float' && format !== 'base64') throw invalidRequest('encoding_format', `encoding_format: expected "float" or "base64", got "${format}"`);
  const req: EmbeddingsRequest = { model, input, encodingFormat: format, raw: b };
  const dimensions = optNumber(b, 'dimensions', '', { min: 1, max: MAX_EMBEDDING_DIMENSIONS, integer: true });
  if (dimensions !== undefined) req.dimensions = dimensions;
  const user = optString(b, 'user', '');
  if (user !== undefined) req.user = user;
  return req;
}

function isTokenArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((t) => typeof t === 'number' && Number.isInteger(t) && t >= 0);
}

function parseInput(v: unknown): EmbeddingsInput {
  if (v === undefined || v === null) throw invalidRequest('input', 'input: required');
  if (typeof v === 'string') {
    if (v.length === 0) throw invalidRequest('input', 'input: must not be an empty string');
    return { kind: 'text', texts: [v] };
  }
  if (!Array.isArray(v)) throw invalidRequest('input', `input: expected a string or an array, got ${describe(v)}`);
  if (v.length === 0) throw invalidRequest('input', 'input: must not be an empty array');
  if (v.length > MAX_EMBEDDING_INPUTS) throw invalidRequest('input', `input: at most ${MAX_EMBEDDING_INPUTS} inputs per request, got ${v.length}`);
  if (typeof v[0] === 'string') {
    v.forEach((s, i) => {
      if (typeof s !== 'string') throw invalidRequest(`input[${i}]`, `input[${i}]: expected a string, got ${describe(s)}`);
      if (s.length === 0) throw invalidRequest(`input[${i}]`, `input[${i}]: must not be empty`);
    });
    return { kind: 'text', texts: v as string[] };
  }
  if (typeof v[0] === 'number') {
    if (!isTokenArray(v)) throw invalidRequest('input', 'input: a token array must hold non-negative integers only');
    return { kind: 'tokens', tokens: [v] };
  }
  v.forEach((t, i) => {
    if (!isTokenArray(t)) throw invalidRequest(`input[${i}]`, `input[${i}]: expected a string or a non-empty array of token ids, got ${describe(t)}`);
  });
  return { kind: 'tokens', tokens: v as number[][] };
}
