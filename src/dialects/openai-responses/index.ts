import type { ClientDialect } from '../client-dialect.js';
import { createOpenAIResponsesStreamEncoder } from './encode-openai-responses-stream.js';
import { formatOpenAIResponsesError } from './format-openai-responses-error.js';
import { formatOpenAIResponsesResponse } from './format-openai-responses-response.js';
import { parseOpenAIResponsesRequest } from './parse-openai-responses-request.js';
import type { ConversationInfo } from './responses-object.js';
export type { ConversationInfo } from './responses-object.js';

/**
 * The Responses dialect for one request: `conversation` says which stored response it continues
 * and whether it is stored, so the answer echoes `previous_response_id` and `store` truthfully.
 */
export function openAIResponsesDialectFor(conversation: ConversationInfo): ClientDialect {
  return {
    id: 'openai-responses',
    parseRequest: parseOpenAIResponsesRequest,
    formatResponse: (res, ctx) => formatOpenAIResponsesResponse(res, ctx.request, conversation),
    createStreamEncoder: (ctx) => createOpenAIResponsesStreamEncoder(ctx, conversation),
    formatError: formatOpenAIResponsesError,
  };
}

/** The Responses dialect for a request that is neither stored nor continues one. */
export const openAIResponsesDialect: ClientDialect = openAIResponsesDialectFor({});
