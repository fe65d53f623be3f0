/**
 * An upstream SSE body as an UpstreamStream: bytes → eventsource-parser → the provider's
 * StreamMapper → canonical frames (with the raw payload for same-dialect clients).
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

/** Maps one provider's stream messages to canonical events; holds the per-stream state. */
export interface StreamMapper {
  /**
   * One upstream message → events appended to `out`. May push an `error` event. Returns false to
   * keep this message's raw payload from same-dialect clients (something the gateway asked for on
   * its own, like a usage chunk the client did not request).
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
  /** When set, frames carry the raw payload for clients that speak this dialect. */
  rawDialect?: DialectId;
}

export function createSseUpstreamStream(options: SseStreamOptions): UpstreamStream {
  const { mapper, provider, rawDialect } = options;
  // A StringDecoder keeps multi-byte characters split across network chunks intact.
  const text = new StringDecoder('utf8');
  let out: DecoderOutput | undefined;
  const parser = createParser({
    onEvent(message: EventSourceMessage) {
      const events: StreamEvent[] = [];
      let forward: boolean | void;
      try {
        forward = mapper.push(message, events);
      } catch (err) {
        throw err instanceof GatewayError ? err : new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: unreadable stream event: ${(err as Error).message}`, { provider });
      }
      const frame: StreamFrame =
        rawDialect && forward !== false
          ? { events, raw: message.event ? { dialect: rawDialect, event: message.event, data: message.data } : { dialect: rawDialect, data: message.data } }
          : { events };
      out!.emit(frame);
    },
  });

  return createBodyStream({
    ...options,
    decoder: {
      data(chunk, o) {
        out = o;
        parser.feed(text.write(chunk));
      },
      end(o) {
        out = o;
        const rest = text.end();
        if (rest) parser.feed(rest);
        parser.reset({ consume: true });
        return mapper.finished
          ? undefined
          : new GatewayError('GW_ERR_STREAM_INTERRUPTED', `${provider}: upstream stream ended before the response was complete`, { provider, retryable: true });
      },
    },
  });
}
