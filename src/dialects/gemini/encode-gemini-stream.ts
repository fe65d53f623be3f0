/**
 * Canonical stream events → Gemini `streamGenerateContent?alt=sse`: each text or thought delta is
 * one `data:` chunk holding a partial `GenerateContentResponse`; a function call is sent whole, in
 * one chunk, once its arguments are complete (Gemini never splits a call); the last chunk carries
 * the finish reason and `usageMetadata` (written at the end, since an OpenAI upstream sends its
 * usage after the finish). An error after the commit point is a `data:` chunk with Google's error
 * body, which the SDK raises as its ApiError.
 */
import type { GatewayError } from '../../core/errors.js';
import type { FinishReason, Usage } from '../../core/response.js';
import type { StreamEvent } from '../../core/stream-event.js';
import type { FormatContext, StreamEncoder } from '../client-dialect.js';
import { formatGeminiError } from './format-gemini-error.js';
import { geminiFinishReason, geminiPart, geminiUsage } from './format-gemini-response.js';

interface PendingCall {
  id: string;
  name: string;
  args: string;
  providerMetadata?: Record<string, unknown>;
}

export function createGeminiStreamEncoder(ctx: FormatContext): StreamEncoder<string> {
  let id = '';
  let model = ctx.requestModel;
  const usage: Partial<Usage> = {};
  let finish: FinishReason | undefined;
  const calls = new Map<number, PendingCall>();
  /** Thought signatures of text/reasoning blocks (sent on their first chunk). */
  const signatures = new Map<number, Record<string, unknown>>();

  const chunk = (parts: Array<Record<string, unknown>>, last?: { finishReason: string }): string => {
    const candidate: Record<string, unknown> = { content: { role: 'model', parts }, index: 0 };
    if (last) candidate.finishReason = last.finishReason;
    const body: Record<string, unknown> = { candidates: [candidate] };
    if (last) body.usageMetadata = geminiUsage(usage);
    body.modelVersion = model;
    body.responseId = id;
    return `data: ${JSON.stringify(body)}\r\n\r\n`;
  };
  const withSignature = (index: number, part: Record<string, unknown>) => {
    const meta = signatures.get(index);
    if (!meta) return part;
    signatures.delete(index);
    const g = meta.gemini as Record<string, unknown> | undefined;
    return typeof g?.thoughtSignature === 'string' ? { ...part, thoughtSignature: g.thoughtSignature } : part;
  };

  return {
    encode(e: StreamEvent): string {
      switch (e.type) {
        case 'start':
          id = e.id;
          model = e.model || model;
          if (e.usage) Object.assign(usage, e.usage);
          return '';
        case 'text-start':
        case 'reasoning-start':
          if (e.providerMetadata) signatures.set(e.index, e.providerMetadata);
          return '';
        case 'text-delta':
          return e.text.length === 0 ? '' : chunk([withSignature(e.index, { text: e.text })]);
        case 'reasoning-delta':
          return e.text.length === 0 ? '' : chunk([withSignature(e.index, { text: e.text, thought: true })]);
        case 'tool-call-start':
          calls.set(e.index, { id: e.id, name: e.name, args: '', ...(e.providerMetadata ? { providerMetadata: e.providerMetadata } : {}) });
          return '';
        case 'tool-call-delta': {
          const c = calls.get(e.index);
          if (c) c.args += e.argumentsDelta;
          return '';
        }
        case 'tool-call-end': {
          const c = calls.get(e.index);
          if (!c) return '';
          calls.delete(e.index);
          const part = geminiPart({ type: 'tool-call', id: c.id, name: c.name, arguments: c.args, ...(c.providerMetadata ? { providerMetadata: c.providerMetadata } : {}) });
          return part ? chunk([part]) : '';
        }
        case 'usage':
          Object.assign(usage, e.usage);
          return '';
        case 'finish': {
          if (e.usage) Object.assign(usage, e.usage);
          finish = e.finishReason;
          // Calls that never saw their end (some upstreams end them with the finish).
          let out = '';
          for (const [index] of calls) out += this.encode({ type: 'tool-call-end', index });
          return out;
        }
        default:
          return '';
      }
    },
    encodeError(err: GatewayError): string {
      return `data: ${JSON.stringify(formatGeminiError(err))}\r\n\r\n`;
    },
    end(): string {
      return chunk([], { finishReason: geminiFinishReason(finish ?? 'stop') });
    },
  };
}
