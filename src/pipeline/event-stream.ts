/**
 * Streams of canonical events for middleware: one made from events a middleware has (a cached
 * answer replayed), the canonical events of a whole response, and a tap that watches events pass.
 */
import type { GatewayError } from '../core/errors.js';
import type { CoreResponse } from '../core/response.js';
import type { StreamEvent } from '../core/stream-event.js';
import type { StreamFrame, StreamSink } from '../providers/provider-adapter.js';
import type { EventStream } from './result.js';

/**
 * An event stream over events a middleware already has (array) or produces (async iterable).
 * Honours backpressure (pause/resume) and abort; frames carry no raw bytes, so the client's
 * dialect encoder writes them.
 */
export function streamFromEvents(events: Iterable<StreamEvent> | AsyncIterable<StreamEvent>): EventStream {
  let sink: StreamSink | undefined;
  let paused = false;
  let aborted = false;
  let wake: (() => void) | undefined;
  const run = async () => {
    try {
      for await (const e of events as AsyncIterable<StreamEvent>) {
        if (aborted) return;
        while (paused && !aborted) await new Promise<void>((r) => (wake = r));
        if (aborted) return;
        if (e.type === 'error') {
          sink!.error(e.error);
          return;
        }
        sink!.frame({ events: [e] });
        sink!.flush?.();
      }
      if (!aborted) sink!.end();
    } catch (err) {
      if (!aborted) sink!.error(err as GatewayError);
    }
  };
  return {
    start(s) {
      sink = s;
      void run();
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      wake?.();
      wake = undefined;
    },
    abort() {
      aborted = true;
      wake?.();
      wake = undefined;
    },
  };
}

/**
 * The canonical event sequence of a whole response: what a provider stream would have produced
 * (start, each block opened/filled/closed, usage, finish). Serves a stored answer to a stream client.
 */
export function responseToEvents(response: CoreResponse): StreamEvent[] {
  const out: StreamEvent[] = [{ type: 'start', id: response.id, model: response.model, ...(response.created !== undefined ? { created: response.created } : {}) }];
  response.content.forEach((part, index) => {
    if (part.type === 'text') {
      out.push({ type: 'text-start', index, ...(part.providerMetadata ? { providerMetadata: part.providerMetadata } : {}) });
      if (part.text) out.push({ type: 'text-delta', index, text: part.text });
      out.push({ type: 'text-end', index });
    } else if (part.type === 'reasoning') {
      out.push({ type: 'reasoning-start', index, ...(part.redactedData ? { redactedData: part.redactedData } : {}), ...(part.providerMetadata ? { providerMetadata: part.providerMetadata } : {}) });
      if (part.text) out.push({ type: 'reasoning-delta', index, text: part.text });
      if (part.signature) out.push({ type: 'reasoning-signature', index, signature: part.signature });
      out.push({ type: 'reasoning-end', index });
    } else {
      out.push({ type: 'tool-call-start', index, id: part.id, name: part.name, ...(part.providerMetadata ? { providerMetadata: part.providerMetadata } : {}) });
      if (part.arguments) out.push({ type: 'tool-call-delta', index, argumentsDelta: part.arguments });
      out.push({ type: 'tool-call-end', index });
    }
  });
  out.push({ type: 'usage', usage: response.usage });
  out.push({
    type: 'finish',
    finishReason: response.finishReason,
    ...(response.rawFinishReason !== undefined ? { rawFinishReason: response.rawFinishReason } : {}),
    ...(response.stopSequence !== undefined ? { stopSequence: response.stopSequence } : {}),
    usage: response.usage,
  });
  return out;
}

/** How a tapped stream ended: cleanly, with an error, or cancelled (client gone, gateway stopping). */
export type StreamEnd = { kind: 'end' } | { kind: 'error'; error: GatewayError } | { kind: 'aborted' };

export interface StreamTap {
  /** Each event as it passes, before the client's encoder sees it. */
  event?(e: StreamEvent): void;
  /** Exactly once, after the last frame reached the sink. */
  done?(end: StreamEnd): void;
}

/**
 * A stream whose frames `tap` watches on their way to the sink: the wrapper is itself the inner
 * stream's sink. A class rather than objects of closures: one allocation per tapped request.
 */
class TappedStream implements EventStream, StreamSink {
  readonly nativeDialect?: EventStream['nativeDialect'];
  private sink: StreamSink | undefined;
  private finished = false;

  constructor(
    private readonly inner: EventStream,
    private readonly tap: StreamTap,
  ) {
    if (inner.nativeDialect) this.nativeDialect = inner.nativeDialect;
  }

  private done(end: StreamEnd): void {
    if (this.finished) return;
    this.finished = true;
    this.tap.done?.(end);
  }

  start(sink: StreamSink): void {
    this.sink = sink;
    this.inner.start(this);
  }

  frame(f: StreamFrame): void {
    const tap = this.tap;
    for (const e of f.events) {
      tap.event?.(e);
      if (e.type === 'error') this.done({ kind: 'error', error: e.error });
    }
    this.sink!.frame(f);
  }

  end(): void {
    this.sink!.end();
    this.done({ kind: 'end' });
  }

  error(err: GatewayError): void {
    this.sink!.error(err);
    this.done({ kind: 'error', error: err });
  }

  flush(): void {
    this.sink!.flush?.();
  }

  pause(): void {
    this.inner.pause();
  }

  resume(): void {
    this.inner.resume();
  }

  abort(): void {
    this.inner.abort();
    this.done({ kind: 'aborted' });
  }
}

/** Wraps a stream so `tap` sees every canonical event and how the stream ended; frames pass unchanged. */
export function tapStream(stream: EventStream, tap: StreamTap): EventStream {
  return new TappedStream(stream, tap);
}
