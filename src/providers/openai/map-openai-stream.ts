/**
 * OpenAI chat.completion.chunk stream → canonical events. Block indexes: reasoning 0, text 1,
 * tool call n → 2 + n. A block is closed when another kind starts, so every client dialect sees
 * blocks one after another. `data: [DONE]` and a finish_reason both mark the response complete.
 *
 * With `n` > 1 the chunks of the choices interleave: each choice keeps its own open block, its
 * events carry `choice` and its block indexes are offset by CHOICE_STRIDE, so no answer runs into
 * another; the response is complete once every choice has finished.
 */
import { GatewayError } from '../../core/errors.js';
import type { StreamEvent } from '../../core/stream-event.js';
import type { StreamMapper } from '../shared/sse-stream.js';
import { mapOpenAIFinishReason, mapOpenAIUsage } from './map-openai-response.js';

const REASONING = 0;
const TEXT = 1;
const TOOL_BASE = 2;
/** Block index distance between choices (a choice never has this many tool calls). */
export const CHOICE_STRIDE = 1 << 16;

export interface OpenAIStreamMapperOptions {
  provider: string;
  /** Whether the client asked for the usage chunk (we always ask upstream; hide it otherwise). */
  clientWantsUsage: boolean;
  /** How many choices the request asked for (OpenAI `n`, default 1). */
  choices?: number;
}

/**
 * Marks an event with its choice when it is not the first. Set after the literal, not spread into
 * it: a spread in an object literal goes through the runtime's property copy on every event.
 */
function tagged<E extends StreamEvent>(event: E, n: number): E {
  if (n > 0) (event as { choice?: number }).choice = n;
  return event;
}

interface ChoiceState {
  /** The open block's canonical index, or -1. */
  open: number;
  openKind: 'reasoning' | 'text' | 'tool' | undefined;
  /** Tool-call blocks already started (made on the first tool call: most answers have none). */
  toolsSeen: Set<number> | undefined;
  finished: boolean;
}

function newChoiceState(): ChoiceState {
  return { open: -1, openKind: undefined, toolsSeen: undefined, finished: false };
}

export function createOpenAIStreamMapper(options: OpenAIStreamMapperOptions): StreamMapper {
  const { provider } = options;
  const expected = Math.max(1, options.choices ?? 1);
  let started = false;
  let done = false;
  let finishedChoices = 0;
  // Choice 0 in a field, any others in a Map made when one arrives: nearly every stream has one
  // choice, and each stream's state lives as long as the stream (it is what the GC keeps copying).
  const first = newChoiceState();
  let others: Map<number, ChoiceState> | undefined;
  const stateOf = (n: number): ChoiceState => {
    if (n === 0) return first;
    let st = (others ??= new Map()).get(n);
    if (!st) others.set(n, (st = newChoiceState()));
    return st;
  };

  const closeOpen = (st: ChoiceState, n: number, out: StreamEvent[]) => {
    if (st.open < 0) return;
    const index = st.open;
    if (st.openKind === 'reasoning') out.push(tagged({ type: 'reasoning-end', index }, n));
    else if (st.openKind === 'text') out.push(tagged({ type: 'text-end', index }, n));
    else out.push(tagged({ type: 'tool-call-end', index }, n));
    st.open = -1;
    st.openKind = undefined;
  };
  const openBlock = (st: ChoiceState, index: number, kind: 'reasoning' | 'text', n: number, out: StreamEvent[]) => {
    if (st.open === index) return;
    closeOpen(st, n, out);
    st.open = index;
    st.openKind = kind;
    out.push(tagged(kind === 'text' ? { type: 'text-start', index } : { type: 'reasoning-start', index }, n));
  };

  const pushChoice = (choice: any, chunk: any, out: StreamEvent[]) => {
    const n = typeof choice.index === 'number' && choice.index >= 0 ? choice.index : 0;
    const st = stateOf(n);
    const base = n * CHOICE_STRIDE;
    const delta = choice.delta ?? {};
    const reasoning = delta.reasoning_content ?? delta.reasoning;
    if (typeof reasoning === 'string' && reasoning.length > 0) {
      openBlock(st, base + REASONING, 'reasoning', n, out);
      out.push(tagged({ type: 'reasoning-delta', index: base + REASONING, text: reasoning }, n));
    }
    if (typeof delta.content === 'string' && delta.content.length > 0) {
      openBlock(st, base + TEXT, 'text', n, out);
      out.push(tagged({ type: 'text-delta', index: base + TEXT, text: delta.content }, n));
    }
    if (typeof delta.refusal === 'string' && delta.refusal.length > 0) {
      openBlock(st, base + TEXT, 'text', n, out);
      out.push(tagged({ type: 'text-delta', index: base + TEXT, text: delta.refusal }, n));
    }
    if (Array.isArray(delta.tool_calls)) {
      for (const tc of delta.tool_calls) {
        const index = base + TOOL_BASE + (typeof tc.index === 'number' ? tc.index : 0);
        if (!st.toolsSeen?.has(index)) {
          (st.toolsSeen ??= new Set()).add(index);
          closeOpen(st, n, out);
          st.open = index;
          st.openKind = 'tool';
          out.push(tagged({ type: 'tool-call-start', index, id: String(tc.id ?? `call_${index}`), name: String(tc.function?.name ?? '') }, n));
        }
        const args = tc.function?.arguments;
        if (typeof args === 'string' && args.length > 0) out.push(tagged({ type: 'tool-call-delta', index, argumentsDelta: args }, n));
      }
    }
    if (choice.finish_reason != null) {
      closeOpen(st, n, out);
      const finish: StreamEvent = tagged({ type: 'finish', finishReason: mapOpenAIFinishReason(choice.finish_reason), rawFinishReason: String(choice.finish_reason) }, n);
      if (chunk.usage) finish.usage = mapOpenAIUsage(chunk.usage);
      out.push(finish);
      if (!st.finished) {
        st.finished = true;
        finishedChoices++;
      }
    }
  };

  return {
    get finished() {
      return done || finishedChoices >= expected;
    },
    push(message, out) {
      const data = message.data;
      if (data === '[DONE]') {
        done = true;
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
        done = true;
        return;
      }
      if (!started) {
        started = true;
        const start: StreamEvent = { type: 'start', id: String(chunk.id ?? ''), model: String(chunk.model ?? '') };
        if (typeof chunk.created === 'number') start.created = chunk.created;
        out.push(start);
      }
      const list: any[] = Array.isArray(chunk.choices) ? chunk.choices : [];
      let finishedHere = false;
      for (const choice of list) {
        if (choice === null || typeof choice !== 'object') continue;
        pushChoice(choice, chunk, out);
        if (choice.finish_reason != null) finishedHere = true;
      }
      if (chunk.usage && !finishedHere) {
        out.push({ type: 'usage', usage: mapOpenAIUsage(chunk.usage) });
        // The usage-only chunk was our own request when the client did not ask for it.
        if (!options.clientWantsUsage && list.length === 0) return false;
      }
      return;
    },
  };
}
