/**
 * The stream commit point. Frames are held back until the first content event; an error (an error
 * event, a broken or truncated stream) before that rejects, so routing can still retry or fall
 * back. After `commit`, frames flow to the client's sink directly.
 */
import type { GatewayError } from '../../core/errors.js';
import { isContentEvent } from '../../core/stream-event.js';
import type { StreamFrame, StreamSink, UpstreamStream } from '../provider-adapter.js';

export interface PeekedStream {
  stream: UpstreamStream;
  /** Frames received before and at the commit point, in order. */
  buffered: StreamFrame[];
  /** Whether the upstream already ended (cleanly) while peeking. */
  ended: boolean;
  /** Hands the stream to the client sink: flushes the buffer into it, then live frames follow. */
  commit(sink: StreamSink): void;
}

export function peekBeforeCommit(stream: UpstreamStream): Promise<PeekedStream> {
  return new Promise<PeekedStream>((resolve, reject) => {
    const buffered: StreamFrame[] = [];
    let settled = false;
    let ended = false;
    let lateError: GatewayError | undefined;

    const peeked: PeekedStream = {
      stream,
      buffered,
      get ended() {
        return ended;
      },
      commit(sink) {
        for (const f of buffered) sink.frame(f);
        buffered.length = 0;
        sink.flush?.();
        if (lateError) sink.error(lateError);
        else if (ended) sink.end();
        else stream.setSink(sink);
      },
    };

    stream.start({
      frame(f) {
        if (settled) {
          buffered.push(f);
          return;
        }
        for (const e of f.events) {
          if (e.type === 'error') {
            settled = true;
            stream.abort();
            reject(e.error);
            return;
          }
          if (isContentEvent(e)) {
            settled = true;
            buffered.push(f);
            resolve(peeked);
            return;
          }
        }
        buffered.push(f);
      },
      end() {
        ended = true;
        if (!settled) {
          settled = true;
          resolve(peeked);
        }
      },
      error(err) {
        if (settled) {
          lateError = err;
          return;
        }
        settled = true;
        reject(err);
      },
    });
  });
}
