/** Anthropic stream `error` events → GatewayError. */
import { GatewayError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/errors.js';

const STREAM_ERROR_CODES: Readonly<Record<string, ErrorCode>> = {
  overloaded_error: 'GW_ERR_UPSTREAM_OVERLOADED',
  rate_limit_error: 'GW_ERR_UPSTREAM_RATE_LIMITED',
  api_error: 'GW_ERR_UPSTREAM_ERROR',
  timeout_error: 'GW_ERR_UPSTREAM_ERROR',
  not_found_error: 'GW_ERR_UPSTREAM_NOT_FOUND',
  authentication_error: 'GW_ERR_UPSTREAM_AUTH',
  permission_error: 'GW_ERR_UPSTREAM_AUTH',
};

/** An `event: error` payload of an Anthropic stream (sent with HTTP 200, so typed by its error type). */
export function mapAnthropicStreamError(payload: unknown, provider: string): GatewayError {
  const error = (payload as { error?: { type?: unknown; message?: unknown } } | null)?.error;
  const type = typeof error?.type === 'string' ? error.type : 'api_error';
  const message = typeof error?.message === 'string' ? error.message : `upstream stream error (${type})`;
  return new GatewayError(STREAM_ERROR_CODES[type] ?? 'GW_ERR_UPSTREAM_BAD_REQUEST', `${provider}: ${message}`, { provider });
}
