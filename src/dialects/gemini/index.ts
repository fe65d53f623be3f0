/**
 * The Gemini client dialect (`POST /genai/v1beta/models/{model}:generateContent` and
 * `:streamGenerateContent?alt=sse`), as Google's Gen AI SDK (`@google/genai`) speaks it with
 * `httpOptions.baseUrl` pointed at the gateway. The server passes a GeminiCall (model and stream
 * from the URL, plus the body) to parseRequest.
 */
import type { ClientDialect } from '../client-dialect.js';
import { createGeminiStreamEncoder } from './encode-gemini-stream.js';
import { formatGeminiError } from './format-gemini-error.js';
import { formatGeminiResponse } from './format-gemini-response.js';
import { parseGeminiRequest } from './parse-gemini-request.js';

export type { GeminiCall } from './parse-gemini-request.js';

export const geminiDialect: ClientDialect = {
  id: 'gemini',
  parseRequest: parseGeminiRequest,
  formatResponse: (response, ctx) => formatGeminiResponse(response, ctx.requestModel),
  createStreamEncoder: createGeminiStreamEncoder,
  formatError: formatGeminiError,
};
