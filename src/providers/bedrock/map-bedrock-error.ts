/**
 * AWS errors → GatewayError, by the AWS error type: from an HTTP error response
 * (`x-amzn-errortype` header, else `__type` / `code` in the body, else the status) or from an
 * exception frame inside an event stream (`:exception-type`, camelCase there).
 */
import { GatewayError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/errors.js';
import { headerValue, mapHttpError, parseRetryAfter } from '../shared/upstream-client.js';
import type { UpstreamResponse } from '../shared/upstream-client.js';

interface AwsErrorSpec {
  code: ErrorCode;
  /** Status the error would have as an HTTP response, for exception frames. */
  status: number;
}

/** AWS error types (PascalCase, as in `x-amzn-errortype`) and what they mean for routing. */
const AWS_ERRORS: Readonly<Record<string, AwsErrorSpec>> = {
  ThrottlingException: { code: 'GW_ERR_UPSTREAM_RATE_LIMITED', status: 429 },
  ServiceQuotaExceededException: { code: 'GW_ERR_UPSTREAM_RATE_LIMITED', status: 400 },
  TooManyRequestsException: { code: 'GW_ERR_UPSTREAM_RATE_LIMITED', status: 429 },
  ServiceUnavailableException: { code: 'GW_ERR_UPSTREAM_OVERLOADED', status: 503 },
  ModelNotReadyException: { code: 'GW_ERR_UPSTREAM_OVERLOADED', status: 429 },
  ValidationException: { code: 'GW_ERR_UPSTREAM_BAD_REQUEST', status: 400 },
  AccessDeniedException: { code: 'GW_ERR_UPSTREAM_AUTH', status: 403 },
  UnrecognizedClientException: { code: 'GW_ERR_UPSTREAM_AUTH', status: 403 },
  InvalidSignatureException: { code: 'GW_ERR_UPSTREAM_AUTH', status: 403 },
  ExpiredTokenException: { code: 'GW_ERR_UPSTREAM_AUTH', status: 403 },
  IncompleteSignatureException: { code: 'GW_ERR_UPSTREAM_AUTH', status: 403 },
  MissingAuthenticationTokenException: { code: 'GW_ERR_UPSTREAM_AUTH', status: 403 },
  ResourceNotFoundException: { code: 'GW_ERR_UPSTREAM_NOT_FOUND', status: 404 },
  ModelStreamErrorException: { code: 'GW_ERR_UPSTREAM_ERROR', status: 424 },
  ModelErrorException: { code: 'GW_ERR_UPSTREAM_ERROR', status: 424 },
  ModelTimeoutException: { code: 'GW_ERR_UPSTREAM_ERROR', status: 408 },
  InternalServerException: { code: 'GW_ERR_UPSTREAM_ERROR', status: 500 },
  InternalFailure: { code: 'GW_ERR_UPSTREAM_ERROR', status: 500 },
};

/** `ThrottlingException:http://internal.amazon.com/...`, `com.amazon...#ThrottlingException` → `ThrottlingException`. */
export function normalizeAwsErrorType(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let t = raw.trim();
  const colon = t.indexOf(':');
  if (colon >= 0) t = t.slice(0, colon);
  const hash = t.lastIndexOf('#');
  if (hash >= 0) t = t.slice(hash + 1);
  if (t.length === 0) return undefined;
  return t[0]!.toUpperCase() + t.slice(1);
}

interface AwsErrorBody {
  type?: string;
  message: string;
}

/** Reads `{message}` / `{Message}` and `__type` / `code` from an AWS JSON error body. */
export function parseAwsErrorBody(text: string): AwsErrorBody {
  try {
    const b = JSON.parse(text) as Record<string, unknown>;
    const message = [b.message, b.Message, b.errorMessage].find((m): m is string => typeof m === 'string') ?? '';
    const type = [b.__type, b.code, b.Code].find((t): t is string => typeof t === 'string');
    return type === undefined ? { message } : { type, message };
  } catch {
    return { message: text.slice(0, 500) };
  }
}

/** An HTTP error response from Bedrock. */
export function mapBedrockHttpError(args: { status: number; headers: UpstreamResponse['headers']; text: string; provider: string }): GatewayError {
  const { status, headers, text, provider } = args;
  const body = parseAwsErrorBody(text);
  const type = normalizeAwsErrorType(headerValue(headers, 'x-amzn-errortype')) ?? normalizeAwsErrorType(body.type);
  const spec = type ? AWS_ERRORS[type] : undefined;
  const detail = body.message || `upstream returned HTTP ${status}`;
  if (!spec) return mapHttpError({ status, headers, message: type ? `${type}: ${detail}` : detail, provider });
  const retryAfterMs = parseRetryAfter(headers);
  return new GatewayError(spec.code, `${provider}: ${type}: ${detail}`, {
    provider,
    upstreamStatus: status,
    ...(spec.code === 'GW_ERR_UPSTREAM_BAD_REQUEST' ? { status: 400 } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/** An exception (or error) frame inside an event stream. */
export function mapBedrockStreamException(args: { type: string | undefined; body: string; provider: string }): GatewayError {
  const { provider } = args;
  const parsed = parseAwsErrorBody(args.body);
  const type = normalizeAwsErrorType(args.type) ?? normalizeAwsErrorType(parsed.type) ?? 'InternalServerException';
  const spec = AWS_ERRORS[type] ?? { code: 'GW_ERR_UPSTREAM_ERROR' as const, status: 500 };
  const detail = parsed.message || 'upstream stream error';
  return new GatewayError(spec.code, `${provider}: ${type}: ${detail}`, {
    provider,
    upstreamStatus: spec.status,
    ...(spec.code === 'GW_ERR_UPSTREAM_BAD_REQUEST' ? { status: 400 } : {}),
  });
}
