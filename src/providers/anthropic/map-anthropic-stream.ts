/**
 * Anthropic Messages SSE events → canonical stream events. Anthropic's own block index is the
 * canonical index. A repeated message_start for the same message is ignored; one for a different
 * message (two answers spliced into one stream) is a protocol error. Server-tool blocks
 * (server_tool_use, web_search_tool_result, ...) produce no canonical events: Anthropic clients still
 * get them through the raw frames.
 */
import { GatewayError } from '../../core/errors.js';
import type { Usage } from '../../core/response.js';
import type { StreamEvent } from '../../core/stream-event.js';
import type { StreamMapper } from '../shared/sse-stream.js';
import { mapAnthropicStreamError } from './map-anthropic-error.js';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.js';
import { mapAnthropicUsage } from './map-anthropic-usage.js';
import type { AnthropicUsageFields } from './map-anthropic-usage.js';

export interface AnthropicStreamMapperOptions {
  provider: string;
}

type BlockKind = 'text' | 'reasoning' | 'tool' | 'other';

type Obj = Record<string, any>;

export function createAnthropicStreamMapper(options: AnthropicStreamMapperOptions): StreamMapper {
  const { provider } = options;
  let finished = false;
  let finishSent = false;
  let messageId: string | undefined;
  /** The block kind per Anthropic index, while the block is open. */
  const open = new Map<number, BlockKind>();
  /** Raw usage fields so far: message_delta's cumulative counters overwrite message_start's. */
  const usage: AnthropicUsageFields = {};

  const protocolError = (what: string) => new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: ${what}`, { provider });

  const mergeUsage = (u: unknown) => {
    if (typeof u !== 'object' || u === null) return;
    const src = u as Obj;
    for (const key of ['input_tokens', 'output_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens', 'output_tokens_details'] as const) {
      if (src[key] !== undefined && src[key] !== null) (usage as Obj)[key] = src[key];
    }
  };

  const canonicalUsage = (): Usage => mapAnthropicUsage(usage);

  const blockStart = (index: number, block: Obj, out: StreamEvent[]) => {
    switch (block.type) {
      case 'text':
        open.set(index, 'text');
        out.push({ type: 'text-start', index });
        if (typeof block.text === 'string' && block.text.length > 0) out.push({ type: 'text-delta', index, text: block.text });
        return;
      case 'tool_use': {
        open.set(index, 'tool');
        out.push({ type: 'tool-call-start', index, id: String(block.id ?? ''), name: String(block.name ?? '') });
        const input = block.input;
        if (typeof input === 'object' && input !== null && Object.keys(input).length > 0) {
          out.push({ type: 'tool-call-delta', index, argumentsDelta: JSON.stringify(input) });
        }
        return;
      }
      case 'thinking':
        open.set(index, 'reasoning');
        out.push({ type: 'reasoning-start', index });
        if (typeof block.thinking === 'string' && block.thinking.length > 0) out.push({ type: 'reasoning-delta', index, text: block.thinking });
        if (typeof block.signature === 'string' && block.signature.length > 0) out.push({ type: 'reasoning-signature', index, signature: block.signature });
        return;
      case 'redacted_thinking':
        open.set(index, 'reasoning');
        out.push({ type: 'reasoning-start', index, redactedData: String(block.data ?? '') });
        return;
      default:
        open.set(index, 'other');
    }
  };

  const blockDelta = (index: number, delta: Obj, out: StreamEvent[]) => {
    const kind = open.get(index);
    switch (delta.type) {
      case 'text_delta':
        if (kind === 'text' && typeof delta.text === 'string' && delta.text.length > 0) out.push({ type: 'text-delta', index, text: delta.text });
        return;
      case 'input_json_delta':
        if (kind === 'tool' && typeof delta.partial_json === 'string' && delta.partial_json.length > 0) {
          out.push({ type: 'tool-call-delta', index, argumentsDelta: delta.partial_json });
        }
        return;
      case 'thinking_delta':
        if (kind === 'reasoning' && typeof delta.thinking === 'string' && delta.thinking.length > 0) {
          out.push({ type: 'reasoning-delta', index, text: delta.thinking });
        }
        return;
      case 'signature_delta':
        if (kind === 'reasoning' && typeof delta.signature === 'string' && delta.signature.length > 0) {
          out.push({ type: 'reasoning-signature', index, signature: delta.signature });
        }
        return;
      default:
      // citations_delta and future deltas: no canonical counterpart.
    }
  };

  const blockStop = (index: number, out: StreamEvent[]) => {
    const kind = open.get(index);
    open.delete(index);
    if (kind === 'text') out.push({ type: 'text-end', index });
    else if (kind === 'reasoning') out.push({ type: 'reasoning-end', index });
    else if (kind === 'tool') out.push({ type: 'tool-call-end', index });
  };

  const closeAll = (out: StreamEvent[]) => {
    for (const index of [...open.keys()]) blockStop(index, out);
  };

  return {
    get finished() {
      return finished;
    },
    push(message, out) {
      let payload: Obj;
      try {
        payload = JSON.parse(message.data) as Obj;
      } catch {
        throw protocolError(`stream event is not JSON: ${message.data.slice(0, 200)}`);
      }
      if (typeof payload !== 'object' || payload === null) throw protocolError(`stream event is not a JSON object: ${message.data.slice(0, 200)}`);
      const type = typeof payload.type === 'string' ? payload.type : message.event;
      if (finished) return;
      switch (type) {
        case 'message_start': {
          const msg: Obj = typeof payload.message === 'object' && payload.message !== null ? payload.message : {};
          const id = String(msg.id ?? '');
          if (messageId !== undefined) {
            // The same message announced twice is harmless; a different one spliced into this
            // stream would mix two answers.
            if (id === messageId) return;
            throw protocolError(`a second message (${id}) started inside message ${messageId}`);
          }
          messageId = id;
          mergeUsage(msg.usage);
          out.push({ type: 'start', id, model: String(msg.model ?? ''), usage: canonicalUsage() });
          return;
        }
        case 'content_block_start':
          if (typeof payload.index !== 'number' || typeof payload.content_block !== 'object' || payload.content_block === null) {
            throw protocolError('content_block_start without index or content_block');
          }
          blockStart(payload.index, payload.content_block, out);
          return;
        case 'content_block_delta':
          if (typeof payload.index !== 'number' || typeof payload.delta !== 'object' || payload.delta === null) {
            throw protocolError('content_block_delta without index or delta');
          }
          blockDelta(payload.index, payload.delta, out);
          return;
        case 'content_block_stop':
          if (typeof payload.index === 'number') blockStop(payload.index, out);
          return;
        case 'message_delta': {
          mergeUsage(payload.usage);
          const delta: Obj = typeof payload.delta === 'object' && payload.delta !== null ? payload.delta : {};
          if (finishSent || delta.stop_reason === undefined || delta.stop_reason === null) {
            out.push({ type: 'usage', usage: canonicalUsage() });
            return;
          }
          closeAll(out);
          finishSent = true;
          const stopReason = String(delta.stop_reason);
          const finish: StreamEvent = {
            type: 'finish',
            finishReason: mapAnthropicFinishReason(stopReason),
            rawFinishReason: stopReason,
            usage: canonicalUsage(),
          };
          if (typeof delta.stop_sequence === 'string') finish.stopSequence = delta.stop_sequence;
          out.push(finish);
          return;
        }
        case 'message_stop':
          if (!finishSent) {
            closeAll(out);
            finishSent = true;
            out.push({ type: 'finish', finishReason: 'other', usage: canonicalUsage() });
          }
          finished = true;
          return;
        case 'error':
          out.push({ type: 'error', error: mapAnthropicStreamError(payload, provider) });
          finished = true;
          return;
        default:
        // ping and future event types.
      }
    },
  };
}
