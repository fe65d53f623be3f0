import type { CoreResponse } from '../../core/response.js';
import { toOpenAIFinishReason, toOpenAIUsage } from './map-openai-finish-reason.js';

/** Canonical response → OpenAI `chat.completion` object. */
export function formatOpenAIChatResponse(res: CoreResponse): unknown {
  let text = '';
  let reasoning = '';
  const toolCalls: unknown[] = [];
  for (const part of res.content) {
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
  return {
    id: res.id.startsWith('chatcmpl') ? res.id : `chatcmpl-${res.id}`,
    object: 'chat.completion',
    created: res.created ?? Math.floor(Date.now() / 1000),
    model: res.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: toOpenAIFinishReason(res.finishReason) }],
    usage: toOpenAIUsage(res.usage),
    system_fingerprint: (res.providerExtras?.system_fingerprint as string | undefined) ?? null,
  };
}
