import type { CoreResponse, ResponsePart } from '../../core/response.js';
import { toOpenAIFinishReason, toOpenAIUsage } from './map-openai-finish-reason.js';

/** Canonical response → OpenAI `chat.completion` object; choices 1 and up (`n` > 1) follow choice 0. */
export function formatOpenAIChatResponse(res: CoreResponse): unknown {
  const choices = [{ index: 0, message: messageOf(res.content), logprobs: null, finish_reason: toOpenAIFinishReason(res.finishReason) }];
  for (const c of res.choices ?? []) choices.push({ index: c.index, message: messageOf(c.content), logprobs: null, finish_reason: toOpenAIFinishReason(c.finishReason) });
  return {
    id: res.id.startsWith('chatcmpl') ? res.id : `chatcmpl-${res.id}`,
    object: 'chat.completion',
    created: res.created ?? Math.floor(Date.now() / 1000),
    model: res.model,
    choices,
    usage: toOpenAIUsage(res.usage),
    system_fingerprint: (res.providerExtras?.system_fingerprint as string | undefined) ?? null,
  };
}

function messageOf(content: ResponsePart[]): Record<string, unknown> {
  let text = '';
  let reasoning = '';
  const toolCalls: unknown[] = [];
  for (const part of content) {
    if (part.type === 'text') text += part.text;
    else if (part.type === 'reasoning') reasoning += part.text;
    else toolCalls.push({ id: part.id, type: 'function', function: { name: part.name, arguments: part.arguments } });
  }
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: text.length > 0 || toolCalls.length === 0 ? text : null,
    refusal: null,
  };
  if (reasoning) message.reasoning_content = reasoning;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return message;
}
