/**
 * A Bedrock ConverseStream body (binary AWS event stream) as a push-based UpstreamStream:
 * bytes → frames (EventStreamFramer) → messages → the BedrockStreamMapper → canonical frames to
 * the sink. Backpressure by pausing the body; no per-chunk promises.
 */
import { GatewayError } from '../../core/errors.js';
import type { StreamEvent } from '../../core/stream-event.js';
import type { StreamSink, Timeouts, UpstreamStream } from '../provider-adapter.js';
import { mapTransportError } from '../shared/upstream-client.js';
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
  const { body, mapper, provider } = options;
  const framer = new EventStreamFramer();
  let sink: StreamSink | undefined;
  let done = false;

  const fail = (err: GatewayError) => {
    if (done) return;
    done = true;
    body.destroy();
    sink?.error(err);
  };

  const onFrame = (frame: Buffer) => {
    if (done) return;
    const events: StreamEvent[] = [];
    mapper.push(decodeEventStreamFrame(frame), events);
    if (events.length === 0) return;
    if (events.some((e) => e.type === 'error')) {
      // An exception frame ends the stream: nothing after it is read.
      done = true;
      body.destroy();
    }
    sink?.frame({ events });
  };

  const onData = (chunk: Buffer | string) => {
    if (done) return;
    try {
      framer.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk, onFrame);
      sink?.flush?.();
    } catch (err) {
      fail(err instanceof GatewayError ? err : new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: ${(err as Error).message}`, { provider }));
    }
  };
  const onEnd = () => {
    if (done) return;
    if (framer.pending || !mapper.finished) {
      fail(new GatewayError('GW_ERR_STREAM_INTERRUPTED', `${provider}: upstream stream ended before the response was complete`, { provider, retryable: true }));
      return;
    }
    const events: StreamEvent[] = [];
    mapper.flush(events);
    done = true;
    if (events.length > 0) sink?.frame({ events });
    sink?.end();
  };
  const onError = (err: unknown) => fail(mapTransportError(err, provider, options.signal, options.timeouts));

  return {
    start(s) {
      sink = s;
      body.on('data', onData);
      body.on('end', onEnd);
      body.on('error', onError);
    },
    setSink(s) {
      sink = s;
    },
    pause() {
      body.pause();
    },
    resume() {
      body.resume();
    },
    abort() {
      if (done) return;
      done = true;
      body.destroy();
    },
  };
}
