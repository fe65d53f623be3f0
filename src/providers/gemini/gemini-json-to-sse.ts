/**
 * A complete Gemini answer to a stream request, as the SSE stream it stands for: a
 * GenerateContentResponse is itself one stream chunk, and a JSON array (streamGenerateContent
 * without `alt=sse`) is one chunk per element.
 */
import { parseStreamJsonBody } from '../shared/parse-stream-json-body.js';

export function geminiJsonToSse(text: string, provider: string): string {
  const body = parseStreamJsonBody(text, provider);
  const chunks = Array.isArray(body) ? body : [body];
  return chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('');
}
