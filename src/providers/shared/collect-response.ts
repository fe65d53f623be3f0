/**
 * Assembles a canonical response from a committed upstream stream. The gateway streams from
 * upstream even for non-stream clients, so that "first byte" means the first token for every
 * request (fail fast on a dead path without cutting long answers), and a failure mid-way can still
 * be retried: nothing has reached the client yet.
 */
import type { GatewayError } from '../../core/errors.js';
import { ResponseAssembler } from '../../core/assemble-response.js';
import type { CoreResponse } from '../../core/response.js';
import type { StreamSink } from '../provider-adapter.js';
import type { PeekedStream } from './peek-before-commit.js';

export function collectResponse(peeked: PeekedStream): Promise<CoreResponse> {
  return new Promise<CoreResponse>((resolve, reject) => {
    const asm = new ResponseAssembler();
    let failed = false;
    const fail = (err: GatewayError) => {
      if (failed) return;
      failed = true;
      peeked.stream.abort();
      reject(err);
    };

    const sink: StreamSink = {
      frame(f) {
        if (failed) return;
        for (const e of f.events) {
          if (e.type === 'error') return fail(e.error);
          asm.event(e);
        }
      },
      end() {
        if (!failed) resolve(asm.response());
      },
      error: fail,
    };
    // Assembled, not sent: nothing reaches the client before the answer is whole.
    peeked.commit(sink, { collect: true });
  });
}
