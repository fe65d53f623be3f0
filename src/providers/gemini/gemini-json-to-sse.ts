/**
 * A complete Gemini answer to a stream request, as the SSE stream it stands for: a
 * GenerateContentResponse is itself one stream chunk, and a JSON array (streamGenerateContent
 * without `alt=sse`) is one chunk per element.
 */
import { GatewayError } from '../../core/errors.js';

export function geminiJsonToSse(text: string, provider: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: upstream answered the stream request with a body that is not JSON: ${text.slice(0, 200)}`, { provider });
  }
  const chunks = Array.isArray(body) ? body : [body];
  return chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('');
}
