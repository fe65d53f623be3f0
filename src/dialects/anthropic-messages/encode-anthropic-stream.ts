/**
 * Canonical stream events → Anthropic Messages SSE (`event: <type>\ndata: <json>\n\n`), in the
 * order Anthropic's SDKs accumulate: message_start, then content blocks one after another
 * (content_block_start / _delta / _stop, indexes 0, 1, 2, …), then message_delta and message_stop.
 *
 * Canonical block indexes are unique but need not be consecutive (an OpenAI upstream numbers its
 * blocks by kind), so Anthropic indexes are assigned in order of first appearance. Blocks are
 * emitted one at a time, as Anthropic does: a block that starts closes the open ones. A text or
 * thinking delta for a block closed that way opens a fresh block of the same kind; a late tool-input
 * delta keeps its block's index (SDKs accumulate by index, and a tool call cannot be split).
 *
 * message_delta needs the final usage. It is written at `finish` when usage is known by then;
 * otherwise (OpenAI sends its usage chunk after the finish chunk) at the next `usage` event, or at
 * the latest from `end()`.
 */
import type { GatewayError } from '../../core/errors.js';
import type { Usage } from '../../core/response.js';
import type { StreamEvent } from '../../core/stream-event.js';
import type { FormatContext, StreamEncoder } from '../client-dialect.js';
import { formatAnthropicError } from './format-anthropic-error.js';
import { anthropicMessageId } from './format-anthropic-response.js';
import { formatAnthropicStopReason } from './format-anthropic-stop-reason.js';
import { formatAnthropicUsage } from './format-anthropic-usage.js';

type BlockKind = 'text' | 'thinking' | 'redacted_thinking' | 'tool_use';

interface Block {
  /** The Anthropic index currently carrying this canonical block. */
  index: number;
  kind: BlockKind;
  open: boolean;
}

export function sseEvent(type: string, payload: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify(payload)}\n\n`;
}

export function createAnthropicStreamEncoder(ctx: FormatContext): StreamEncoder<string> {
  let id = '';
  let model = ctx.requestModel;
  let started = false;
  let stopped = false;
  let nextIndex = 0;
  const blocks = new Map<number, Block>();
  const usage: Partial<Usage> = {};
  /** Whether usage arrived after the start (then message_delta at `finish` need not wait for more). */
  let usageSeen = false;
  let pendingFinish: Extract<StreamEvent, { type: 'finish' }> | undefined;

  const messageStart = (): string => {
    if (started) return '';
    started = true;
    return sseEvent('message_start', {
      type: 'message_start',
      message: {
        id: anthropicMessageId(id),
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: formatAnthropicUsage(usage),
      },
    });
  };

  const stopBlock = (b: Block): string => {
    if (!b.open) return '';
    b.open = false;
    return sseEvent('content_block_stop', { type: 'content_block_stop', index: b.index });
  };

  const closeOpen = (): string => {
    let s = '';
    for (const b of blocks.values()) s += stopBlock(b);
    return s;
  };

  /** Opens a new Anthropic block for canonical `key` (closing any open one). */
  const openBlock = (key: number, kind: BlockKind, contentBlock: Record<string, unknown>): string => {
    let s = messageStart() + closeOpen();
    const b: Block = { index: nextIndex++, kind, open: true };
    blocks.set(key, b);
    s += sseEvent('content_block_start', { type: 'content_block_start', index: b.index, content_block: contentBlock });
    return s;
  };

  /** The content_block of a block started without its own *-start event. */
  const emptyBlock = (kind: BlockKind, key: number): Record<string, unknown> => {
    switch (kind) {
      case 'text':
        return { type: 'text', text: '' };
      case 'thinking':
        return { type: 'thinking', thinking: '', signature: '' };
      case 'redacted_thinking':
        return { type: 'redacted_thinking', data: '' };
      case 'tool_use':
        return { type: 'tool_use', id: `toolu_gw_${key}`, name: '', input: {} };
    }
  };

  /**
   * The block a delta goes to: its own while open; once closed, its own still when `keepIndex`
   * (tool input, signatures: they cannot move to another block), else a fresh one of the same kind.
   */
  const blockForDelta = (key: number, kind: BlockKind, keepIndex = false): { prefix: string; block: Block } => {
    const b = blocks.get(key);
    if (b && (b.open || keepIndex || b.kind === 'tool_use')) return { prefix: '', block: b };
    const k = b?.kind ?? kind;
    const prefix = openBlock(key, k, emptyBlock(k, key));
    return { prefix, block: blocks.get(key) as Block };
  };

  const encodeError = (err: GatewayError): string => {
    stopped = true;
    return sseEvent('error', { ...formatAnthropicError(err) });
  };

  const delta = (block: Block, d: Record<string, unknown>): string =>
    sseEvent('content_block_delta', { type: 'content_block_delta', index: block.index, delta: d });

  const writeFinish = (): string => {
    const f = pendingFinish;
    if (!f || stopped) return '';
    pendingFinish = undefined;
    stopped = true;
    const u = formatAnthropicUsage(usage);
    const deltaUsage: Record<string, number> = { output_tokens: u.output_tokens };
    if (usage.inputTokens !== undefined) {
      deltaUsage.input_tokens = u.input_tokens;
      deltaUsage.cache_creation_input_tokens = u.cache_creation_input_tokens;
      deltaUsage.cache_read_input_tokens = u.cache_read_input_tokens;
    }
    return (
      sseEvent('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: formatAnthropicStopReason(f.finishReason, f.rawFinishReason), stop_sequence: f.stopSequence ?? null },
        usage: deltaUsage,
      }) + sseEvent('message_stop', { type: 'message_stop' })
    );
  };

  return {
    encode(e: StreamEvent): string {
      if (stopped) return '';
      if (pendingFinish) {
        // After finish only usage can still matter.
        if (e.type === 'usage') {
          Object.assign(usage, e.usage);
          return writeFinish();
        }
        return '';
      }
      switch (e.type) {
        case 'start':
          if (started) return '';
          id = e.id;
          if (e.model) model = e.model;
          if (e.usage) Object.assign(usage, e.usage);
          return messageStart();
        case 'text-start':
          return blocks.has(e.index) ? '' : openBlock(e.index, 'text', emptyBlock('text', e.index));
        case 'text-delta': {
          const { prefix, block } = blockForDelta(e.index, 'text');
          return prefix + (block.kind === 'text' ? delta(block, { type: 'text_delta', text: e.text }) : '');
        }
        case 'text-end':
        case 'reasoning-end':
        case 'tool-call-end': {
          const b = blocks.get(e.index);
          return b ? stopBlock(b) : '';
        }
        case 'reasoning-start':
          if (blocks.has(e.index)) return '';
          return e.redactedData !== undefined
            ? openBlock(e.index, 'redacted_thinking', { type: 'redacted_thinking', data: e.redactedData })
            : openBlock(e.index, 'thinking', emptyBlock('thinking', e.index));
        case 'reasoning-delta': {
          const { prefix, block } = blockForDelta(e.index, 'thinking');
          return prefix + (block.kind === 'thinking' ? delta(block, { type: 'thinking_delta', thinking: e.text }) : '');
        }
        case 'reasoning-signature': {
          const { prefix, block } = blockForDelta(e.index, 'thinking', true);
          return prefix + (block.kind === 'thinking' ? delta(block, { type: 'signature_delta', signature: e.signature }) : '');
        }
        case 'tool-call-start':
          if (blocks.has(e.index)) return '';
          return openBlock(e.index, 'tool_use', { type: 'tool_use', id: e.id, name: e.name, input: {} });
        case 'tool-call-delta': {
          const { prefix, block } = blockForDelta(e.index, 'tool_use');
          return prefix + (block.kind === 'tool_use' ? delta(block, { type: 'input_json_delta', partial_json: e.argumentsDelta }) : '');
        }
        case 'usage':
          Object.assign(usage, e.usage);
          usageSeen = true;
          return '';
        case 'finish': {
          let s = messageStart() + closeOpen();
          if (e.usage) {
            Object.assign(usage, e.usage);
            usageSeen = true;
          }
          pendingFinish = e;
          if (usageSeen) s += writeFinish();
          return s;
        }
        case 'error':
          return encodeError(e.error);
      }
    },
    encodeError,
    end(): string {
      return writeFinish();
    },
  };
}
