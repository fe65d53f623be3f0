/**
 * HTTP to one upstream origin through an undici Pool (keep-alive, bounded connections), with the
 * three fail-fast timeouts mapped onto undici's own: connect → connect timeout, first byte →
 * headersTimeout, idle → bodyTimeout. Every failure comes out as a GatewayError.
 */
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { GatewayError } from '../../core/errors.js';
import type { Timeouts } from '../provider-adapter.js';

export interface UpstreamClientOptions {
  /** Base URL; its path (e.g. /v1) is prefixed to every request path. */
  baseUrl: string;
  /** Provider name, for error messages. */
  provider: string;
  connectTimeoutMs: number;
  maxConnections: number;
}

export interface UpstreamRequest {
  path: string;
  method?: 'POST' | 'GET';
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  timeouts: Timeouts;
}

export interface UpstreamResponse {
  status: number;
  /** `host:port` the answer came from (for messages). */
  address?: string;
  headers: Dispatcher.ResponseData['headers'];
  body: Dispatcher.ResponseData['body'];
}

export class UpstreamClient {
  readonly provider: string;
  private readonly pool: Pool;
  private readonly prefix: string;
  /** `host:port` of the upstream origin, named in connect errors. */
  readonly address: string;

  constructor(options: UpstreamClientOptions) {
    const url = new URL(options.baseUrl);
    this.provider = options.provider;
    this.address = originAddress(url);
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      connections: options.maxConnections,
      connect: { timeout: options.connectTimeoutMs },
      keepAliveTimeout: 30_000,
      pipelining: 1,
    });
  }

  async request(req: UpstreamRequest): Promise<UpstreamResponse> {
    try {
      const res = await this.pool.request({
        path: this.prefix + req.path,
        method: req.method ?? 'POST',
        headers: req.headers,
        body: req.body ?? null,
        signal: req.signal,
        headersTimeout: req.timeouts.firstByteMs,
        bodyTimeout: req.timeouts.idleMs,
      });
      return { status: res.statusCode, address: this.address, headers: res.headers, body: res.body };
    } catch (err) {
      throw mapTransportError(err, this.provider, req.signal, req.timeouts, { phase: 'request', address: this.address });
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Codes that say the upstream could not be reached at all. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** `host:port` of a URL, with the scheme's default port when none is written. */
export function originAddress(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${url.hostname}:${port}`;
}

/**
 * Where a transport error happened: before an answer began (`request`: connecting, sending, waiting
 * for the headers) or while its body was being read (`body`: the answer began, then broke).
 */
export interface TransportErrorWhere {
  phase: 'request' | 'body';
  /** `host:port` of the upstream, named in the message. */
  address?: string;
}

/**
 * Turns an undici/network error into a GatewayError; an abort carries its own reason through.
 * Before an answer began, a network failure is GW_ERR_UPSTREAM_CONNECT naming host and port; once
 * it began (reading the body), a closed or reset connection is GW_ERR_UPSTREAM_INCOMPLETE.
 */
export function mapTransportError(
  err: unknown,
  provider: string,
  signal: AbortSignal | undefined,
  timeouts?: Timeouts,
  where: TransportErrorWhere = { phase: 'request' },
): GatewayError {
  if (err instanceof GatewayError) return err;
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof GatewayError) return reason;
    return new GatewayError('GW_ERR_CLIENT_CLOSED', 'request aborted', { provider, cause: err });
  }
  const code = (err as { code?: string } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    return new GatewayError('GW_ERR_UPSTREAM_TIMEOUT', `${provider}: no response within first_byte_ms (${timeouts?.firstByteMs ?? '?'} ms)`, { provider, cause: err });
  }
  if (code === 'UND_ERR_BODY_TIMEOUT') {
    return new GatewayError('GW_ERR_UPSTREAM_TIMEOUT', `${provider}: response went silent for idle_ms (${timeouts?.idleMs ?? '?'} ms)`, { provider, cause: err });
  }
  const at = where.address ? ` ${where.address}` : '';
  if (where.phase === 'body') {
    const why = code ?? message;
    return new GatewayError('GW_ERR_UPSTREAM_INCOMPLETE', `${provider}: the upstream${at} closed the connection before its answer was complete (${why})`, { provider, cause: err });
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new GatewayError('GW_ERR_UPSTREAM_CONNECT', `${provider}: connecting to${at || ' the upstream'} timed out`, { provider, cause: err });
  }
  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    return new GatewayError('GW_ERR_UPSTREAM_CONNECT', `${provider}: could not connect to${at || ' the upstream'} (${code})`, { provider, cause: err });
  }
  if (code !== undefined && CONNECT_CODES.has(code)) {
    return new GatewayError('GW_ERR_UPSTREAM_CONNECT', `${provider}: the connection to${at || ' the upstream'} failed before an answer (${code})`, { provider, cause: err });
  }
  return new GatewayError('GW_ERR_UPSTREAM_CONNECT', `${provider}: request to${at || ' the upstream'} failed: ${message}`, { provider, cause: err });
}

/** Milliseconds the upstream asked to wait: `retry-after-ms`, else `retry-after` (seconds or HTTP date). */
export function parseRetryAfter(headers: UpstreamResponse['headers'], now = Date.now()): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined) {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return n;
  }
  const ra = headerValue(headers, 'retry-after');
  if (ra === undefined) return undefined;
  const secs = Number(ra);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function headerValue(headers: UpstreamResponse['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Maps an upstream HTTP error status to a GatewayError. `message` is the provider's own error
 * message (extracted by the provider from its error body), passed on so clients see the cause.
 */
export function mapHttpError(args: {
  status: number;
  headers: UpstreamResponse['headers'];
  message: string;
  provider: string;
}): GatewayError {
  const { status, headers, provider } = args;
  const message = `${provider}: ${args.message || `upstream returned HTTP ${status}`}`;
  const base = { provider, upstreamStatus: status };
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(headers);
    return new GatewayError('GW_ERR_UPSTREAM_RATE_LIMITED', message, retryAfterMs === undefined ? base : { ...base, retryAfterMs });
  }
  if (status === 401 || status === 403) return new GatewayError('GW_ERR_UPSTREAM_AUTH', message, base);
  if (status === 404) return new GatewayError('GW_ERR_UPSTREAM_NOT_FOUND', message, base);
  if (status === 408 || status === 409) return new GatewayError('GW_ERR_UPSTREAM_ERROR', message, base);
  if (status === 503 || status === 529) {
    const retryAfterMs = parseRetryAfter(headers);
    return new GatewayError('GW_ERR_UPSTREAM_OVERLOADED', message, retryAfterMs === undefined ? base : { ...base, retryAfterMs });
  }
  if (status >= 500) return new GatewayError('GW_ERR_UPSTREAM_ERROR', message, base);
  return new GatewayError('GW_ERR_UPSTREAM_BAD_REQUEST', message, { ...base, status });
}

/**
 * The provider's own message from an error body: `{error: {message}}` (OpenAI, Anthropic, Gemini,
 * the compatible family), `{error: "..."}` or `{message}`; else the start of the text itself.
 */
export function errorMessageFromBody(text: string): string {
  try {
    const b = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof b.error === 'string') return b.error;
    if (b.error && typeof b.error.message === 'string') return b.error.message;
    if (typeof b.message === 'string') return b.message;
  } catch {
    /* not JSON */
  }
  return text.slice(0, 500);
}

/** Reads a whole body as text, mapping a broken body to a GatewayError. */
export async function readBodyText(res: UpstreamResponse, provider: string, signal: AbortSignal, timeouts: Timeouts): Promise<string> {
  try {
    return await res.body.text();
  } catch (err) {
    throw mapTransportError(err, provider, signal, timeouts, res.address ? { phase: 'body', address: res.address } : { phase: 'body' });
  }
}

/** Parses JSON leniently; an unparseable body becomes a retryable protocol error. */
export function parseJsonBody(text: string, provider: string): unknown {
  if (text.trim() === '') {
    throw new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: upstream answered with an empty body`, { provider });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: upstream sent a body that is not JSON: ${text.slice(0, 200)}`, { provider });
  }
}
