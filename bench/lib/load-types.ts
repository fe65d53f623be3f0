/** The messages between the orchestrator and the load-generator process. */

export interface LoadJob {
  /** A label for error messages. */
  label: string;
  /** Origin, e.g. http://127.0.0.1:43210 (must be loopback). */
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  stream: boolean;
  /** When set, requests take these (path, headers, body) in turn instead (a mixed load). */
  variants?: Array<{ path: string; headers: Record<string, string>; body: string }>;
  /** When set, this text in the body is replaced by a number unique to each request (cache at 0 % hits). */
  uniqueToken?: string;
  /**
   * Text that marks the first content token in the answer (e.g. `:"mock"`). A response without it
   * counts as an error; for streams, the time it first appears is the time to first token.
   */
  marker: string;
  /** closed: `concurrency` loops back to back; open: requests sent on a fixed schedule. */
  mode: 'closed' | 'open';
  /** closed: concurrent requests; open: connections in the client pool. */
  concurrency: number;
  /** open: requests per second. */
  rate?: number;
  /** Load before measuring (not recorded). */
  warmupMs: number;
  /** The measured window. */
  durationMs: number;
  /** Hard cap on recorded requests (bounds memory); the window ends early when reached. */
  maxRequests: number;
  /** open: past this many requests in flight, scheduled sends are dropped (the target is saturated). */
  maxInFlight: number;
  /** Per-request limit for headers and for silence in the body. */
  timeoutMs: number;
}

export interface Percentiles {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface LoadResult {
  label: string;
  mode: 'closed' | 'open';
  concurrency: number;
  rate?: number;
  /** Length of the measured window, ms. */
  windowMs: number;
  /** Requests that completed (status 200, marker found) within the window. */
  ok: number;
  errors: number;
  /** A few distinct error messages. */
  errorSamples: string[];
  /** ok / window, requests per second. */
  throughput: number;
  /** Whole-response latency, ms (open loop: from the scheduled send time). */
  latency: Percentiles;
  /** Response headers received, ms. */
  headers: Percentiles;
  /** First body byte, ms. */
  firstByte: Percentiles;
  /** First content token (the marker), ms. */
  firstToken: Percentiles;
  /** open: sends dropped because too many were in flight. */
  dropped: number;
  /** open: how late the generator actually sent, vs the schedule, ms. */
  sendLag?: Percentiles;
  responseBytes: number;
}

export type ToWorker = { type: 'run'; id: number; job: LoadJob } | { type: 'exit' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'phase'; id: number; phase: 'measure' | 'drain' }
  | { type: 'result'; id: number; result: LoadResult }
  | { type: 'error'; id: number; message: string };
