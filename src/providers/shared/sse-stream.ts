/**
 * An upstream SSE body as a push-based UpstreamStream: bytes → eventsource-parser → the provider's
 * StreamMapper → canonical frames to the sink. Backpressure by pausing the body; no per-chunk
 * promises, no WHATWG streams.
 */
import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import type { EventSourceMessage } from 'eventsource-parser';
import type { DialectId } from '../../core/dialect.js';
import { GatewayError } from '../../core/errors.js';
import type { StreamEvent } from '../../core/stream-event.js';
import type { StreamFrame, StreamSink, Timeouts, UpstreamStream } from '../provider-adapter.js';
import { mapTransportError } from './upstream-client.js';
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
  const { body, mapper, provider, rawDialect } = options;
  let sink: StreamSink | undefined;
  let done = false;

  const fail = (err: GatewayError) => {
    if (done) return;
    done = true;
    body.destroy();
    sink?.error(err);
  };

  const parser = createParser({
    onEvent(message: EventSourceMessage) {
      if (done) return;
      const events: StreamEvent[] = [];
      let forward: boolean | void;
      try {
        forward = mapper.push(message, events);
      } catch (err) {
        fail(err instanceof GatewayError ? err : new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: unreadable stream event: ${(err as Error).message}`, { provider }));
        return;
      }
      const frame: StreamFrame = rawDialect && forward !== false
        ? { events, raw: message.event ? { dialect: rawDialect, event: message.event, data: message.data } : { dialect: rawDialect, data: message.data } }
        : { events };
      sink?.frame(frame);
    },
  });

  // undici's body ignores setEncoding; a StringDecoder keeps multi-byte characters split across
  // network chunks intact.
  const decoder = new StringDecoder('utf8');
  const onData = (chunk: Buffer | string) => {
    parser.feed(typeof chunk === 'string' ? chunk : decoder.write(chunk));
    if (!done) sink?.flush?.();
  };
  const onEnd = () => {
    if (done) return;
    const rest = decoder.end();
    if (rest) parser.feed(rest);
    parser.reset({ consume: true });
    if (done) return;
    done = true;
    if (mapper.finished) sink?.end();
    else sink?.error(new GatewayError('GW_ERR_STREAM_INTERRUPTED', `${provider}: upstream stream ended before the response was complete`, { provider, retryable: true }));
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
