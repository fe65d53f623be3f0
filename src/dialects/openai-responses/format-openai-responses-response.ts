/** Canonical response → OpenAI `response` object (POST /v1/responses, non-stream). */
import type { CoreRequest } from '../../core/request.js';
import type { CoreResponse } from '../../core/response.js';
import type { ConversationInfo } from './responses-object.js';
import { functionCallItem, messageItem, newResponsesId, reasoningItem, responseEnvelope, responseIdFor, statusFor, wantsSummary } from './responses-object.js';

export function formatOpenAIResponsesResponse(res: CoreResponse, request: CoreRequest, conversation: ConversationInfo = {}): Record<string, unknown> {
  const output: Record<string, unknown>[] = [];
  const showSummary = wantsSummary(request);
  // Consecutive text parts form one message item, one output_text part each.
  let texts: string[] | undefined;
  const flush = () => {
    if (texts) output.push(messageItem(newResponsesId('msg'), 'completed', texts));
    texts = undefined;
  };
  for (const part of res.content) {
    if (part.type === 'text') {
      (texts ??= []).push(part.text);
      continue;
    }
    flush();
    if (part.type === 'reasoning') output.push(reasoningItem(newResponsesId('rs'), part, showSummary));
    else output.push(functionCallItem(newResponsesId('fc'), 'completed', part));
  }
  flush();
  const { status, incomplete_details } = statusFor(res.finishReason);
  return responseEnvelope({
    request,
    conversation,
    id: responseIdFor(res.id),
    model: res.model,
    createdAt: res.created ?? Math.floor(Date.now() / 1000),
    status,
    incompleteDetails: incomplete_details,
    output,
    usage: res.usage,
  });
}
