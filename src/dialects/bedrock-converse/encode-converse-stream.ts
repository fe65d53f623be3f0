/**
 * Canonical stream events → a ConverseStream answer: binary `application/vnd.amazon.eventstream`
 * frames (encoded with @smithy/eventstream-codec), each an event named in `:event-type` with a JSON
 * payload: messageStart, then per content block contentBlockStart (tool use only) /
 * contentBlockDelta / contentBlockStop with consecutive `contentBlockIndex` values, messageStop
 * with the stop reason, and metadata with usage (written at the end: an OpenAI upstream sends its
 * usage after the finish). An error after the commit point is an `exception` frame
 * (`:exception-type` internalServerException, throttlingException, …), which the AWS SDK raises as
 * its typed exception.
 */
import type { EventStreamCodec } from '@smithy/eventstream-codec';
import type { MessageHeaders } from '@smithy/types';
import type { GatewayError } from '../../core/errors.js';
import type { FinishReason, Usage } from '../../core/response.js';
import type { StreamEvent } from '../../core/stream-event.js';
import type { FormatContext, StreamEncoder } from '../client-dialect.js';
import { converseStopReason, converseUsage } from './format-converse-response.js';

let codec: EventStreamCodec | undefined;

/**
 * Loads the event-stream codec (the AWS packages stay out of a gateway that never answers a
 * Bedrock client). The server awaits it before a Converse call; encoding needs it loaded.
 */
export async function loadConverseCodec(): Promise<void> {
  if (codec) return;
  const [{ EventStreamCodec: Codec }, { fromUtf8, toUtf8 }] = await Promise.all([import('@smithy/eventstream-codec'), import('@smithy/util-utf8')]);
  codec ??= new Codec(toUtf8, fromUtf8);
}

function frame(headers: Record<string, string>, payload: unknown): Uint8Array {
  if (!codec) throw new Error('loadConverseCodec() must be awaited before a ConverseStream answer is encoded');
  const h: MessageHeaders = {};
  for (const [k, v] of Object.entries(headers)) h[k] = { type: 'string', value: v };
  return codec.encode({ headers: h, body: Buffer.from(JSON.stringify(payload), 'utf8') });
}

export function converseEvent(eventType: string, payload: unknown): Uint8Array {
  return frame({ ':message-type': 'event', ':event-type': eventType, ':content-type': 'application/json' }, payload);
}

/** Stream exception names (the union members of ConverseStreamOutput). */
export function converseStreamExceptionType(err: GatewayError): string {
  switch (err.kind) {
    case 'rate_limit':
      return 'throttlingException';
    case 'overloaded':
      return 'serviceUnavailableException';
    case 'invalid_request':
    case 'request_too_large':
      return 'validationException';
    default:
      return err.code === 'GW_ERR_STREAM_INTERRUPTED' ? 'modelStreamErrorException' : 'internalServerException';
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  return Buffer.concat(parts);
}

const EMPTY = new Uint8Array(0);

export function createConverseStreamEncoder(_ctx: FormatContext): StreamEncoder<Uint8Array> {
  const t0 = Date.now();
  let started = false;
  let stopped = false;
  let nextIndex = 0;
  /** Canonical block index → Converse contentBlockIndex, for open blocks. */
  const open = new Map<number, number>();
  const usage: Partial<Usage> = {};
  let finish: FinishReason | undefined;

  const start = (out: Uint8Array[]) => {
    if (started) return;
    started = true;
    out.push(converseEvent('messageStart', { role: 'assistant' }));
  };
  const indexOf = (index: number): number => {
    let n = open.get(index);
    if (n === undefined) {
      n = nextIndex++;
      open.set(index, n);
    }
    return n;
  };
  const stop = (index: number, out: Uint8Array[]) => {
    const n = open.get(index);
    if (n === undefined) return;
    open.delete(index);
    out.push(converseEvent('contentBlockStop', { contentBlockIndex: n }));
  };

  return {
    encode(e: StreamEvent): Uint8Array {
      const out: Uint8Array[] = [];
      switch (e.type) {
        case 'start':
          if (e.usage) Object.assign(usage, e.usage);
          start(out);
          break;
        case 'text-delta':
          start(out);
          if (e.text.length > 0) out.push(converseEvent('contentBlockDelta', { contentBlockIndex: indexOf(e.index), delta: { text: e.text } }));
          break;
        case 'reasoning-delta':
          start(out);
          if (e.text.length > 0) out.push(converseEvent('contentBlockDelta', { contentBlockIndex: indexOf(e.index), delta: { reasoningContent: { text: e.text } } }));
          break;
        case 'reasoning-signature':
          start(out);
          out.push(converseEvent('contentBlockDelta', { contentBlockIndex: indexOf(e.index), delta: { reasoningContent: { signature: e.signature } } }));
          break;
        case 'reasoning-start':
          if (e.redactedData !== undefined) {
            start(out);
            out.push(converseEvent('contentBlockDelta', { contentBlockIndex: indexOf(e.index), delta: { reasoningContent: { redactedContent: e.redactedData } } }));
          }
          break;
        case 'tool-call-start':
          start(out);
          out.push(converseEvent('contentBlockStart', { contentBlockIndex: indexOf(e.index), start: { toolUse: { toolUseId: e.id, name: e.name } } }));
          break;
        case 'tool-call-delta':
          if (e.argumentsDelta.length > 0 && open.has(e.index)) {
            out.push(converseEvent('contentBlockDelta', { contentBlockIndex: open.get(e.index)!, delta: { toolUse: { input: e.argumentsDelta } } }));
          }
          break;
        case 'text-end':
        case 'reasoning-end':
        case 'tool-call-end':
          stop(e.index, out);
          break;
        case 'usage':
          Object.assign(usage, e.usage);
          break;
        case 'finish':
          if (e.usage) Object.assign(usage, e.usage);
          start(out);
          for (const index of [...open.keys()]) stop(index, out);
          finish = e.finishReason;
          stopped = true;
          out.push(converseEvent('messageStop', { stopReason: converseStopReason(e.finishReason) }));
          break;
        default:
          break;
      }
      return out.length === 0 ? EMPTY : concat(out);
    },
    encodeError(err: GatewayError): Uint8Array {
      return frame({ ':message-type': 'exception', ':exception-type': converseStreamExceptionType(err), ':content-type': 'application/json' }, { message: err.message });
    },
    end(): Uint8Array {
      const out: Uint8Array[] = [];
      if (!stopped) {
        start(out);
        for (const index of [...open.keys()]) stop(index, out);
        out.push(converseEvent('messageStop', { stopReason: converseStopReason(finish ?? 'stop') }));
      }
      out.push(converseEvent('metadata', { usage: converseUsage(usage), metrics: { latencyMs: Date.now() - t0 } }));
      return concat(out);
    },
  };
}
