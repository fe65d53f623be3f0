/**
 * The client side of a committed stream: writes frames to the client (raw when client and upstream
 * speak the same dialect, else through the dialect's encoder), one write per upstream chunk, with
 * backpressure, and reports usage, finish and errors when the stream ends.
 */
import type { DialectId } from './core/dialect.js';
import type { GatewayError } from './core/errors.js';
import type { FinishReason, Usage } from './core/response.js';
import type { StreamEvent } from './core/stream-event.js';
import type { StreamEncoder } from './dialects/client-dialect.js';
import type { Logger } from './observability/logger.js';
import type { StreamFrame, StreamSink } from './providers/provider-adapter.js';

/** Where a streamed answer is written (the server adapts its HTTP response to this). */
export interface StreamWriter {
  /** Returns false when the client is not keeping up. */
  write(chunk: string | Uint8Array): boolean;
  onDrain(fn: () => void): void;
  /** Ends the response, with a last chunk when given (one socket write for both). */
  end(chunk?: string | Uint8Array): void;
  /**
   * Registers what to call when the server must stop this stream (the drain timeout passed): the
   * gateway writes an error event (GW_ERR_SHUTTING_DOWN) in the client's dialect, cancels the
   * upstream and ends. A callback, not an AbortSignal: a signal per stream costs an AbortController
   * and an event listener on every request for something that happens once per process lifetime.
   */
  onStop?(fn: () => void): void;
}

/** What a finished stream reports for logs and metrics. */
export interface StreamOutcome {
  usage?: Partial<Usage>;
  finishReason?: FinishReason;
  error?: GatewayError;
  responseModel?: string;
  /** The streamed text, when captureText. */
  text?: string;
}

export interface ClientSinkOptions {
  writer: StreamWriter;
  encoder: StreamEncoder;
  /** Write upstream frames as they came (client and upstream speak the same dialect). */
  passthrough: boolean;
  dialectId: DialectId;
  onDone: (outcome: StreamOutcome) => void;
  log: Logger;
  /** Collect text deltas into outcome.text (up to MAX_CAPTURED_TEXT characters). */
  captureText?: boolean;
  pause: () => void;
  resume: () => void;
  abort: () => void;
}

/** Most streamed text kept for content logging. */
const MAX_CAPTURED_TEXT = 1_000_000;

/** Writes committed frames to the client: raw when passing through, else through the encoder. */
export function createClientSink(o: ClientSinkOptions): StreamSink {
  let closed = false;
  const outcome: StreamOutcome = {};
  /**
   * What the current upstream chunk produced, written in one go by flush(): encoded text, or the
   * upstream's own bytes when passing through (one piece per chunk, as a rule).
   */
  let pending: Array<string | Uint8Array> = [];
  const take = (): string | Uint8Array | undefined => {
    const parts = pending;
    if (parts.length <= 1) {
      pending = [];
      return parts[0] || undefined;
    }
    pending = [];
    return parts.every((p) => typeof p === 'string') ? parts.join('') : Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
  };
  const finish = (tail: string | Uint8Array, error?: GatewayError) => {
    if (closed) return;
    closed = true;
    if (tail.length > 0) pending.push(tail);
    o.writer.end(take());
    if (error) outcome.error = error;
    o.onDone(outcome);
  };
  /** Usage and finish reason, whichever events carry them. */
  const observe = (events: StreamEvent[]) => {
    for (const e of events) {
      if (e.type === 'usage' || e.type === 'start') {
        if (e.usage) outcome.usage = { ...outcome.usage, ...e.usage };
        if (e.type === 'start' && e.model) outcome.responseModel = e.model;
      } else if (e.type === 'text-delta') {
        if (o.captureText && (outcome.text ?? '').length < MAX_CAPTURED_TEXT) outcome.text = (outcome.text ?? '') + e.text;
      } else if (e.type === 'finish') {
        outcome.finishReason = e.finishReason;
        if (e.usage) outcome.usage = { ...outcome.usage, ...e.usage };
      }
    }
  };
  const write = (piece: string | Uint8Array) => {
    if (!closed && piece.length > 0) pending.push(piece);
  };
  const flush = () => {
    if (closed) return;
    const out = take();
    if (out && !o.writer.write(out)) {
      o.pause();
      o.writer.onDrain(o.resume);
    }
  };
  return {
    frame(f: StreamFrame) {
      if (closed) return;
      observe(f.events);
      if (o.passthrough) {
        const err = f.events.find((e) => e.type === 'error');
        if (err && err.type === 'error') outcome.error = err.error;
        if (f.raw) write(f.raw.bytes);
        return;
      }
      let out = '';
      for (const e of f.events as StreamEvent[]) {
        if (e.type === 'error') {
          write(out);
          o.abort();
          finish(o.encoder.encodeError(e.error), e.error);
          return;
        }
        const piece = o.encoder.encode(e);
        if (typeof piece === 'string') out += piece;
        else {
          // A binary dialect: frames are written as bytes, in order with any text before them.
          write(out);
          out = '';
          write(piece);
        }
      }
      write(out);
    },
    end() {
      finish(o.passthrough ? '' : o.encoder.end());
    },
    error(err) {
      o.log.warn({ code: err.code, message: err.message }, 'stream failed after commit');
      finish(o.encoder.encodeError(err), err);
    },
    flush,
  };
}

