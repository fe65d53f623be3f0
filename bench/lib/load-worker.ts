/**
 * The load generator, run as its own process (forked by the orchestrator, jobs over IPC) so it
 * never shares an event loop with a server under test. Two shapes:
 *   closed: `concurrency` loops, each sending the next request when the previous one finished
 *           (throughput at a fixed concurrency; latency at concurrency 1);
 *   open:   requests sent on a fixed schedule (`rate` per second) whatever the answers do, and
 *           latency measured from the *scheduled* send time, so a stalled server is charged for
 *           the requests it delayed (no coordinated omission).
 * Every loop is bounded by time and by count and stops by itself.
 */
import { randomBytes } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { Pool } from 'undici';
import type { FromWorker, LoadJob, LoadResult, ToWorker } from './load-types.js';
import { Samples } from './percentiles.js';

function send(msg: FromWorker): void {
  process.send?.(msg);
}

interface Timing {
  headers: number;
  firstByte: number;
  firstToken: number;
  end: number;
  bytes: number;
}

const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)(:\d+)?$/;

/** One request; resolves with its timings (absolute performance.now() values) or rejects. */
interface Variant {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

function requestOnce(pool: Pool, job: LoadJob, v: Variant, marker: Buffer): Promise<Timing> {
  return new Promise<Timing>((resolve, reject) => {
    pool
      .request({
        path: v.path,
        method: 'POST',
        headers: v.headers,
        body: v.body,
        headersTimeout: job.timeoutMs,
        bodyTimeout: job.timeoutMs,
      })
      .then(({ statusCode, body: res }) => {
        const headers = performance.now();
        let firstByte = 0;
        let firstToken = 0;
        let bytes = 0;
        let tail: Buffer | undefined;
        let errorText = '';
        res.on('data', (chunk: Buffer) => {
          const now = performance.now();
          if (bytes === 0) firstByte = now;
          bytes += chunk.length;
          if (statusCode !== 200) {
            if (errorText.length < 300) errorText += chunk.toString('utf8');
            return;
          }
          if (firstToken !== 0) return;
          if (chunk.indexOf(marker) >= 0 || (tail !== undefined && Buffer.concat([tail, chunk.subarray(0, marker.length - 1)]).indexOf(marker) >= 0)) {
            firstToken = now;
            return;
          }
          tail = chunk.length >= marker.length - 1 ? chunk.subarray(chunk.length - (marker.length - 1)) : Buffer.concat([tail ?? Buffer.alloc(0), chunk]).subarray(-(marker.length - 1));
        });
        res.on('end', () => {
          const end = performance.now();
          if (statusCode !== 200) return reject(new Error(`HTTP ${statusCode}: ${errorText.slice(0, 200)}`));
          if (firstToken === 0) return reject(new Error(`answer without the content marker ${marker.toString()} (${bytes} bytes)`));
          resolve({ headers, firstByte: firstByte || end, firstToken, end, bytes });
        });
        res.on('error', reject);
      }, reject);
  });
}

async function runJob(id: number, job: LoadJob): Promise<LoadResult> {
  if (!LOOPBACK.test(job.origin)) throw new Error(`refusing to load a non-loopback origin: ${job.origin}`);
  const pool = new Pool(job.origin, {
    connections: job.concurrency,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    connect: { timeout: 5_000 },
  });
  const variants: Variant[] = (job.variants ?? [{ path: job.path, headers: job.headers, body: job.body }]).map((v) => ({ ...v, body: Buffer.from(v.body, 'utf8') }));
  let turn = 0;
  const token = job.uniqueToken;
  // Unique across the whole run, not only within this job: a counter alone restarts with every
  // phase, and the stream phase's prompts would then be the JSON phase's, which the cache (its key
  // ignores `stream`, by design) answers as hits.
  const nonce = randomBytes(6).toString('hex');
  let unique = 0;
  const nextVariant = (): Variant => {
    const v = variants[turn++ % variants.length]!;
    if (!token) return v;
    return { ...v, body: Buffer.from(v.body.toString('utf8').replace(token, `${nonce}-${unique++}`), 'utf8') };
  };
  const marker = Buffer.from(job.marker, 'utf8');
  const cap = Math.max(1, job.maxRequests);
  const latency = new Samples(cap);
  const headersS = new Samples(cap);
  const firstByteS = new Samples(cap);
  const firstTokenS = new Samples(cap);
  const sendLag = new Samples(cap);
  const errorSamples = new Set<string>();
  let errors = 0;
  let ok = 0;
  let dropped = 0;
  let responseBytes = 0;

  const start = performance.now() + 5;
  const measureAt = start + job.warmupMs;
  let endAt = measureAt + job.durationMs;
  // The orchestrator samples the servers between these two messages; both are always sent, in order.
  const sent = { measure: false, drain: false };
  const phase = (p: 'measure' | 'drain') => {
    if (sent[p]) return;
    if (p === 'drain') phase('measure');
    sent[p] = true;
    send({ type: 'phase', id, phase: p });
  };
  const phaseTimers = [
    setTimeout(() => phase('measure'), Math.max(0, measureAt - performance.now())),
    setTimeout(() => phase('drain'), Math.max(0, endAt - performance.now())),
  ];
  const hardStop = endAt + job.timeoutMs + 5_000;
  const maxErrors = Math.max(50, cap);

  const onError = (e: unknown) => {
    errors++;
    if (errorSamples.size < 5) {
      const err = e as { message?: string; code?: string };
      errorSamples.add(`${err.code ? err.code + ': ' : ''}${err.message ?? String(e)}`.slice(0, 300));
    }
  };
  /** Records one finished request whose clock started at t0 (sent, or scheduled in open loop). */
  const record = (t0: number, t: Timing) => {
    if (t0 < measureAt || t0 >= endAt) return;
    if (latency.count >= cap) {
      endAt = Math.min(endAt, performance.now());
      return;
    }
    ok++;
    responseBytes += t.bytes;
    latency.add(t.end - t0);
    headersS.add(t.headers - t0);
    firstByteS.add(t.firstByte - t0);
    firstTokenS.add(t.firstToken - t0);
  };

  try {
    if (job.mode === 'closed') {
      const loop = async () => {
        while (performance.now() < endAt && errors < maxErrors) {
          const t0 = performance.now();
          try {
            record(t0, await requestOnce(pool, job, nextVariant(), marker));
          } catch (e) {
            onError(e);
            await new Promise((r) => setTimeout(r, 10)); // no hot spin against a failing server
          }
        }
      };
      await new Promise((r) => setTimeout(r, Math.max(0, start - performance.now())));
      await Promise.all(Array.from({ length: job.concurrency }, loop));
    } else {
      const rate = job.rate ?? 1000;
      const interval = 1000 / rate;
      const total = Math.ceil(((job.warmupMs + job.durationMs) / 1000) * rate);
      let i = 0;
      let inFlight = 0;
      let resolveAll: () => void = () => {};
      const allDone = new Promise<void>((r) => (resolveAll = r));
      const maybeDone = () => {
        if (i >= total && inFlight === 0) resolveAll();
      };
      const fire = (scheduled: number) => {
        if (inFlight >= job.maxInFlight) {
          if (scheduled >= measureAt && scheduled < endAt) dropped++;
          return;
        }
        inFlight++;
        if (scheduled >= measureAt && scheduled < endAt) sendLag.add(performance.now() - scheduled);
        requestOnce(pool, job, nextVariant(), marker).then(
          (t) => {
            inFlight--;
            record(scheduled, t);
            maybeDone();
          },
          (e) => {
            inFlight--;
            onError(e);
            maybeDone();
          },
        );
      };
      const tick = () => {
        const now = performance.now();
        while (i < total && start + i * interval <= now) {
          fire(start + i * interval);
          i++;
        }
        if (i < total && now < hardStop && errors < maxErrors) {
          setTimeout(tick, Math.max(0, Math.floor(start + i * interval - performance.now())));
        } else {
          i = total;
          maybeDone();
        }
      };
      setTimeout(tick, Math.max(0, start - performance.now()));
      await Promise.race([allDone, new Promise((r) => setTimeout(r, Math.max(0, hardStop - performance.now())).unref())]);
    }
  } finally {
    for (const t of phaseTimers) clearTimeout(t);
    phase('drain');
    await Promise.race([pool.close(), new Promise((r) => setTimeout(r, 2_000).unref())]);
    await pool.destroy().catch(() => {});
  }

  const windowMs = Math.max(1, Math.min(endAt, performance.now()) - measureAt);
  const result: LoadResult = {
    label: job.label,
    mode: job.mode,
    concurrency: job.concurrency,
    windowMs,
    ok,
    errors,
    errorSamples: [...errorSamples],
    throughput: (ok * 1000) / windowMs,
    latency: latency.summary(),
    headers: headersS.summary(),
    firstByte: firstByteS.summary(),
    firstToken: firstTokenS.summary(),
    dropped,
    responseBytes,
  };
  if (job.mode === 'open') {
    result.rate = job.rate ?? 1000;
    result.sendLag = sendLag.summary();
  }
  return result;
}

if (!process.send) {
  process.stderr.write('load-worker: run me through child_process.fork (IPC)\n');
  process.exit(2);
}

let queue: Promise<void> = Promise.resolve();
process.on('message', (msg: ToWorker) => {
  if (msg.type === 'exit') {
    process.disconnect?.();
    return;
  }
  if (msg.type !== 'run') return;
  queue = queue.then(async () => {
    try {
      send({ type: 'result', id: msg.id, result: await runJob(msg.id, msg.job) });
    } catch (e) {
      send({ type: 'error', id: msg.id, message: (e as Error).stack ?? String(e) });
    }
  });
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
