/**
 * The AWS binary event stream (application/vnd.amazon.eventstream) as messages. Each frame starts
 * with its total length (4 bytes, big-endian); network chunks split frames anywhere, so bytes are
 * kept until a frame is complete, then decoded (CRCs checked) by @smithy/eventstream-codec.
 * Chunks are only copied together when a frame spans several of them.
 */
import { EventStreamCodec } from '@smithy/eventstream-codec';
import type { Message, MessageHeaders } from '@smithy/types';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

/** One decoded event-stream message, headers reduced to the strings Bedrock uses. */
export interface EventStreamMessage {
  /** `:message-type`: `event`, `exception` or `error`. */
  messageType: string;
  /** `:event-type` for events (e.g. `contentBlockDelta`). */
  eventType?: string;
  /** `:exception-type` for exceptions (e.g. `throttlingException`). */
  exceptionType?: string;
  /** `:error-code` / `:error-message` for `error` messages. */
  errorCode?: string;
  errorMessage?: string;
  /** The payload as UTF-8 text (JSON for Bedrock). */
  body: string;
}

/** Prelude (8) + prelude CRC (4) + message CRC (4). */
const MIN_FRAME = 16;
/** Bedrock frames are small; anything this large is a corrupt length prefix. */
const MAX_FRAME = 16 * 1024 * 1024;

export class EventStreamFrameError extends Error {}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

function headerString(headers: MessageHeaders, name: string): string | undefined {
  const h = headers[name];
  if (!h) return undefined;
  return typeof h.value === 'string' ? h.value : String(h.value);
}

/** Decodes one complete frame. Throws EventStreamFrameError on a bad checksum or layout. */
export function decodeEventStreamFrame(frame: Uint8Array): EventStreamMessage {
  let message: Message;
  try {
    message = codec.decode(frame);
  } catch (err) {
    throw new EventStreamFrameError(`undecodable event-stream frame: ${(err as Error).message}`);
  }
  const out: EventStreamMessage = {
    messageType: headerString(message.headers, ':message-type') ?? 'event',
    body: toUtf8(message.body),
  };
  const eventType = headerString(message.headers, ':event-type');
  if (eventType !== undefined) out.eventType = eventType;
  const exceptionType = headerString(message.headers, ':exception-type');
  if (exceptionType !== undefined) out.exceptionType = exceptionType;
  const errorCode = headerString(message.headers, ':error-code');
  if (errorCode !== undefined) out.errorCode = errorCode;
  const errorMessage = headerString(message.headers, ':error-message');
  if (errorMessage !== undefined) out.errorMessage = errorMessage;
  return out;
}

/** Encodes one message as a frame (for the mock upstream and tests). */
export function encodeEventStreamFrame(headers: Record<string, string>, body: string): Uint8Array {
  const h: MessageHeaders = {};
  for (const [k, v] of Object.entries(headers)) h[k] = { type: 'string', value: v };
  return codec.encode({ headers: h, body: fromUtf8(body) });
}

/** A Bedrock event frame: `:event-type` + JSON payload. */
export function encodeBedrockEvent(eventType: string, payload: unknown): Uint8Array {
  return encodeEventStreamFrame({ ':message-type': 'event', ':event-type': eventType, ':content-type': 'application/json' }, JSON.stringify(payload));
}

/** A Bedrock exception frame, e.g. `throttlingException` with `{message}`. */
export function encodeBedrockException(exceptionType: string, message: string): Uint8Array {
  return encodeEventStreamFrame(
    { ':message-type': 'exception', ':exception-type': exceptionType, ':content-type': 'application/json' },
    JSON.stringify({ message }),
  );
}

/**
 * Splits a byte stream into complete frames. `push` hands each complete frame to `onFrame`, in
 * order; a partial frame waits for more bytes. `pending` tells whether bytes of an unfinished
 * frame are held (a stream that ends then was truncated).
 */
export class EventStreamFramer {
  private chunks: Buffer[] = [];
  private total = 0;
  /** Length of the frame being assembled, once its prelude is in. */
  private need = -1;

  get pending(): boolean {
    return this.total > 0;
  }

  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
    for (;;) {
      if (this.need < 0) {
        if (this.total < 4) return;
        const head = this.chunks[0]!.length >= 4 ? this.chunks[0]! : this.merge();
        const length = head.readUInt32BE(0);
        if (length < MIN_FRAME || length > MAX_FRAME) throw new EventStreamFrameError(`event-stream frame length ${length} is out of range`);
        this.need = length;
      }
      if (this.total < this.need) return;
      const data = this.chunks.length === 1 ? this.chunks[0]! : this.merge();
      const frame = data.subarray(0, this.need);
      const rest = data.subarray(this.need);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.total = rest.length;
      this.need = -1;
      onFrame(frame);
    }
  }

  private merge(): Buffer {
    const merged = Buffer.concat(this.chunks, this.total);
    this.chunks = [merged];
    return merged;
  }
}
