/**
 * A Bedrock ConverseStream body (binary AWS event stream) as a push-based UpstreamStream:
 * bytes → frames (EventStreamFramer) → messages → the BedrockStreamMapper → canonical frames to
 * the sink. Backpressure by pausing the body; no per-chunk promises.
 */
import { GatewayError } from '../../core/errors.js';
import type { StreamEvent } from '../../core/stream-event.js';
import type { Timeouts, UpstreamStream } from '../provider-adapter.js';
import { createBodyStream } from '../shared/body-stream.js';
import type { DecoderOutput } from '../shared/body-stream.js';
import type { UpstreamResponse } from '../shared/upstream-client.js';
import { decodeEventStreamFrame, EventStreamFramer } from './event-stream-decoder.js';
import type { EventStreamMessage } from './event-stream-decoder.js';

/** Maps decoded messages to canonical events; holds the per-stream state. */
export interface EventStreamMapper {
  push(message: EventStreamMessage, out: StreamEvent[]): void;
  /** Called once when the body ended cleanly: events still held back (e.g. a finish waiting for usage). */
  flush(out: StreamEvent[]): void;
  /** True once the upstream signalled a complete response. */
  readonly finished: boolean;
}

export interface EventStreamUpstreamOptions {
  body: UpstreamResponse['body'];
  mapper: EventStreamMapper;
  provider: string;
  signal: AbortSignal;
  timeouts: Timeouts;
}

export function createEventStreamUpstream(options: EventStreamUpstreamOptions): UpstreamStream {
  const { mapper, provider } = options;
  const framer = new EventStreamFramer();
  let out: DecoderOutput | undefined;

  const onFrame = (frame: Buffer) => {
    const events: StreamEvent[] = [];
    mapper.push(decodeEventStreamFrame(frame), events);
    if (events.length === 0) return;
    out!.emit({ events });
    // An exception frame ends the stream: nothing after it is read.
    if (events.some((e) => e.type === 'error')) out!.stop();
  };

  return createBodyStream({
    ...options,
    decoder: {
      data(chunk, o) {
        out = o;
        framer.push(chunk, onFrame);
      },
      end(o) {
        if (framer.pending || !mapper.finished) {
          return new GatewayError('GW_ERR_UPSTREAM_INCOMPLETE', `${provider}: upstream stream ended before the response was complete (no final event)`, { provider });
        }
        const events: StreamEvent[] = [];
        mapper.flush(events);
        if (events.length > 0) o.emit({ events });
        return undefined;
      },
    },
  });
}
