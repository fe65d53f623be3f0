/**
 * Embeddings for the mock upstream: deterministic, similarity-preserving vectors (a hashed bag of
 * words: texts sharing their content words point the same way), in the shapes of OpenAI `/v1/embeddings`, Gemini
 * `batchEmbedContents` and Bedrock Titan / Cohere InvokeModel. Input tokens are whitespace words
 * (at least 1 per input).
 */
import { countWords, isRecord } from './build-mock-reply.js';
import { openaiError, openaiHeaders } from './openai-chat-wire.js';
import { jsonResponse, type IncomingMockRequest, type PreparedResponse, type WireContext } from './prepared-response.js';

/** Default vector size of the mock's models. */
export const MOCK_EMBEDDING_DIMENSIONS = 16;

/**
 * Words that carry no meaning for the mock's similarity: case, punctuation and these are ignored,
 * so "What is the capital of France?" and "what's the capital of france" embed identically.
 */
const STOPWORDS = new Set(
  'a an and are be can could do does for how i in is it me of on or please s tell the to was what whats which who why would you your'.split(' '),
);

/** A deterministic pseudo-random vector for one token (FNV-1a seeded xorshift). */
function tokenVector(token: string, dimensions: number): number[] {
  let h = 0x811c9dc5;
  for (let i = 0; i < token.length; i++) {
    h ^= token.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const out: number[] = [];
  let x = h || 1;
  for (let i = 0; i < dimensions; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.push(x / 0xffffffff - 0.5);
  }
  return out;
}

/**
 * A deterministic unit vector for a text: the sum of its content words' vectors (a hashed bag of
 * words), or of the whole text's when it has none. Word order, case, punctuation and stop words do
 * not change it; each different content word moves it away.
 */
export function mockEmbedding(text: string, dimensions = MOCK_EMBEDDING_DIMENSIONS): number[] {
  const words = (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => !STOPWORDS.has(w));
  const sum = new Array<number>(dimensions).fill(0);
  for (const w of words.length ? words : [text]) {
    const v = tokenVector(w, dimensions);
    for (let i = 0; i < dimensions; i++) sum[i]! += v[i]!;
  }
  let norm = 0;
  for (const v of sum) norm += v * v;
  const n = Math.sqrt(norm) || 1;
  // float32-exact values, so base64 round trips compare equal.
  return sum.map((v) => Math.fround(v / n));
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
