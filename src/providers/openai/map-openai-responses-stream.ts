/**
 * OpenAI Responses typed stream events → canonical events. Each output item becomes one block (a
 * message's text parts one block each), numbered in the order they start. Reasoning items are
 * emitted whole when they are done: OpenAI sends the final encrypted content only with
 * response.output_item.done, and the canonical reasoning block carries it at its start.
 * response.completed / response.incomplete end the stream; response.failed and `error` events are
 * errors (before the commit point they are retried like any upstream error).
 */
import { GatewayError } from '../../core/errors.js';
import type { StreamEvent } from '../../core/stream-event.js';
import type { StreamMapper } from '../shared/sse-stream.js';
import { mapOpenAIResponsesFinish, mapOpenAIResponsesUsage, reasoningFromItem } from './map-openai-responses-response.js';

export function createOpenAIResponsesStreamMapper(options: { provider: string }): StreamMapper {
  const { provider } = options;
  let finished = false;
  let started = false;
  let next = 0;
  /** Open blocks: `o<output_index>` for tool calls, `o<output_index>:<content_index>` for text. */
  const open = new Map<string, { index: number; kind: 'text' | 'tool'; args: string }>();
  const reasoningText = new Map<number, string>();
  let toolCalls = false;
  let refusal = false;

  const fail = (out: StreamEvent[], message: string, code?: unknown) => {
    const status = code === 'rate_limit_exceeded' ? 429 : undefined;
    out.push({ type: 'error', error: new GatewayError(status ? 'GW_ERR_UPSTREAM_RATE_LIMITED' : 'GW_ERR_UPSTREAM_ERROR', `${provider}: ${message}`, { provider }) });
    finished = true;
  };
  const textBlock = (key: string, out: StreamEvent[]) => {
    let b = open.get(key);
    if (!b) {
      b = { index: next++, kind: 'text', args: '' };
      open.set(key, b);
      out.push({ type: 'text-start', index: b.index });
    }
    return b;
  };

  return {
    get finished() {
      return finished;
    },
    push(message, out) {
      let e: any;
      try {
        e = JSON.parse(message.data);
      } catch {
        throw new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: stream event is not JSON: ${message.data.slice(0, 200)}`, { provider });
      }
      if (typeof e !== 'object' || e === null) return;
      const type = typeof e.type === 'string' ? e.type : message.event;
      if (type === 'error' || (type === undefined && e.error)) {
        const err = e.error ?? e;
        return fail(out, typeof err.message === 'string' ? err.message : 'upstream stream error', err.code);
      }
      if (!started && e.response && (type === 'response.created' || type === 'response.in_progress')) {
        started = true;
        const start: StreamEvent = { type: 'start', id: String(e.response.id ?? ''), model: String(e.response.model ?? '') };
        if (typeof e.response.created_at === 'number') start.created = e.response.created_at;
        out.push(start);
        return;
      }
      const oi = typeof e.output_index === 'number' ? e.output_index : 0;
      switch (type) {
        case 'response.output_item.added':
          if (e.item?.type === 'function_call') {
            toolCalls = true;
            const b = { index: next++, kind: 'tool' as const, args: '' };
            open.set(`o${oi}`, b);
            out.push({ type: 'tool-call-start', index: b.index, id: String(e.item.call_id ?? e.item.id ?? ''), name: String(e.item.name ?? '') });
          } else if (e.item?.type === 'reasoning') reasoningText.set(oi, '');
          return;
        case 'response.content_part.added':
          if (e.part?.type === 'output_text' || e.part?.type === 'refusal') textBlock(`o${oi}:${e.content_index ?? 0}`, out);
          return;
        case 'response.output_text.delta':
        case 'response.refusal.delta': {
          if (type === 'response.refusal.delta') refusal = true;
          const b = textBlock(`o${oi}:${e.content_index ?? 0}`, out);
          if (typeof e.delta === 'string' && e.delta) out.push({ type: 'text-delta', index: b.index, text: e.delta });
          return;
        }
        case 'response.content_part.done': {
          const key = `o${oi}:${e.content_index ?? 0}`;
          const b = open.get(key);
          if (b) {
            open.delete(key);
            out.push({ type: 'text-end', index: b.index });
          }
          return;
        }
        case 'response.function_call_arguments.delta': {
          const b = open.get(`o${oi}`);
          if (b && typeof e.delta === 'string' && e.delta) {
            b.args += e.delta;
            out.push({ type: 'tool-call-delta', index: b.index, argumentsDelta: e.delta });
          }
          return;
        }
        case 'response.reasoning_summary_text.delta':
          if (typeof e.delta === 'string') reasoningText.set(oi, (reasoningText.get(oi) ?? '') + e.delta);
          return;
        case 'response.reasoning_summary_part.added':
          // A second summary part: separate it from the first, as the whole-response mapping does.
          if (reasoningText.get(oi)) reasoningText.set(oi, reasoningText.get(oi) + '\n\n');
          return;
        case 'response.output_item.done': {
          const item = e.item ?? {};
          if (item.type === 'function_call') {
            const b = open.get(`o${oi}`);
            if (!b) return;
            open.delete(`o${oi}`);
            if (!b.args && typeof item.arguments === 'string' && item.arguments) out.push({ type: 'tool-call-delta', index: b.index, argumentsDelta: item.arguments });
            out.push({ type: 'tool-call-end', index: b.index });
          } else if (item.type === 'reasoning') {
            const part = reasoningFromItem(item);
            const text = reasoningText.get(oi) || (part.type === 'reasoning' ? part.text : '');
            reasoningText.delete(oi);
            const index = next++;
            out.push({ type: 'reasoning-start', index, ...(part.type === 'reasoning' && part.providerMetadata ? { providerMetadata: part.providerMetadata } : {}) });
            if (text) out.push({ type: 'reasoning-delta', index, text });
            out.push({ type: 'reasoning-end', index });
          } else if (item.type === 'message') {
            for (const [key, b] of open) {
              if (key.startsWith(`o${oi}:`)) {
                open.delete(key);
                out.push({ type: 'text-end', index: b.index });
              }
            }
          }
          return;
        }
        case 'response.completed':
        case 'response.incomplete': {
          for (const [key, b] of open) {
            open.delete(key);
            out.push(b.kind === 'text' ? { type: 'text-end', index: b.index } : { type: 'tool-call-end', index: b.index });
          }
          const r = e.response ?? {};
          const status = r.status ?? (type === 'response.completed' ? 'completed' : 'incomplete');
          out.push({
            type: 'finish',
            finishReason: mapOpenAIResponsesFinish(status, r.incomplete_details?.reason, toolCalls, refusal),
            rawFinishReason: r.incomplete_details?.reason ? `${status}:${r.incomplete_details.reason}` : String(status),
            usage: mapOpenAIResponsesUsage(r.usage),
          });
          finished = true;
          return;
        }
        case 'response.failed': {
          const err = e.response?.error ?? {};
          return fail(out, typeof err.message === 'string' ? err.message : 'the response failed', err.code);
        }
        default:
          // Hosted-tool progress, annotations, …: nothing canonical to say.
          return;
      }
    },
  };
}
