/** The Anthropic Messages client dialect (`POST /v1/messages`), as Anthropic's SDKs speak it. */
import type { ClientDialect } from '../client-dialect.js';
import { createAnthropicStreamEncoder } from './encode-anthropic-stream.js';
import { formatAnthropicError } from './format-anthropic-error.js';
import { formatAnthropicResponse } from './format-anthropic-response.js';
import { parseAnthropicRequest } from './parse-anthropic-request.js';

export const anthropicMessagesDialect: ClientDialect = {
  id: 'anthropic-messages',
  parseRequest: parseAnthropicRequest,
  formatResponse: (response) => formatAnthropicResponse(response),
  createStreamEncoder: createAnthropicStreamEncoder,
  formatError: formatAnthropicError,
};
