import type { ClientDialect } from '../client-dialect.js';
import { createOpenAIChatStreamEncoder } from './encode-openai-chat-stream.js';
import { formatOpenAIChatError } from './format-openai-chat-error.js';
import { formatOpenAIChatResponse } from './format-openai-chat-response.js';
import { parseOpenAIChatRequest } from './parse-openai-chat-request.js';

export const openAIChatDialect: ClientDialect = {
  id: 'openai-chat',
  parseRequest: parseOpenAIChatRequest,
  formatResponse: (res) => formatOpenAIChatResponse(res),
  createStreamEncoder: createOpenAIChatStreamEncoder,
  formatError: formatOpenAIChatError,
};
