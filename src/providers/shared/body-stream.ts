/**
 * What every upstream stream shares, whatever its framing: a response body, a sink that can be
 * swapped at the commit point, one-way done state, backpressure by pausing the body, transport
 * errors mapped to GatewayErrors, and one sink flush per network chunk. A format (SSE, AWS event
 * stream) only supplies a decoder from bytes to canonical frames.
 */
import { GatewayError } from '../../core/errors.js';
import type { StreamFrame, StreamSink, Timeouts, UpstreamStream } from '../provider-adapter.js';
import { mapTransportError } from './upstream-client.js';
import type { UpstreamResponse } from './upstream-client.js';

export interface DecoderOutput {
  /** Delivers one frame to the current sink. */
  emit(frame: StreamFrame): void;
  /** Stops reading: the response is over (e.g. an exception frame); nothing after it is delivered. */
  stop(): void;
}

export interface BodyDecoder {
  /** One network chunk. May throw: the stream then fails with a protocol error. */
  data(chunk: Buffer, out: DecoderOutput): void;
  /** The body ended cleanly: deliver what is held back; an error when the response was incomplete. */
  end(out: DecoderOutput): GatewayError | undefined;
}

export interface BodyStreamOptions {
  body: UpstreamResponse['body'];
  decoder: BodyDecoder;
  provider: string;
  signal: AbortSignal;
  timeouts: Timeouts;
}

export function createBodyStream(options: BodyStreamOptions): UpstreamStream {
  const { body, decoder, provider } = options;
  let sink: StreamSink | undefined;
  let done = false;
  /** Whether any byte of the body arrived: a 200 with no body at all is a protocol error, not a truncation. */
  let received = false;

  const out: DecoderOutput = {
    emit(frame) {
      if (!done) sink?.frame(frame);
    },
    stop() {
      done = true;
      body.destroy();
    },
  };
  const fail = (err: GatewayError) => {
    if (done) return;
    done = true;
    body.destroy();
    sink?.error(err);
  };
  const onData = (chunk: Buffer | string) => {
    if (done) return;
    if (chunk.length > 0) received = true;
    try {
      decoder.data(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, out);
    } catch (err) {
      fail(err instanceof GatewayError ? err : new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: unreadable stream data: ${(err as Error).message}`, { provider }));
      return;
    }
    sink?.flush?.();
  };
  const onEnd = () => {
    if (done) return;
    if (!received) {
      return fail(new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: upstream answered the stream request with 200 and an empty body`, { provider }));
    }
    let err: GatewayError | undefined;
    try {
      err = decoder.end(out);
    } catch (e) {
      err = e instanceof GatewayError ? e : new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: ${(e as Error).message}`, { provider });
    }
    if (err) return fail(err);
    if (done) return;
    done = true;
    sink?.end();
  };
  const onError = (err: unknown) => fail(mapTransportError(err, provider, options.signal, options.timeouts, { phase: 'body' }));

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
