/** A GatewayError as the Anthropic error body (`{type:'error', error:{type, message}}`) its SDK reads. */
import type { ErrorKind, GatewayError } from '../../core/errors.js';

const ERROR_TYPES: Readonly<Record<ErrorKind, string>> = {
  invalid_request: 'invalid_request_error',
  authentication: 'authentication_error',
  permission: 'permission_error',
  not_found: 'not_found_error',
  request_too_large: 'request_too_large',
  rate_limit: 'rate_limit_error',
  overloaded: 'overloaded_error',
  timeout: 'timeout_error',
  api: 'api_error',
};

export function anthropicErrorType(kind: ErrorKind): string {
  return ERROR_TYPES[kind];
}

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

export function formatAnthropicError(error: GatewayError): AnthropicErrorBody {
  return { type: 'error', error: { type: anthropicErrorType(error.kind), message: error.message } };
}
