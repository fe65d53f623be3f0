/**
 * A GatewayError as Google's error body (`{error: {code, message, status}}`), which `@google/genai`
 * turns into its `ApiError` (with `status` = the HTTP code), also inside a stream.
 */
import type { ErrorKind, GatewayError } from '../../core/errors.js';

const STATUSES: Readonly<Record<ErrorKind, string>> = {
  invalid_request: 'INVALID_ARGUMENT',
  authentication: 'UNAUTHENTICATED',
  permission: 'PERMISSION_DENIED',
  not_found: 'NOT_FOUND',
  request_too_large: 'INVALID_ARGUMENT',
  rate_limit: 'RESOURCE_EXHAUSTED',
  api: 'INTERNAL',
  overloaded: 'UNAVAILABLE',
  timeout: 'DEADLINE_EXCEEDED',
};

export interface GeminiErrorBody {
  error: { code: number; message: string; status: string; details: Array<Record<string, unknown>> };
}

export function formatGeminiError(error: GatewayError): GeminiErrorBody {
  return {
    error: {
      code: error.status,
      message: error.message,
      status: error.status === 499 ? 'CANCELLED' : STATUSES[error.kind],
      details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: error.code, domain: 'switchyard' }],
    },
  };
}
