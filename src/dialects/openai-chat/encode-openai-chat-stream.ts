/**
 * Canonical stream events → OpenAI `chat.completion.chunk` SSE, in the order the OpenAI SDK and
 * the Vercel AI SDK expect: a role chunk, content / tool-call deltas, a finish chunk, then (when
 * the client asked with stream_options.include_usage) a usage chunk with empty choices, then [DONE].
 */
import type { GatewayError } from '../../core/errors.js';
import type { Usage } from '../../core/response.js';
import type { StreamEvent } from '../../core/stream-event.js';
import type { FormatContext, StreamEncoder } from '../client-dialect.js';
import { openAIErrorObject } from './format-openai-chat-error.js';
import { toOpenAIFinishReason, toOpenAIUsage } from './map-openai-finish-reason.js';

export function createOpenAIChatStreamEncoder(ctx: FormatContext): StreamEncoder<string> {
  const includeUsage = ctx.request.streamUsage === true;
  let id = '';
  let model = ctx.requestModel;
  let created = Math.floor(Date.now() / 1000);
  let started = false;
  const toolOrdinal = new Map<number, number>();
  const usage: Partial<Usage> = {};

  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) =>
    `data: ${JSON.stringify({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      system_fingerprint: null,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    })}\n\n`;

  const ensureStarted = (): string => {
    if (started) return '';
    started = true;
    if (!id) id = `chatcmpl-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
    return chunk({ role: 'assistant', content: '' });
  };

  return {
    encode(e: StreamEvent): string {
      switch (e.type) {
        case 'start':
          id = e.id.startsWith('chatcmpl') ? e.id : `chatcmpl-${e.id}`;
          model = e.model || model;
          if (e.created) created = e.created;
          if (e.usage) Object.assign(usage, e.usage);
          return ensureStarted();
        case 'text-delta':
          return ensureStarted() + chunk({ content: e.text });
        case 'reasoning-delta':
          return ensureStarted() + chunk({ reasoning_content: e.text });
        case 'tool-call-start': {
          const n = toolOrdinal.size;
          toolOrdinal.set(e.index, n);
          return ensureStarted() + chunk({ tool_calls: [{ index: n, id: e.id, type: 'function', function: { name: e.name, arguments: '' } }] });
        }
        case 'tool-call-delta': {
          const n = toolOrdinal.get(e.index);
          if (n === undefined) return '';
          return chunk({ tool_calls: [{ index: n, function: { arguments: e.argumentsDelta } }] });
        }
        case 'usage':
          Object.assign(usage, e.usage);
          return '';
        case 'finish':
          if (e.usage) Object.assign(usage, e.usage);
          return ensureStarted() + chunk({}, toOpenAIFinishReason(e.finishReason));
        default:
          return '';
      }
    },
    encodeError(err: GatewayError): string {
      return `data: ${JSON.stringify({ error: openAIErrorObject(err) })}\n\n`;
    },
    end(): string {
      const usageChunk = includeUsage
        ? `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: null, choices: [], usage: toOpenAIUsage(usage) })}\n\n`
        : '';
      return usageChunk + 'data: [DONE]\n\n';
    },
  };
}
