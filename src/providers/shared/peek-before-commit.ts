/**
 * The stream commit point. Frames are held back until the first content event; an error (an error
 * event, a broken or truncated stream) before that rejects, so routing can still retry or fall
 * back. After `commit`, frames flow to the client's sink directly.
 *
 * Once committed to a client, a failure can no longer be retried: whatever broke (the stream ended
 * early, the connection closed, unreadable data), the client's sink is told GW_ERR_STREAM_INTERRUPTED
 * with the cause in the message. Assembling a whole answer for a non-stream client (`collect`) is
 * not such a commit: nothing has reached the client, so errors keep their own retryable codes.
 */
import { GatewayError } from '../../core/errors.js';
import { isContentEvent } from '../../core/stream-event.js';
import type { StreamFrame, StreamSink, UpstreamStream } from '../provider-adapter.js';

export interface PeekedStream {
  stream: UpstreamStream;
  /** Frames received before and at the commit point, in order. */
  buffered: StreamFrame[];
  /** Whether the upstream already ended (cleanly) while peeking. */
  ended: boolean;
  /**
   * Hands the stream to the client sink: flushes the buffer into it, then live frames follow.
   * `collect: true` when the frames are assembled into one answer rather than sent to a client.
   */
  commit(sink: StreamSink, options?: { collect?: boolean }): void;
}

/**
 * A broken upstream stream after content reached the client (it ended early, its connection closed,
 * its data was unreadable, it went silent): GW_ERR_STREAM_INTERRUPTED, the cause kept in the
 * message. Errors that are not the upstream's (the client left, the gateway stopping) pass as they are.
 */
export function interrupted(err: GatewayError): GatewayError {
  if (!err.code.startsWith('GW_ERR_UPSTREAM_')) return err;
  return new GatewayError('GW_ERR_STREAM_INTERRUPTED', `${err.message} [${err.code}, after content had reached the client]`, {
    ...(err.provider !== undefined ? { provider: err.provider } : {}),
    ...(err.upstreamStatus !== undefined ? { upstreamStatus: err.upstreamStatus } : {}),
    cause: err,
  });
}

/**
 * The client's sink, with a broken stream after the commit point reported as interrupted. Error
 * events the upstream sent itself (an `overloaded_error` mid-stream) keep their own type.
 */
function clientSink(sink: StreamSink): StreamSink {
  const out: StreamSink = {
    frame: (f) => sink.frame(f),
    end: () => sink.end(),
    error: (err) => sink.error(interrupted(err)),
  };
  if (sink.flush) out.flush = () => sink.flush!();
  return out;
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
      commit(target, options) {
        const sink = options?.collect ? target : clientSink(target);
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
