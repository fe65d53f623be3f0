/**
 * OpenAI chat.completion.chunk stream → canonical events. Block indexes: reasoning 0, text 1,
 * tool call n → 2 + n. A block is closed when another kind starts, so every client dialect sees
 * blocks one after another. `data: [DONE]` and a finish_reason both mark the response complete.
 */
import { GatewayError } from '../../core/errors.js';
import type { StreamEvent } from '../../core/stream-event.js';
import type { StreamMapper } from '../shared/sse-stream.js';
import { mapOpenAIFinishReason, mapOpenAIUsage } from './map-openai-response.js';

const REASONING = 0;
const TEXT = 1;
const TOOL_BASE = 2;

export interface OpenAIStreamMapperOptions {
  provider: string;
  /** Whether the client asked for the usage chunk (we always ask upstream; hide it otherwise). */
  clientWantsUsage: boolean;
}

export function createOpenAIStreamMapper(options: OpenAIStreamMapperOptions): StreamMapper {
  const { provider } = options;
  let started = false;
  let finished = false;
  /** The open block's canonical index, or -1. */
  let open = -1;
  let openKind: 'reasoning' | 'text' | 'tool' | undefined;
  const toolsSeen = new Set<number>();

  const closeOpen = (out: StreamEvent[]) => {
    if (open < 0) return;
    if (openKind === 'reasoning') out.push({ type: 'reasoning-end', index: open });
    else if (openKind === 'text') out.push({ type: 'text-end', index: open });
    else out.push({ type: 'tool-call-end', index: open });
    open = -1;
    openKind = undefined;
  };
  const openBlock = (index: number, kind: 'reasoning' | 'text', out: StreamEvent[]) => {
    if (open === index) return;
    closeOpen(out);
    open = index;
    openKind = kind;
    out.push(kind === 'text' ? { type: 'text-start', index } : { type: 'reasoning-start', index });
  };

  return {
    get finished() {
      return finished;
    },
    push(message, out) {
      const data = message.data;
      if (data === '[DONE]') {
        finished = true;
        return;
      }
      let chunk: any;
      try {
        chunk = JSON.parse(data);
      } catch {
        throw new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: stream chunk is not JSON: ${data.slice(0, 200)}`, { provider });
      }
      if (chunk.error) {
        const msg = typeof chunk.error.message === 'string' ? chunk.error.message : 'upstream stream error';
        out.push({ type: 'error', error: new GatewayError('GW_ERR_UPSTREAM_ERROR', `${provider}: ${msg}`, { provider }) });
        finished = true;
        return;
      }
      if (!started) {
        started = true;
        const start: StreamEvent = { type: 'start', id: String(chunk.id ?? ''), model: String(chunk.model ?? '') };
        if (typeof chunk.created === 'number') start.created = chunk.created;
        out.push(start);
      }
      const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
      if (choice) {
        const delta = choice.delta ?? {};
        const reasoning = delta.reasoning_content ?? delta.reasoning;
        if (typeof reasoning === 'string' && reasoning.length > 0) {
          openBlock(REASONING, 'reasoning', out);
          out.push({ type: 'reasoning-delta', index: REASONING, text: reasoning });
        }
        if (typeof delta.content === 'string' && delta.content.length > 0) {
          openBlock(TEXT, 'text', out);
          out.push({ type: 'text-delta', index: TEXT, text: delta.content });
        }
        if (typeof delta.refusal === 'string' && delta.refusal.length > 0) {
          openBlock(TEXT, 'text', out);
          out.push({ type: 'text-delta', index: TEXT, text: delta.refusal });
        }
        if (Array.isArray(delta.tool_calls)) {
          for (const tc of delta.tool_calls) {
            const index = TOOL_BASE + (typeof tc.index === 'number' ? tc.index : 0);
            if (!toolsSeen.has(index)) {
              toolsSeen.add(index);
              closeOpen(out);
              open = index;
              openKind = 'tool';
              out.push({ type: 'tool-call-start', index, id: String(tc.id ?? `call_${index}`), name: String(tc.function?.name ?? '') });
            }
            const args = tc.function?.arguments;
            if (typeof args === 'string' && args.length > 0) out.push({ type: 'tool-call-delta', index, argumentsDelta: args });
          }
        }
        if (choice.finish_reason != null) {
          closeOpen(out);
          const finish: StreamEvent = {
            type: 'finish',
            finishReason: mapOpenAIFinishReason(choice.finish_reason),
            rawFinishReason: String(choice.finish_reason),
          };
          if (chunk.usage) finish.usage = mapOpenAIUsage(chunk.usage);
          out.push(finish);
          finished = true;
          return;
        }
      }
      if (chunk.usage && (!choice || choice.finish_reason == null)) {
        out.push({ type: 'usage', usage: mapOpenAIUsage(chunk.usage) });
        // The usage-only chunk was our own request when the client did not ask for it.
        if (!options.clientWantsUsage && (!Array.isArray(chunk.choices) || chunk.choices.length === 0)) return false;
      }
      return;
    },
  };
}
