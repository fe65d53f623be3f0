/**
 * Gemini error bodies (`{error:{code, message, status, details}}`) → GatewayError. An invalid API
 * key comes as 400 INVALID_ARGUMENT with reason API_KEY_INVALID: that is a key problem (another key
 * or target may work), not the client's fault. A RetryInfo `retryDelay` becomes retry-after.
 */
import { GatewayError } from '../../core/errors.js';
import { mapHttpError } from '../shared/upstream-client.js';
import type { UpstreamResponse } from '../shared/upstream-client.js';

type Obj = Record<string, any>;

interface GeminiErrorInfo {
  message: string;
  status?: string;
  reasons: string[];
  retryDelayMs?: number;
}

export function parseGeminiError(text: string): GeminiErrorInfo {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { message: text.slice(0, 500), reasons: [] };
  }
  // Streams and some proxies wrap the error in an array.
  const root = (Array.isArray(body) ? body[0] : body) as Obj | undefined;
  const err: Obj = root && typeof root.error === 'object' && root.error !== null ? root.error : {};
  const info: GeminiErrorInfo = { message: typeof err.message === 'string' ? err.message : text.slice(0, 500), reasons: [] };
  if (typeof err.status === 'string') info.status = err.status;
  if (Array.isArray(err.details)) {
    for (const d of err.details as Obj[]) {
      if (typeof d?.reason === 'string') info.reasons.push(d.reason);
      if (typeof d?.retryDelay === 'string') {
        const secs = Number.parseFloat(d.retryDelay);
        if (Number.isFinite(secs) && secs >= 0) info.retryDelayMs = Math.round(secs * 1000);
      }
    }
  }
  return info;
}

export function mapGeminiHttpError(args: { status: number; headers: UpstreamResponse['headers']; text: string; provider: string }): GatewayError {
  const { status, headers, provider } = args;
  const info = parseGeminiError(args.text);
  const detail = info.status ? `${info.status}: ${info.message}` : info.message;
  if (info.reasons.includes('API_KEY_INVALID') || info.reasons.includes('API_KEY_SERVICE_BLOCKED')) {
    return new GatewayError('GW_ERR_UPSTREAM_AUTH', `${provider}: ${detail}`, { provider, upstreamStatus: status });
  }
  const err = mapHttpError({ status, headers, message: detail, provider });
  if (err.retryAfterMs !== undefined || info.retryDelayMs === undefined || !err.retryable) return err;
  return new GatewayError(err.code, err.message, {
    provider,
    upstreamStatus: status,
    retryAfterMs: info.retryDelayMs,
    ...(err.status !== undefined ? { status: err.status } : {}),
  });
}

/** An error object sent inside a stream (`data: {"error":{...}}`). */
export function mapGeminiStreamError(payload: Obj, provider: string): GatewayError {
  const err: Obj = payload.error ?? {};
  const code = typeof err.code === 'number' ? err.code : 500;
  return mapGeminiHttpError({ status: code, headers: {}, text: JSON.stringify(payload), provider });
}
