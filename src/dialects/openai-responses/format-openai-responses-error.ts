/** Errors in the Responses API's shape: OpenAI's `{error:{message,type,param,code}}`, as for Chat Completions. */
import type { GatewayError } from '../../core/errors.js';
import { openAIErrorObject } from '../openai-chat/format-openai-chat-error.js';

export function formatOpenAIResponsesError(err: GatewayError): unknown {
  return { error: openAIErrorObject(err) };
}
