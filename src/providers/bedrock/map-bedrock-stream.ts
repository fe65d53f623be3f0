/**
 * ConverseStream messages → canonical stream events. Bedrock's contentBlockIndex is the canonical
 * block index. Blocks are closed when another one starts (Bedrock does not always send
 * contentBlockStop), so every client dialect sees blocks one after another.
 *
 * `messageStop` (stop reason) and `metadata` (usage) come in either order; the finish event waits
 * for both, or is sent from `flush` when the stream ends without metadata. Exception frames become
 * an `error` event (before the commit point routing may still fall back).
 */
import { GatewayError } from '../../core/errors.js';
import type { FinishReason, Usage } from '../../core/response.js';
import type { StreamEvent } from '../../core/stream-event.js';
import type { EventStreamMessage } from './event-stream-decoder.js';
import type { EventStreamMapper } from './event-stream-upstream.js';
import { mapBedrockStreamException } from './map-bedrock-error.js';
import { bedrockStopSequence, mapBedrockFinishReason, mapBedrockUsage } from './map-bedrock-usage.js';

export interface BedrockStreamMapperOptions {
  provider: string;
  /** The upstream model id, reported as the answering model (Bedrock streams do not name it). */
  model: string;
  /** x-amzn-requestid, used for the message id. */
  requestId?: string;
}

type Obj = Record<string, any>;
type Kind = 'text' | 'reasoning' | 'tool';

interface PendingFinish {
  finishReason: FinishReason;
  raw: string;
  stopSequence?: string;
}

export function createBedrockStreamMapper(options: BedrockStreamMapperOptions): EventStreamMapper {
  const { provider } = options;
  let started = false;
  let finished = false;
  let finishSent = false;
  let pending: PendingFinish | undefined;
  let usage: Usage | undefined;
  /** Open block (canonical index) and its kind. */
  let open = -1;
  let openKind: Kind | undefined;
  /** Blocks already closed: a late delta for one of them is dropped rather than reopening it. */
  const closed = new Set<number>();

  const protocolError = (what: string) => new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: ${what}`, { provider });

  const ensureStarted = (out: StreamEvent[]) => {
    if (started) return;
    started = true;
    out.push({ type: 'start', id: options.requestId ? `msg_bedrock_${options.requestId}` : `msg_bedrock_${Date.now().toString(36)}`, model: options.model });
  };

  const close = (out: StreamEvent[]) => {
    if (open < 0) return;
    if (openKind === 'text') out.push({ type: 'text-end', index: open });
    else if (openKind === 'reasoning') out.push({ type: 'reasoning-end', index: open });
    else out.push({ type: 'tool-call-end', index: open });
    closed.add(open);
    open = -1;
    openKind = undefined;
  };

  /** Makes `index` the open block of `kind`; false when that block was already closed or is another kind. */
  const use = (index: number, kind: Kind, out: StreamEvent[], redactedData?: string): boolean => {
    if (open === index) return openKind === kind;
    if (closed.has(index)) return false;
    close(out);
    open = index;
    openKind = kind;
    if (kind === 'text') out.push({ type: 'text-start', index });
    else if (kind === 'reasoning') out.push(redactedData !== undefined ? { type: 'reasoning-start', index, redactedData } : { type: 'reasoning-start', index });
    return true;
  };

  const sendFinish = (out: StreamEvent[]) => {
    if (!pending || finishSent) return;
    finishSent = true;
    const finish: StreamEvent = { type: 'finish', finishReason: pending.finishReason, rawFinishReason: pending.raw };
    if (pending.stopSequence !== undefined) finish.stopSequence = pending.stopSequence;
    if (usage) finish.usage = usage;
    out.push(finish);
  };

  const onEvent = (type: string, p: Obj, out: StreamEvent[]) => {
    switch (type) {
      case 'messageStart':
        ensureStarted(out);
        return;
      case 'contentBlockStart': {
        ensureStarted(out);
        const index = Number(p.contentBlockIndex ?? 0);
        const start: Obj = typeof p.start === 'object' && p.start !== null ? p.start : {};
        if (typeof start.toolUse === 'object' && start.toolUse !== null) {
          if (closed.has(index) || open === index) return;
          close(out);
          open = index;
          openKind = 'tool';
          out.push({ type: 'tool-call-start', index, id: String(start.toolUse.toolUseId ?? `tooluse_${index}`), name: String(start.toolUse.name ?? '') });
        }
        // An empty start (a text block follows) or a server-side block: nothing until its deltas.
        return;
      }
      case 'contentBlockDelta': {
        ensureStarted(out);
        const index = Number(p.contentBlockIndex ?? 0);
        const delta: Obj = typeof p.delta === 'object' && p.delta !== null ? p.delta : {};
        if (typeof delta.text === 'string') {
          if (delta.text.length > 0 && use(index, 'text', out)) out.push({ type: 'text-delta', index, text: delta.text });
          return;
        }
        if (typeof delta.toolUse === 'object' && delta.toolUse !== null) {
          const input = delta.toolUse.input;
          if (open === index && openKind === 'tool' && typeof input === 'string' && input.length > 0) {
            out.push({ type: 'tool-call-delta', index, argumentsDelta: input });
          }
          return;
        }
        if (typeof delta.reasoningContent === 'object' && delta.reasoningContent !== null) {
          const r = delta.reasoningContent;
          if (typeof r.redactedContent === 'string') {
            use(index, 'reasoning', out, r.redactedContent);
            return;
          }
          if (typeof r.text === 'string' && r.text.length > 0) {
            if (use(index, 'reasoning', out)) out.push({ type: 'reasoning-delta', index, text: r.text });
          } else if (typeof r.signature === 'string' && r.signature.length > 0) {
            if (open === index && openKind === 'reasoning') out.push({ type: 'reasoning-signature', index, signature: r.signature });
          }
          return;
        }
        // citation and future deltas: no canonical counterpart.
        return;
      }
      case 'contentBlockStop': {
        const index = Number(p.contentBlockIndex ?? 0);
        if (open === index) close(out);
        else closed.add(index);
        return;
      }
      case 'messageStop': {
        ensureStarted(out);
        close(out);
        const raw = typeof p.stopReason === 'string' ? p.stopReason : 'end_turn';
        pending = { finishReason: mapBedrockFinishReason(raw), raw };
        const stopSequence = bedrockStopSequence(p.additionalModelResponseFields);
        if (stopSequence !== undefined) pending.stopSequence = stopSequence;
        finished = true;
        if (usage) sendFinish(out);
        return;
      }
      case 'metadata':
        usage = mapBedrockUsage(p.usage);
        if (pending) sendFinish(out);
        return;
      default:
      // Future event types.
    }
  };

  return {
    get finished() {
      return finished;
    },
    push(message: EventStreamMessage, out: StreamEvent[]) {
      if (finishSent && finished) {
        // Only late metadata could matter, and the finish already went out with what was known.
        return;
      }
      if (message.messageType === 'exception') {
        out.push({ type: 'error', error: mapBedrockStreamException({ type: message.exceptionType, body: message.body, provider }) });
        finished = true;
        return;
      }
      if (message.messageType === 'error') {
        const body = JSON.stringify({ message: message.errorMessage ?? message.body });
        out.push({ type: 'error', error: mapBedrockStreamException({ type: message.errorCode, body, provider }) });
        finished = true;
        return;
      }
      let payload: unknown;
      try {
        payload = message.body.length > 0 ? JSON.parse(message.body) : {};
      } catch {
        throw protocolError(`stream event is not JSON: ${message.body.slice(0, 200)}`);
      }
      if (typeof payload !== 'object' || payload === null) throw protocolError(`stream event is not a JSON object: ${message.body.slice(0, 200)}`);
      onEvent(message.eventType ?? '', payload as Obj, out);
    },
    flush(out: StreamEvent[]) {
      if (!finishSent) sendFinish(out);
    },
  };
}
