/**
 * Embeddings for the mock upstream: deterministic vectors (the same text always gives the same
 * unit vector, different texts different ones), in the shapes of OpenAI `/v1/embeddings`, Gemini
 * `batchEmbedContents` and Bedrock Titan / Cohere InvokeModel. Input tokens are whitespace words
 * (at least 1 per input).
 */
import { countWords, isRecord } from './build-mock-reply.js';
import { openaiError, openaiHeaders } from './openai-chat-wire.js';
import { jsonResponse, type IncomingMockRequest, type PreparedResponse, type WireContext } from './prepared-response.js';

/** Default vector size of the mock's models. */
export const MOCK_EMBEDDING_DIMENSIONS = 16;

/** A deterministic unit vector for a text (FNV-1a seeded xorshift). */
export function mockEmbedding(text: string, dimensions = MOCK_EMBEDDING_DIMENSIONS): number[] {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const out: number[] = [];
  let x = h || 1;
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const v = x / 0xffffffff - 0.5;
    out.push(v);
    norm += v * v;
  }
  const n = Math.sqrt(norm) || 1;
  // float32-exact values, so base64 round trips compare equal.
  return out.map((v) => Math.fround(v / n));
}

export function tokensOf(text: string): number {
  return Math.max(1, countWords(text));
}

function base64Floats(v: number[]): string {
  const buf = Buffer.allocUnsafe(v.length * 4);
  v.forEach((x, i) => buf.writeFloatLE(x, i * 4));
  return buf.toString('base64');
}

/** POST /v1/embeddings (OpenAI). */
export function answerOpenAIEmbeddings({ headers, body }: IncomingMockRequest, ctx: WireContext): PreparedResponse {
  const h = openaiHeaders(ctx);
  const auth = headers['authorization'];
  if (typeof auth !== 'string' || !/^Bearer\s+\S/i.test(auth)) return openaiError({ status: 401, message: "You didn't provide an API key.", headers: h });
  if (!isRecord(body) || typeof body.model !== 'string') return openaiError({ status: 400, message: "Missing required parameter: 'model'.", param: 'model', headers: h });
  const input = body.input;
  const texts: string[] | undefined =
    typeof input === 'string'
      ? [input]
      : Array.isArray(input) && input.length > 0
        ? input.map((i: unknown) => (typeof i === 'string' ? i : Array.isArray(i) ? i.join(' ') : String(i)))
        : undefined;
  if (!texts) return openaiError({ status: 400, message: "'$.input' is invalid.", param: 'input', headers: h });
  const dims = typeof body.dimensions === 'number' ? body.dimensions : MOCK_EMBEDDING_DIMENSIONS;
  const base64 = body.encoding_format === 'base64';
  const tokens = texts.reduce((n, t) => n + tokensOf(t), 0);
  return jsonResponse(
    200,
    {
      object: 'list',
      data: texts.map((t, index) => {
        const v = mockEmbedding(t, dims);
        return { object: 'embedding', index, embedding: base64 ? base64Floats(v) : v };
      }),
      model: body.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    },
    h,
  );
}
