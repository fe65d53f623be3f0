/** Canonical response → the Anthropic Messages `message` object its SDK reads. */
import { randomBytes } from 'node:crypto';
import type { CoreResponse, ResponsePart } from '../../core/response.js';
import { formatAnthropicStopReason } from './format-anthropic-stop-reason.js';
import { formatAnthropicUsage } from './format-anthropic-usage.js';

/** An Anthropic message id: the upstream's own when it is one, else the upstream's prefixed with `msg_`. */
export function anthropicMessageId(id: string): string {
  if (id.startsWith('msg_')) return id;
  if (id.length === 0) return `msg_${randomBytes(12).toString('hex')}`;
  return `msg_${id}`;
}

/**
 * A tool call's arguments as the `input` object Anthropic clients expect. Arguments that are not a
 * JSON object (a model that produced broken JSON) become `{}`: the Anthropic wire has no way to
 * carry them, and clients type `input` as an object.
 */
export function toolInput(args: string): Record<string, unknown> {
  if (args.trim().length === 0) return {};
  try {
    const v: unknown = JSON.parse(args);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* not JSON */
  }
  return {};
}

export function formatAnthropicContentBlock(part: ResponsePart): Record<string, unknown> | undefined {
  switch (part.type) {
    case 'text':
      return part.text.length > 0 ? { type: 'text', text: part.text } : undefined;
    case 'tool-call':
      return { type: 'tool_use', id: part.id, name: part.name, input: toolInput(part.arguments) };
    case 'reasoning':
      if (part.redactedData !== undefined) return { type: 'redacted_thinking', data: part.redactedData };
      return { type: 'thinking', thinking: part.text, signature: part.signature ?? '' };
  }
}

export function formatAnthropicResponse(response: CoreResponse): Record<string, unknown> {
  const content: Record<string, unknown>[] = [];
  for (const part of response.content) {
    const block = formatAnthropicContentBlock(part);
    if (block) content.push(block);
  }
  return {
    id: anthropicMessageId(response.id),
    type: 'message',
    role: 'assistant',
    model: response.model,
    content,
    stop_reason: formatAnthropicStopReason(response.finishReason, response.rawFinishReason),
    stop_sequence: response.stopSequence ?? null,
    usage: formatAnthropicUsage(response.usage),
  };
}
