/**
 * Canonical stream events → the Responses API's typed SSE events, in the order the openai SDK's
 * ResponseStream, the Agents SDK and the Vercel AI SDK read them: response.created,
 * response.in_progress, then per output item output_item.added → (content_part.added →
 * output_text.delta… → output_text.done → content_part.done | function_call_arguments.delta… →
 * function_call_arguments.done | reasoning_summary_part.added → reasoning_summary_text.delta… →
 * …done) → output_item.done, and last response.completed (or response.incomplete when the output
 * limit cut it). Every event carries a sequence_number from 0. A failure after the commit point
 * ends the stream with response.failed carrying the error, never a bare error envelope.
 */
import type { GatewayError } from '../../core/errors.js';
import type { ReasoningPart } from '../../core/request.js';
import type { FinishReason, Usage } from '../../core/response.js';
import type { StreamEvent } from '../../core/stream-event.js';
import type { FormatContext, StreamEncoder } from '../client-dialect.js';
import type { ConversationInfo } from './responses-object.js';
import {
  functionCallItem,
  messageItem,
  newResponsesId,
  outputTextPart,
  reasoningItem,
  responseEnvelope,
  responseIdFor,
  statusFor,
  wantsSummary,
} from './responses-object.js';

type Block =
  | { kind: 'text'; outputIndex: number; itemId: string; text: string }
  | { kind: 'reasoning'; outputIndex: number; itemId: string; part: ReasoningPart; summaryOpen: boolean }
  | { kind: 'tool'; outputIndex: number; itemId: string; callId: string; name: string; args: string };

export function createOpenAIResponsesStreamEncoder(ctx: FormatContext, conversation: ConversationInfo = {}): StreamEncoder {
  const showSummary = wantsSummary(ctx.request);
  let seq = 0;
  let started = false;
  let id = '';
  let model = ctx.requestModel;
  let createdAt = Math.floor(Date.now() / 1000);
  const output: Record<string, unknown>[] = [];
  const blocks = new Map<number, Block>();
  const usage: Partial<Usage> = {};
  let finishReason: FinishReason | undefined;

  const frame = (type: string, fields: Record<string, unknown>): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...fields })}\n\n`;

  const envelope = (status: 'in_progress' | 'completed' | 'incomplete' | 'failed', extra: { error?: GatewayError; incompleteDetails?: { reason: string } | null } = {}) =>
    responseEnvelope({
      request: ctx.request,
      conversation,
      id,
      model,
      createdAt,
      status,
      output: status === 'in_progress' ? [] : output,
      usage: status === 'in_progress' ? undefined : usage,
      ...extra,
    });

  const ensureStarted = (): string => {
    if (started) return '';
    started = true;
    if (!id) id = responseIdFor('');
    return frame('response.created', { response: envelope('in_progress') }) + frame('response.in_progress', { response: envelope('in_progress') });
  };

  const openText = (index: number): string => {
    const block: Block = { kind: 'text', outputIndex: output.length, itemId: newResponsesId('msg'), text: '' };
    blocks.set(index, block);
    const item = messageItem(block.itemId, 'in_progress', []);
    output.push(item);
    return (
      frame('response.output_item.added', { output_index: block.outputIndex, item }) +
      frame('response.content_part.added', { item_id: block.itemId, output_index: block.outputIndex, content_index: 0, part: outputTextPart('') })
    );
  };

  const openReasoning = (index: number, part: ReasoningPart): string => {
    const block: Block = { kind: 'reasoning', outputIndex: output.length, itemId: newResponsesId('rs'), part, summaryOpen: false };
    blocks.set(index, block);
    const item = { id: block.itemId, type: 'reasoning', summary: [] };
    output.push(item);
    return frame('response.output_item.added', { output_index: block.outputIndex, item });
  };

  const close = (index: number): string => {
    const b = blocks.get(index);
    if (!b) return '';
    blocks.delete(index);
    const at = { item_id: b.itemId, output_index: b.outputIndex };
    if (b.kind === 'text') {
      const item = messageItem(b.itemId, 'completed', [b.text]);
      output[b.outputIndex] = item;
      return (
        frame('response.output_text.done', { ...at, content_index: 0, text: b.text, logprobs: [] }) +
        frame('response.content_part.done', { ...at, content_index: 0, part: outputTextPart(b.text) }) +
        frame('response.output_item.done', { output_index: b.outputIndex, item })
      );
    }
    if (b.kind === 'tool') {
      const item = functionCallItem(b.itemId, 'completed', { id: b.callId, name: b.name, arguments: b.args });
      output[b.outputIndex] = item;
      return (
        frame('response.function_call_arguments.done', { ...at, name: b.name, arguments: b.args }) +
        frame('response.output_item.done', { output_index: b.outputIndex, item })
      );
    }
    const item = reasoningItem(b.itemId, b.part, showSummary);
    item.id = b.itemId;
    output[b.outputIndex] = item;
    let out = '';
    if (b.summaryOpen) {
      const part = { type: 'summary_text', text: b.part.text };
      out += frame('response.reasoning_summary_text.done', { ...at, summary_index: 0, text: b.part.text });
      out += frame('response.reasoning_summary_part.done', { ...at, summary_index: 0, part });
    }
    return out + frame('response.output_item.done', { output_index: b.outputIndex, item });
  };

  const closeAll = (): string => {
    let out = '';
    for (const index of [...blocks.keys()].sort((a, b) => blocks.get(a)!.outputIndex - blocks.get(b)!.outputIndex)) out += close(index);
    return out;
  };

  return {
    encode(e: StreamEvent): string {
      switch (e.type) {
        case 'start':
          if (!started) {
            id = responseIdFor(e.id);
            if (e.model) model = e.model;
            if (e.created) createdAt = e.created;
          }
          if (e.usage) Object.assign(usage, e.usage);
          return ensureStarted();
        case 'text-start':
          return ensureStarted() + (blocks.has(e.index) ? '' : openText(e.index));
        case 'text-delta': {
          let out = ensureStarted();
          let b = blocks.get(e.index);
          if (!b) {
            out += openText(e.index);
            b = blocks.get(e.index)!;
          }
          if (b.kind !== 'text' || !e.text) return out;
          b.text += e.text;
          return out + frame('response.output_text.delta', { item_id: b.itemId, output_index: b.outputIndex, content_index: 0, delta: e.text, logprobs: [] });
        }
        case 'reasoning-start': {
          const part: ReasoningPart = { type: 'reasoning', text: '' };
          if (e.redactedData !== undefined) part.redactedData = e.redactedData;
          if (e.providerMetadata) part.providerMetadata = e.providerMetadata;
          return ensureStarted() + (blocks.has(e.index) ? '' : openReasoning(e.index, part));
        }
        case 'reasoning-delta': {
          let out = ensureStarted();
          let b = blocks.get(e.index);
          if (!b) {
            out += openReasoning(e.index, { type: 'reasoning', text: '' });
            b = blocks.get(e.index)!;
          }
          if (b.kind !== 'reasoning' || !e.text) return out;
          b.part.text += e.text;
          if (!showSummary) return out;
          const at = { item_id: b.itemId, output_index: b.outputIndex, summary_index: 0 };
          if (!b.summaryOpen) {
            b.summaryOpen = true;
            out += frame('response.reasoning_summary_part.added', { ...at, part: { type: 'summary_text', text: '' } });
          }
          return out + frame('response.reasoning_summary_text.delta', { ...at, delta: e.text });
        }
        case 'reasoning-signature': {
          const b = blocks.get(e.index);
          if (b?.kind === 'reasoning') b.part.signature = (b.part.signature ?? '') + e.signature;
          return '';
        }
        case 'tool-call-start': {
          const out = ensureStarted();
          if (blocks.has(e.index)) return out;
          const b: Block = { kind: 'tool', outputIndex: output.length, itemId: newResponsesId('fc'), callId: e.id, name: e.name, args: '' };
          blocks.set(e.index, b);
          const item = functionCallItem(b.itemId, 'in_progress', { id: e.id, name: e.name, arguments: '' });
          output.push(item);
          return out + frame('response.output_item.added', { output_index: b.outputIndex, item });
        }
        case 'tool-call-delta': {
          const b = blocks.get(e.index);
          if (b?.kind !== 'tool' || !e.argumentsDelta) return '';
          b.args += e.argumentsDelta;
          return frame('response.function_call_arguments.delta', { item_id: b.itemId, output_index: b.outputIndex, delta: e.argumentsDelta });
        }
        case 'text-end':
        case 'reasoning-end':
        case 'tool-call-end':
          return close(e.index);
        case 'usage':
          Object.assign(usage, e.usage);
          return '';
        case 'finish':
          finishReason = e.finishReason;
          if (e.usage) Object.assign(usage, e.usage);
          return ensureStarted() + closeAll();
        default:
          return '';
      }
    },
    encodeError(err: GatewayError): string {
      return ensureStarted() + frame('response.failed', { response: envelope('failed', { error: err }) });
    },
    end(): string {
      let out = ensureStarted() + closeAll();
      const { status, incomplete_details } = statusFor(finishReason);
      out += frame(status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: envelope(status, { incompleteDetails: incomplete_details }) });
      return out;
    },
  };
}
