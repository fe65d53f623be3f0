/**
 * An upstream SSE body as an UpstreamStream: bytes → eventsource-parser → the provider's
 * StreamMapper → canonical frames, with the upstream's own bytes for same-dialect clients.
 *
 * Passthrough without re-encoding: each network chunk is cut at its last message boundary (a blank
 * line, `\n\n` or `\r\n\r\n`), the complete part is parsed, and when every message in it is to be
 * forwarded unchanged, that exact byte range travels on the last frame it produced. The client is
 * then written the bytes the upstream sent, never a string rebuilt from parsed fields (that rebuild
 * and its UTF-8 encoding cost more than the parsing did). eventsource-parser still does all the
 * parsing; it works on text and has no byte offsets, which is why the cutting happens here. A part
 * with a hidden or rewritten message falls back to writing each forwarded message as text, and so
 * does a stream whose lines end in a lone CR (no boundary can be found in its bytes).
 *
 * Lenient upstreams: some OpenAI-compatible servers answer `stream: true` with one complete JSON
 * body. A body whose first byte is `{` or `[` cannot be SSE (an SSE line starts with a field name, a colon
 * or a blank), so it is read whole and, when the provider can (`jsonAnswer`), rewritten into the
 * provider's own stream and mapped like one: a JSON answer is a complete answer. A body that ends
 * before the provider's final event is GW_ERR_UPSTREAM_INCOMPLETE (retryable before commit).
 */
import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import type { EventSourceMessage } from 'eventsource-parser';
import type { DialectId } from '../../core/dialect.js';
import { GatewayError } from '../../core/errors.js';
import type { StreamEvent } from '../../core/stream-event.js';
import type { StreamFrame, Timeouts, UpstreamStream } from '../provider-adapter.js';
import { createBodyStream } from './body-stream.js';
import type { DecoderOutput } from './body-stream.js';
import type { UpstreamResponse } from './upstream-client.js';
import type { Logger } from '../../observability/logger.js';

/** Maps one provider's stream messages to canonical events; holds the per-stream state. */
export interface StreamMapper {
  /**
   * One upstream message → events appended to `out`. May push an `error` event. Returns false to
   * keep this message's raw payload from same-dialect clients (something the gateway asked for on
   * its own, like a usage chunk the client did not request). May rewrite `message.data` (a quirk
   * fixed for same-dialect clients); the rewritten text is then what they get.
   */
  push(message: { event?: string; data: string }, out: StreamEvent[]): boolean | void;
  /** True once the upstream signalled a complete response (finish seen / terminal event). */
  readonly finished: boolean;
}

export interface SseStreamOptions {
  body: UpstreamResponse['body'];
  mapper: StreamMapper;
  provider: string;
  signal: AbortSignal;
  timeouts: Timeouts;
  /** When set, frames carry the upstream's bytes for clients that speak this dialect. */
  rawDialect?: DialectId;
  /**
   * Rewrites a complete JSON answer (sent by an upstream that ignored `stream: true`) into the SSE
   * text the provider would have streamed; may throw a GatewayError. Without it, such a body is a
   * protocol error.
   */
  jsonAnswer?: (json: string) => string;
  /** Told (warn) when the upstream answered the stream request with JSON. */
  logger?: Pick<Logger, 'warn'>;
}

const LF_LF = Buffer.from('\n\n');
const CRLF_CRLF = Buffer.from('\r\n\r\n');

/** One parsed message of the current part: its frame, and whether its bytes may go out unchanged. */
interface Parsed {
  frame: StreamFrame;
  message: EventSourceMessage;
  forward: boolean;
  rewritten: boolean;
}

export function createSseUpstreamStream(options: SseStreamOptions): UpstreamStream {
  const { mapper, provider, rawDialect } = options;
  let parsed: Parsed[] = [];
  const parser = createParser({
    onEvent(message: EventSourceMessage) {
      const events: StreamEvent[] = [];
      const data = message.data;
      let forward: boolean | void;
      try {
        forward = mapper.push(message, events);
      } catch (err) {
        throw err instanceof GatewayError ? err : new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: unreadable stream event: ${(err as Error).message}`, { provider });
      }
      parsed.push({ frame: { events }, message, forward: forward !== false, rewritten: message.data !== data });
    },
  });

  /** Parses one piece of text and emits its frames; `bytes` is that text as the upstream sent it. */
  const parse = (text: string, bytes: Buffer | undefined, out: DecoderOutput) => {
    parsed = [];
    try {
      parser.feed(text);
    } finally {
      // A message that failed to map still lets the ones before it out, as they came.
      emit(parsed, bytes, out);
    }
  };
  const emit = (list: Parsed[], bytes: Buffer | undefined, out: DecoderOutput) => {
    if (list.length === 0) return;
    if (rawDialect) {
      if (bytes && list.every((p) => p.forward && !p.rewritten)) list[list.length - 1]!.frame.raw = { dialect: rawDialect, bytes };
      else for (const p of list) if (p.forward) p.frame.raw = { dialect: rawDialect, bytes: Buffer.from(sseText(p.message)) };
    }
    for (const p of list) out.emit(p.frame);
  };

  // Bytes after the last boundary seen, waiting for the rest of their message.
  let held: Buffer[] = [];
  // Set when the stream turns out to have no findable boundaries: plain text parsing from then on.
  let text: StringDecoder | undefined = rawDialect ? undefined : new StringDecoder('utf8');
  // Whether the body's first non-blank byte has been seen, and whether it opened a JSON body.
  let sniffed = false;
  let json: Buffer[] | undefined;

  return createBodyStream({
    ...options,
    decoder: {
      data(chunk, out) {
        if (json) {
          json.push(chunk);
          return;
        }
        if (!sniffed) {
          const first = firstNonBlank(chunk);
          if (first < 0) {
            held.push(chunk);
            return;
          }
          sniffed = true;
          if (chunk[first] === 0x7b || chunk[first] === 0x5b) {
            json = [...held, chunk];
            held = [];
            return;
          }
          if (held.length > 0) {
            chunk = Buffer.concat([...held, chunk]);
            held = [];
          }
        }
        if (text) return parse(text.write(chunk), undefined, out);
        let end = lastBoundaryEnd(chunk);
        if (end < 0 && held.length > 0) end = seamBoundaryEnd(held[held.length - 1]!, chunk);
        if (end < 0) {
          held.push(chunk);
          // Lines ending in a lone CR: no boundary will ever show up in the bytes.
          if (chunk.includes(13) && !chunk.includes(10)) {
            text = new StringDecoder('utf8');
            const pending = held;
            held = [];
            parse(text.write(Buffer.concat(pending)), undefined, out);
          }
          return;
        }
        // A boundary ends with LF, so the complete part ends on a whole UTF-8 character.
        const head = end === chunk.length ? chunk : chunk.subarray(0, end);
        const complete = held.length === 0 ? head : Buffer.concat([...held, head]);
        held = end === chunk.length ? [] : [chunk.subarray(end)];
        parse(complete.toString('utf8'), complete, out);
      },
      end(out) {
        if (json) return jsonEnd(Buffer.concat(json).toString('utf8'), out);
        if (!sniffed) {
          return new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: upstream answered the stream request with 200 and an empty body`, { provider });
        }
        const rest = text ? text.end() : Buffer.concat(held).toString('utf8');
        held = [];
        parsed = [];
        if (rest) parser.feed(rest);
        parser.reset({ consume: true });
        emit(parsed, undefined, out);
        return mapper.finished ? undefined : incomplete(provider);
      },
    },
  });

  /** A complete JSON answer to a stream request: rewritten into the provider's stream, then mapped. */
  function jsonEnd(body: string, out: DecoderOutput): GatewayError | undefined {
    if (!options.jsonAnswer) {
      return new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: upstream answered the stream request with a JSON body instead of a stream: ${body.slice(0, 200)}`, { provider });
    }
    options.logger?.warn({ provider }, 'upstream answered a stream request with one JSON body; taken as the complete answer');
    const sse = options.jsonAnswer(body);
    parse(sse, rawDialect ? Buffer.from(sse) : undefined, out);
    parsed = [];
    parser.reset({ consume: true });
    emit(parsed, undefined, out);
    return mapper.finished ? undefined : incomplete(provider);
  }
}

function incomplete(provider: string): GatewayError {
  return new GatewayError('GW_ERR_UPSTREAM_INCOMPLETE', `${provider}: upstream stream ended before the response was complete (no final event)`, { provider });
}

/** Index of the first byte that is not whitespace (or a UTF-8 BOM byte), or -1. */
function firstNonBlank(buf: Buffer): number {
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf) return i;
  }
  return -1;
}

/** End (exclusive) of the last blank line in `buf`, or -1. */
function lastBoundaryEnd(buf: Buffer): number {
  // Most chunks end on a message: answered without a search.
  const n = buf.length;
  if (n >= 2 && buf[n - 1] === 10 && (buf[n - 2] === 10 || (n >= 4 && buf[n - 2] === 13 && buf[n - 3] === 10 && buf[n - 4] === 13))) return n;
  const lf = buf.lastIndexOf(LF_LF);
  const crlf = buf.lastIndexOf(CRLF_CRLF);
  return Math.max(lf < 0 ? -1 : lf + 2, crlf < 0 ? -1 : crlf + 4);
}

/** A blank line split between the previous chunk and this one: its end in `chunk`, or -1. */
function seamBoundaryEnd(prev: Buffer, chunk: Buffer): number {
  const tail = prev.subarray(Math.max(0, prev.length - 3));
  const seam = Buffer.concat([tail, chunk.subarray(0, 3)]);
  const end = lastBoundaryEnd(seam);
  return end > tail.length ? end - tail.length : -1;
}

function sseText(m: EventSourceMessage): string {
  return m.event ? `event: ${m.event}\ndata: ${m.data}\n\n` : `data: ${m.data}\n\n`;
}
