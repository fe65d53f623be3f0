/**
 * Graceful drain, driven by a live count of the requests in flight (never a fixed sleep):
 *
 *   signal ─ /readyz 503, responses say `Connection: close`
 *          ─ accept_ms: new connections still accepted (load balancers lag)
 *          ─ stop accepting; idle keep-alive connections close
 *          ─ wait until nothing is in flight … or timeout_ms after the signal:
 *            cut what still runs (streams end with a GW_ERR_SHUTTING_DOWN error event, waiting
 *            requests answer 503 GW_ERR_SHUTTING_DOWN) and wait for those answers to be written
 *          ─ close every connection
 */
import type { Server } from 'node:http';
import type { Logger } from '../observability/logger.js';

/** Counts requests in flight and wakes whoever waits for the count to reach zero. */
export class InFlightCounter {
  private n = 0;
  private waiters: Array<() => void> = [];

  get count(): number {
    return this.n;
  }

  enter(): void {
    this.n++;
  }

  leave(): void {
    if (--this.n > 0) return;
    this.n = 0;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves true when nothing is in flight, false when `ms` pass or `cut` aborts first. */
  idle(ms: number, cut?: AbortSignal): Promise<boolean> {
    if (this.n === 0) return Promise.resolve(true);
    if (cut?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        cut?.removeEventListener('abort', onCut);
        this.waiters = this.waiters.filter((w) => w !== onIdle);
        resolve(ok);
      };
      const onIdle = () => done(true);
      const onCut = () => done(false);
      const timer = setTimeout(() => done(false), Math.max(0, ms));
      this.waiters.push(onIdle);
      cut?.addEventListener('abort', onCut, { once: true });
    });
  }
}

/** What a drain did, for the log and for tests. */
export interface DrainReport {
  /** Requests in flight when the signal came. */
  inFlightAtStart: number;
  /** Requests that arrived during the accept window (or on open connections after it). */
  arrivedDuringDrain: number;
  /** Streams ended with a GW_ERR_SHUTTING_DOWN error event at the timeout. */
  cutStreams: number;
  /** Requests answered 503 GW_ERR_SHUTTING_DOWN at the timeout (before their answer began). */
  cutRequests: number;
  /** From the signal to the last connection closed. */
  durationMs: number;
}

export interface DrainTarget {
  server: Server;
  inFlight: InFlightCounter;
  /** Requests started so far (the drain counts arrivals as a difference). */
  started(): number;
  /** Ends everything still running; says how many streams and waiting requests it ended. */
  cutAll(): { streams: number; requests: number };
}

export interface DrainOptions {
  acceptMs: number;
  timeoutMs: number;
  logger: Logger;
  /** Aborting it cuts at once (a second signal). */
  force?: AbortSignal;
}

/** After the cut, the longest wait for the error events and 503s to be written. */
const AFTER_CUT_MS = 2000;

export async function runDrain(target: DrainTarget, o: DrainOptions): Promise<DrainReport> {
  const t0 = performance.now();
  const elapsed = () => performance.now() - t0;
  const inFlightAtStart = target.inFlight.count;
  const startedAtSignal = target.started();
  const acceptMs = Math.min(o.acceptMs, o.timeoutMs);
  o.logger.info({ inFlight: inFlightAtStart, acceptMs, timeoutMs: o.timeoutMs }, `draining: /readyz answers 503; accepting for ${acceptMs} ms more; ${inFlightAtStart} requests in flight`);

  if (acceptMs > 0 && !o.force?.aborted) await windowOf(acceptMs, o.force);
  // Stops listening and closes idle keep-alive connections. Its callback comes when the last
  // connection is gone, which the wait below bounds, so it is not awaited.
  target.server.close(() => undefined);
  o.logger.info({ inFlight: target.inFlight.count, ms: Math.round(elapsed()) }, 'draining: stopped accepting connections');

  let cutStreams = 0;
  let cutRequests = 0;
  const finished = await target.inFlight.idle(o.timeoutMs - elapsed(), o.force);
  if (!finished) {
    const cut = target.cutAll();
    cutStreams = cut.streams;
    cutRequests = cut.requests;
    o.logger.warn({ cutStreams, cutRequests, ms: Math.round(elapsed()) }, 'drain timeout: ending what is still running with GW_ERR_SHUTTING_DOWN');
    await target.inFlight.idle(AFTER_CUT_MS);
  }
  target.server.closeAllConnections();
  const report: DrainReport = {
    inFlightAtStart,
    arrivedDuringDrain: target.started() - startedAtSignal,
    cutStreams,
    cutRequests,
    durationMs: Math.round(elapsed()),
  };
  const waitedFor = report.inFlightAtStart + report.arrivedDuringDrain;
  o.logger.info(
    report,
    `drained in ${report.durationMs} ms: waited for ${waitedFor} requests (${report.inFlightAtStart} in flight at the signal, ${report.arrivedDuringDrain} arrived after), ${cutStreams} streams and ${cutRequests} requests cut at the timeout`,
  );
  return report;
}

/** The accept window: a deliberate wait of a configured length, cut short by `force`. */
function windowOf(ms: number, force?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      force?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    force?.addEventListener('abort', done, { once: true });
  });
}
